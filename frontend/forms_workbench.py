"""Forms of the moderators' workbench: duplicates, automatic themes, synthesis.

They check the shape of what was typed and that the numbers typed name rows of this campaign
(an unknown number is said on its field); the actions in consultation/actions decide whether
the change may be done, and say why not."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from dsfr.forms import DsfrBaseForm

from consultation.models import Campaign, Contribution, Topic
from consultation.models.synthesis import SYNTHESIS_MAX_LENGTH
from frontend.fields import ModelChoiceField, ModelMultipleChoiceField
from frontend.forms import limits

NOTE_MAX_LENGTH = 500
MAX_THEMES = 30


class ContributionNumberField(ModelChoiceField):
    """A contribution of the campaign, typed as its number (shown as « n° 123 » everywhere)."""

    default_error_messages = {
        "invalid_choice": _("Aucune contribution n° %(value)s dans cette campagne."),
    }

    def __init__(self, **kwargs):
        super().__init__(
            queryset=Contribution.objects.none(),  # the form sets the campaign's
            widget=forms.NumberInput(attrs={"min": 1, "inputmode": "numeric"}),
            **kwargs,
        )

    def to_python(self, value):
        if value not in self.empty_values and not str(value).strip().isdigit():
            raise forms.ValidationError(
                _("Saisissez le numéro de la contribution (des chiffres uniquement)."),
                code="invalid",
            )
        if value not in self.empty_values and len(str(value).strip()) > 12:
            # A number no row can have (and that some databases refuse to compare).
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return super().to_python(value)


def _note_field():
    return forms.CharField(
        label=_("Note pour le journal (facultatif)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        help_text=limits(gettext_noop("%(max)s caractères au plus."), NOTE_MAX_LENGTH),
    )


class MergeForm(DsfrBaseForm):
    """Merge one contribution into another: `merged` disappears from the listing, `result`
    receives its supporters."""

    merged = ContributionNumberField(
        label=_("Numéro de la contribution à fusionner"),
        help_text=_("Elle reste lisible et renvoie vers la contribution conservée."),
    )
    result = ContributionNumberField(
        label=_("Numéro de la contribution conservée"),
        help_text=_("Elle reçoit les soutiens et les abonnements de l'autre."),
    )
    note = _note_field()

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("merged", "result"):
            self.fields[name].queryset = Contribution.objects.filter(campaign=campaign)

    def clean(self):
        data = super().clean()
        if data.get("merged") and data.get("merged") == data.get("result"):
            self.add_error("result", _("Choisissez deux contributions différentes."))
        return data


class RegroupForm(DsfrBaseForm):
    k = forms.IntegerField(
        label=_("Nombre de thèmes (facultatif)"),
        required=False,
        min_value=2,
        max_value=MAX_THEMES,
        help_text=limits(
            gettext_noop(
                "Entre 2 et %(max)s. Laissé vide, le nombre qui sépare le mieux les contributions "
                "est choisi."
            ),
            MAX_THEMES,
        ),
    )


class TopicLabelForm(DsfrBaseForm):
    label = forms.CharField(
        label=_("Nouvel intitulé"),
        min_length=2,
        max_length=120,
        help_text=_("Entre 2 et 120 caractères. Un nouveau regroupement ne le changera plus."),
    )


class TopicContributionsForm(DsfrBaseForm):
    """The contributions checked on a theme's page, and what to do with them: move them to
    another theme, or take them out into a new theme (one form: checkboxes belong to one form
    only, and it must work without JavaScript)."""

    MOVE, SPLIT = "deplacer", "scinder"

    contributions = ModelMultipleChoiceField(
        label=_("Contributions cochées"),
        queryset=Contribution.objects.none(),
        error_messages={
            "required": _("Cochez au moins une contribution."),
            "invalid_choice": _("La contribution n° %(value)s n'est pas dans ce thème."),
            "invalid_pk_value": _("« %(pk)s » n'est pas un numéro de contribution."),
        },
    )
    operation = forms.ChoiceField(
        label=_("Opération"),
        choices=[(MOVE, _("Déplacer")), (SPLIT, _("Créer un thème"))],
        error_messages={"required": _("Choisissez « Déplacer » ou « Créer ce thème ».")},
    )
    target = ModelChoiceField(
        label=_("Thème de destination"),
        queryset=Topic.objects.none(),
        required=False,
        empty_label=_("Choisissez un thème"),
        error_messages={"invalid_choice": _("Ce thème n'existe pas dans cette campagne.")},
    )
    label = forms.CharField(
        label=_("Intitulé du nouveau thème"),
        required=False,
        max_length=120,
        help_text=_("Entre 2 et 120 caractères."),
    )

    def __init__(self, *args, topic: Topic, **kwargs):
        # Its own ids: the theme's page also holds the rename and merge forms.
        super().__init__(*args, auto_id="edition_%s", **kwargs)
        self.fields["contributions"].queryset = Contribution.objects.filter(topic=topic)
        self.fields["target"].queryset = Topic.objects.filter(campaign=topic.campaign_id).exclude(
            pk=topic.pk
        )

    def clean(self):
        data = super().clean()
        if data.get("operation") == self.MOVE and not data.get("target"):
            self.add_error("target", _("Choisissez le thème où déplacer les contributions."))
        if data.get("operation") == self.SPLIT and not data.get("label"):
            self.add_error("label", _("Donnez un intitulé au nouveau thème."))
        return data


class MergeTopicForm(DsfrBaseForm):
    target = ModelChoiceField(
        label=_("Fusionner ce thème dans"),
        queryset=Topic.objects.none(),
        empty_label=_("Choisissez un thème"),
        help_text=_("Ses contributions y passent et ce thème disparaît."),
        error_messages={"invalid_choice": _("Ce thème n'existe pas dans cette campagne.")},
    )

    def __init__(self, *args, topic: Topic, **kwargs):
        super().__init__(*args, auto_id="fusion_%s", **kwargs)
        self.fields["target"].queryset = Topic.objects.filter(campaign=topic.campaign_id).exclude(
            pk=topic.pk
        )


class SectionForm(DsfrBaseForm):
    title = forms.CharField(
        label=_("Titre de la partie"),
        min_length=3,
        max_length=200,
        help_text=_("Entre 3 et 200 caractères, par exemple « Entretien des fossés »."),
    )
    topic = ModelChoiceField(
        label=_("Thème automatique (facultatif)"),
        queryset=Topic.objects.none(),
        required=False,
        empty_label=_("Aucun thème : toute la campagne"),
        help_text=_("Le brouillon « à partir des données » reprend alors ses contributions."),
        error_messages={"invalid_choice": _("Ce thème n'existe pas dans cette campagne.")},
    )

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = Topic.objects.filter(campaign=campaign)


class SynthesisTextForm(DsfrBaseForm):
    body = forms.CharField(
        label=_("Texte de la synthèse"),
        max_length=SYNTHESIS_MAX_LENGTH,
        # No `strip`: line numbers in the refusals must match what the person sees.
        strip=False,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "true"}),
        help_text=limits(
            gettext_noop(
                "%(max)s caractères au plus. Chaque paragraphe et chaque puce cite au moins une "
                "source (voir l'aide ci-contre)."
            ),
            SYNTHESIS_MAX_LENGTH,
        ),
    )
