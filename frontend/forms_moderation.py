"""Forms of the moderation pages: a resident's report, the moderators' queue filters and bulk
decision, the log's filter. They check shape (known choice, length, a reason to hide); the
actions in consultation/actions/moderation.py check again and decide."""

from django import forms
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from consultation.actions.moderation import Seen
from consultation.models import Campaign, ModerationDecision
from consultation.models.contributions import Provenance, Visibility
from consultation.models.moderation import ModerationReason, TargetKind

Action = ModerationDecision.Action

# What the queue's "État" filter offers, in the moderators' words.
PENDING, REPORTED, HIDDEN, PUBLISHED, ALL = "pending", "reported", "hidden", "published", "all"
STATES = [
    (ALL, _("Tous")),
    (PENDING, _("À valider")),
    (REPORTED, _("Signalés")),
    (HIDDEN, _("Masqués")),
    (PUBLISHED, _("Publiés")),
]
DECISIONS = [
    (Action.APPROVE, _("Valider (publier)")),
    (Action.HIDE, _("Masquer")),
    (Action.RESTORE, _("Rétablir")),
    (Action.TAG, _("Étiqueter")),
    (Action.ASSIGN_THEME, _("Attribuer un thème")),
]


class ReportForm(DsfrBaseForm):
    reason = forms.ChoiceField(
        label=_("Motif du signalement"),
        choices=ModerationReason.choices,
        widget=forms.RadioSelect,
    )
    details = forms.CharField(
        label=_("Précisions (facultatif)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "500 caractères au maximum. L'équipe de modération les lit ; l'auteur·rice du "
            "contenu ne voit ni votre nom ni vos précisions."
        ),
    )


def campaign_theme_choices(campaign: Campaign, value_attr: str, empty_label) -> list:
    """Choices from the campaign's themes: prefetch them once, both forms read the cache."""
    return [("", empty_label)] + [
        (str(getattr(theme, value_attr)), theme.name) for theme in campaign.themes.all()
    ]


class QueueFilterForm(DsfrBaseForm):
    """The queue's filters, sent by GET so the URL keeps them. An unknown value is reported on
    its field and that filter is ignored."""

    q = forms.CharField(label=_("Rechercher dans les textes"), required=False, max_length=200)
    kind = forms.ChoiceField(
        label=_("Type de contenu"),
        required=False,
        choices=[("", _("Tous les types")), *TargetKind.choices],
    )
    state = forms.ChoiceField(label=_("État"), required=False, choices=STATES)
    theme = forms.ChoiceField(label=_("Thème"), required=False)
    provenance = forms.ChoiceField(
        label=_("Provenance"),
        required=False,
        choices=[("", _("Toutes")), *Provenance.choices],
    )

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].choices = campaign_theme_choices(
            campaign, "slug", _("Tous les thèmes")
        )

    @property
    def values(self) -> dict:
        """The valid filters (Django leaves a field that failed validation out)."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        return {name: value for name, value in data.items() if value}


class SeenField(forms.Field):
    """The ticked rows of the queue: "kind:id:visibility" each, as the moderator saw them."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Cochez au moins un contenu."),
        "invalid": _("La sélection envoyée n'est pas valide : rechargez la page."),
    }

    def to_python(self, value) -> list[Seen]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return [self._parse(item) for item in value]

    def _parse(self, item: str) -> Seen:
        kind, _sep, rest = str(item).partition(":")
        pk, _sep, visibility = rest.partition(":")
        if kind not in TargetKind.values or visibility not in Visibility.values:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if not pk.isascii() or not pk.isdigit() or not 0 < int(pk) < 2**63:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return Seen(kind=kind, id=int(pk), visibility=visibility)


def seen_value(kind: str, pk: int, visibility: str) -> str:
    return f"{kind}:{pk}:{visibility}"


class BulkDecisionForm(DsfrBaseForm):
    """One decision for every ticked row. A reason is required to hide, a tag to tag, a theme
    to assign one; the other fields are ignored."""

    targets = SeenField(label=_("Contenus cochés"))
    action = forms.ChoiceField(label=_("Décision"), choices=[("", "—"), *DECISIONS])
    reason = forms.ChoiceField(
        label=_("Motif (obligatoire pour masquer)"),
        required=False,
        choices=[("", _("Aucun motif")), *ModerationReason.choices],
        help_text=_("L'auteur·rice du contenu masqué reçoit ce motif par courriel."),
    )
    tag = forms.CharField(
        label=_("Étiquette (pour « Étiqueter »)"),
        required=False,
        max_length=60,
        help_text=_("Entre 2 et 60 caractères. Seules les contributions s'étiquettent."),
    )
    theme = forms.ChoiceField(label=_("Thème (pour « Attribuer un thème »)"), required=False)
    note = forms.CharField(
        label=_("Note pour le journal (facultatif)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Visible de l'équipe de modération seulement. 500 caractères au maximum."),
    )

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.themes = {str(theme.pk): theme for theme in campaign.themes.all()}
        self.fields["theme"].choices = campaign_theme_choices(campaign, "pk", _("Aucun thème"))

    def clean_theme(self):
        return self.themes.get(self.cleaned_data["theme"])

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == Action.HIDE and not data.get("reason"):
            self.add_error("reason", _("Choisissez le motif pour masquer."))
        if action == Action.TAG and not data.get("tag", "").strip():
            self.add_error("tag", _("Écrivez l'étiquette à donner."))
        if action == Action.ASSIGN_THEME and data.get("theme") is None and "theme" in data:
            self.add_error("theme", _("Choisissez le thème à attribuer."))
        return data

    def action_kwargs(self) -> dict:
        """What moderate() takes besides the person, the campaign and the targets."""
        data = self.cleaned_data
        return {name: data[name] for name in ("action", "reason", "note", "tag", "theme")}


class LogFilterForm(DsfrBaseForm):
    action = forms.ChoiceField(
        label=_("Décision"),
        required=False,
        choices=[("", _("Toutes les décisions")), *Action.choices],
    )
