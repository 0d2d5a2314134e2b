"""Forms of the participation pages. They check the shape of what was typed (required, length,
known choice) so that every mistake shows at once; the actions in consultation/actions check
again and decide whether it may be done."""

from itertools import groupby

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from consultation.actions.contributions import RESIDENT_KINDS
from consultation.models import Campaign, Comment, Commune, Contribution, OfficialAnswer, Theme
from consultation.models.contributions import (
    BODY_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Provenance,
)
from consultation.models.statements import STATEMENT_MAX_LENGTH
from frontend.fields import ModelChoiceField


def _limits(message: str, maximum: int) -> str:
    return gettext(message) % {"max": maximum}


# A help text with its limit filled in, translated when the form is shown (not at import).
limits = lazy(_limits, str)


def campaign_communes(campaign: Campaign):
    """Communes a person may pick: those of the campaign's areas, or all if it has none."""
    communes = Commune.objects.select_related("area").order_by("area__name", "name")
    area_ids = list(campaign.areas.values_list("pk", flat=True))
    if area_ids:
        communes = communes.filter(area_id__in=area_ids)
    return communes


def grouped_commune_choices(communes, value_attr: str) -> list:
    """Choices for a <select> with one <optgroup> per area (river basin, district...)."""
    return [
        (area_name, [(getattr(c, value_attr), c.name) for c in group])
        for area_name, group in groupby(communes, key=lambda c: c.area.name)
    ]


class CommuneChoiceField(forms.ChoiceField):
    """A commune among the campaign's, shown grouped by area; cleans to a Commune."""

    def __init__(self, *, communes, **kwargs):
        self.communes = {str(c.pk): c for c in communes}
        choices = [("", _("Aucune commune en particulier"))]
        choices += grouped_commune_choices(self.communes.values(), "pk")
        super().__init__(choices=choices, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        return self.communes.get(str(value)) if value else None


class ContributionForm(DsfrBaseForm):
    kind = forms.ChoiceField(
        label=_("Type de contribution"),
        choices=[(kind.value, kind.label) for kind in RESIDENT_KINDS],
        widget=forms.RadioSelect,
        help_text=_(
            "Une proposition peut recevoir des soutiens ; une question est adressée à la "
            "préfecture ; un témoignage raconte ce que vous avez vécu."
        ),
    )
    title = forms.CharField(
        label=_("Titre"),
        min_length=5,
        max_length=TITLE_MAX_LENGTH,
        help_text=limits(gettext_noop("Entre 5 et %(max)s caractères."), TITLE_MAX_LENGTH),
    )
    body = forms.CharField(
        label=_("Texte"),
        min_length=15,
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=limits(
            gettext_noop("Entre 15 et %(max)s caractères. Texte simple, sans mise en forme."),
            BODY_MAX_LENGTH,
        ),
    )
    theme = ModelChoiceField(
        label=_("Thème"),
        queryset=Theme.objects.none(),
        required=False,
        empty_label=_("Aucun thème en particulier"),
    )

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].queryset = campaign.themes.all()
        self.fields["commune"] = CommuneChoiceField(
            label=_("Commune concernée"),
            communes=campaign_communes(campaign),
            required=False,
            help_text=_("Les communes sont regroupées par territoire."),
        )


class CommentForm(DsfrBaseForm):
    body = forms.CharField(
        label=_("Votre commentaire"),
        min_length=2,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=limits(gettext_noop("Entre 2 et %(max)s caractères."), COMMENT_MAX_LENGTH),
    )
    alignment = forms.TypedChoiceField(
        label=_("Votre position"),
        choices=[
            (Comment.Alignment.FOR, _("Pour")),
            (Comment.Alignment.AGAINST, _("Contre")),
            (Comment.Alignment.NEUTRAL, _("Neutre")),
        ],
        coerce=int,
        initial=Comment.Alignment.NEUTRAL,
        widget=forms.RadioSelect,
    )


class AnswerForm(DsfrBaseForm):
    status = forms.ChoiceField(label=_("Statut de la réponse"), choices=OfficialAnswer.Status)
    body = forms.CharField(
        label=_("Réponse officielle"),
        min_length=10,
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=limits(gettext_noop("Entre 10 et %(max)s caractères."), BODY_MAX_LENGTH),
    )


class StatementForm(DsfrBaseForm):
    text = forms.CharField(
        label=_("Votre affirmation"),
        min_length=10,
        max_length=STATEMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=limits(
            gettext_noop(
                "Une phrase courte, sur laquelle chacun peut être d'accord ou non (entre 10 et "
                "%(max)s caractères). Elle sera publiée après modération."
            ),
            STATEMENT_MAX_LENGTH,
        ),
    )


class VoteForm(forms.Form):
    choice = forms.ChoiceField(choices=[("agree", ""), ("disagree", ""), ("pass", "")])

    VALUES = {"agree": 1, "disagree": -1, "pass": 0}

    def cleaned_choice(self) -> int:
        return self.VALUES[self.cleaned_data["choice"]]


SORTS = {
    "recent": ("-created_at", "-id"),
    "supports": ("-supports_count", "-created_at", "-id"),
    "comments": ("-comments_count", "-created_at", "-id"),
}
UNANSWERED = "none"


class ContributionFilterForm(DsfrBaseForm):
    """The filters of a campaign's contributions, sent by GET so the URL can be shared.

    An unknown value is reported on its field and that filter is ignored."""

    q = forms.CharField(label=_("Rechercher"), required=False, max_length=200)
    kind = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", _("Tous les types")), *Contribution.Kind.choices],
    )
    theme = forms.ChoiceField(label=_("Thème"), required=False)
    area = forms.ChoiceField(label=_("Territoire"), required=False)
    commune = forms.ChoiceField(label=_("Commune"), required=False)
    answer_status = forms.ChoiceField(
        label=_("Réponse de la préfecture"),
        required=False,
        choices=[
            ("", _("Toutes")),
            (UNANSWERED, _("Sans réponse")),
            *OfficialAnswer.Status.choices,
        ],
    )
    provenance = forms.ChoiceField(
        label=_("Provenance"),
        required=False,
        choices=[("", _("Toutes")), *Provenance.choices],
    )
    sort = forms.ChoiceField(
        label=_("Trier par"),
        required=False,
        choices=[
            ("recent", _("Les plus récentes")),
            ("supports", _("Les plus soutenues")),
            ("comments", _("Les plus commentées")),
        ],
    )

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        communes = list(campaign_communes(campaign))
        areas = {c.area.slug: c.area.name for c in communes}
        self.fields["theme"].choices = [("", _("Tous les thèmes"))] + [
            (t.slug, t.name) for t in campaign.themes.all()
        ]
        self.fields["area"].choices = [("", _("Tous les territoires"))] + sorted(
            areas.items(), key=lambda item: item[1]
        )
        self.fields["commune"].choices = [("", _("Toutes les communes"))] + (
            grouped_commune_choices(communes, "insee_code")
        )

    def filter(self, contributions):
        """Apply the valid filters; the invalid ones were reported and are skipped (Django
        leaves a field that failed validation out of cleaned_data)."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        if data.get("q"):
            contributions = contributions.search(data["q"])
        lookups = {
            "kind": "kind",
            "theme": "theme__slug",
            "area": "commune__area__slug",
            "commune": "commune__insee_code",
            "provenance": "provenance",
        }
        for name, lookup in lookups.items():
            if data.get(name):
                contributions = contributions.filter(**{lookup: data[name]})
        status = data.get("answer_status")
        if status == UNANSWERED:
            contributions = contributions.filter(answer__isnull=True)
        elif status:
            contributions = contributions.filter(answer__status=status)
        return contributions.order_by(*SORTS[data.get("sort") or "recent"])
