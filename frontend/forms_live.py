"""Forms of the live workshop pages. They check the shape of what was typed; the actions in
consultation/actions/boards.py decide whether it may be done (and say why not, in French)."""

import json
import uuid

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from dsfr.forms import DsfrBaseForm

from consultation.models import Campaign, Card, Cluster, Theme
from consultation.models.boards import (
    CARD_TEXT_MAX,
    JOIN_CODE_LENGTH,
    BoardTemplate,
    CardColour,
    HideReason,
    Step,
)
from frontend.fields import ModelChoiceField, ModelMultipleChoiceField
from frontend.forms import CommuneChoiceField, campaign_communes, limits

MAX_TABLES = 20
MAX_FREE_COLUMNS = 8
COLUMN_TITLE_MAX = 120
PAPER_NOTES_MAX = 200
PAPER_NOTE_MAX_LENGTH = 2000  # a note copied from paper may run longer than a card


def normalise_join_code(raw: str) -> str:
    """People type codes with spaces, dashes and in lower case; the code is letters/digits."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())


class JoinForm(DsfrBaseForm):
    code = forms.CharField(
        label=_("Code de l'atelier"),
        max_length=20,
        help_text=limits(
            gettext_noop("Les %(max)s caractères affichés à l'écran, par exemple K7Q2MX."),
            JOIN_CODE_LENGTH,
        ),
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    nickname = forms.CharField(
        label=_("Votre pseudonyme"),
        max_length=40,
        required=False,
        help_text=_("Le nom affiché sur vos cartes (40 caractères au plus)."),
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    email = forms.EmailField(
        label=_("Votre adresse électronique (facultatif)"),
        required=False,
        help_text=_("Pour être tenu·e informé·e des suites de l'atelier. Format : nom@exemple.fr"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args, guest: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.guest = guest
        if guest:
            self.fields["nickname"].required = True
        else:
            # An account holder is shown with their public name: no nickname, no e-mail asked.
            del self.fields["nickname"]
            del self.fields["email"]

    def clean_code(self) -> str:
        code = normalise_join_code(self.cleaned_data["code"])
        if not code:
            raise forms.ValidationError(_("Saisissez le code affiché à l'écran."))
        return code

    def clean_nickname(self) -> str:
        return " ".join(self.cleaned_data.get("nickname", "").split())


class OpenSessionForm(DsfrBaseForm):
    title = forms.CharField(
        label=_("Titre de la session"),
        max_length=200,
        required=False,
        help_text=_("Facultatif : le titre de l'atelier par défaut."),
    )
    template = forms.ChoiceField(
        label=_("Modèle de tableau"),
        choices=BoardTemplate.choices,
        initial=BoardTemplate.FINDINGS_IDEAS_ACTIONS,
        widget=forms.RadioSelect,
    )
    columns = forms.CharField(
        label=_("Colonnes libres"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=limits(
            gettext_noop(
                "Avec le modèle « Colonnes libres » : un titre de colonne par ligne, %(max)s au "
                "plus."
            ),
            MAX_FREE_COLUMNS,
        ),
    )
    tables = forms.IntegerField(
        label=_("Nombre de tables"),
        min_value=1,
        max_value=MAX_TABLES,
        initial=1,
        help_text=_("Chaque table a son propre tableau ; 1 pour un seul tableau commun."),
    )
    dot_budget = forms.IntegerField(
        label=_("Gommettes par personne pour le vote"), min_value=1, max_value=50, initial=5
    )
    anonymous = forms.BooleanField(
        label=_("Mode anonyme (les auteur·rices ne sont visibles que de l'animation)"),
        required=False,
    )
    guests_allowed = forms.BooleanField(
        label=_("Accepter les invité·es sans compte (avec un pseudonyme)"),
        required=False,
        initial=True,
    )

    def clean_columns(self) -> list[str] | None:
        lines = [" ".join(line.split()) for line in self.cleaned_data["columns"].splitlines()]
        titles = [line for line in lines if line]
        if len(titles) > MAX_FREE_COLUMNS:
            raise forms.ValidationError(
                _("%(max)s colonnes au plus."), params={"max": MAX_FREE_COLUMNS}
            )
        if any(len(title) > COLUMN_TITLE_MAX for title in titles):
            raise forms.ValidationError(
                _("Un titre de colonne fait %(max)s caractères au plus."),
                params={"max": COLUMN_TITLE_MAX},
            )
        return titles or None

    def clean(self):
        data = super().clean()
        if data.get("template") == BoardTemplate.FREE and not data.get("columns"):
            self.add_error("columns", _("Donnez au moins un titre de colonne."))
        if data.get("template") != BoardTemplate.FREE:
            data["columns"] = None
        return data


class CardForm(DsfrBaseForm):
    """The card form of the board page without JavaScript. `id` is generated when the page is
    drawn, so a double submit (or a reload of the POST) adds the card once."""

    id = forms.UUIDField(widget=forms.HiddenInput)
    column = forms.TypedChoiceField(label=_("Colonne"), coerce=int)
    text = forms.CharField(
        label=_("Votre carte"),
        max_length=CARD_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=limits(gettext_noop("Texte simple, %(max)s caractères au plus."), CARD_TEXT_MAX),
    )

    def __init__(self, *args, columns: list[dict], **kwargs):
        kwargs.setdefault("initial", {}).setdefault("id", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.fields["column"].choices = [(c["id"], c["title"]) for c in columns]

    def command(self) -> dict:
        data = self.cleaned_data
        return {
            "type": "card.add",
            "id": str(data["id"]),
            "column": data["column"],
            "text": data["text"],
        }


def with_page_id(command: dict, page: uuid.UUID) -> dict:
    """The command with an id derived from the page's key and the command itself: the same form
    sent twice is applied once, and two forms of one page never share an id. Shaped as a
    version 4 UUID, like the ids the browser client draws."""
    digest = uuid.uuid5(page, json.dumps(command, sort_keys=True))
    return {**command, "id": str(uuid.UUID(bytes=digest.bytes, version=4))}


class MyCardForm(forms.Form):
    """A participant's own moves on the board without JavaScript: edit or delete their card, add
    or remove a dot. The websocket's commands, checked by the same action (own card, open
    session, unlocked board, vote step, dot budget)."""

    type = forms.ChoiceField(
        choices=[(t, t) for t in ("card.edit", "card.delete", "dot.add", "dot.remove")]
    )
    # As in CommandForm: a double submit of one page's form is applied once.
    page = forms.UUIDField()
    card = forms.IntegerField(min_value=1)
    text = forms.CharField(label=_("Texte de la carte"), max_length=CARD_TEXT_MAX, required=False)

    def clean(self):
        data = super().clean()
        if data.get("type") == "card.edit" and not data.get("text"):
            self.add_error("text", _("Ce champ est obligatoire."))
        return data

    def command(self) -> dict:
        data = self.cleaned_data
        command = {"type": data["type"], "card": data["card"]}
        if data["type"] == "card.edit":
            command["text"] = data["text"]
        return with_page_id(command, data["page"])


# The console's no-JavaScript forms: each command type and the form fields it takes. With
# JavaScript the same forms are sent over the websocket instead (board.js reads data-command).
COMMAND_FIELDS: dict[str, tuple[str, ...]] = {
    "session.step": ("step",),
    "session.lock": (),
    "session.unlock": (),
    "session.anonymous": ("anonymous",),
    "votes.reveal": (),
    "votes.hide": (),
    "timer.start": ("minutes", "closes_input"),
    "timer.pause": (),
    "timer.resume": (),
    "timer.end": (),
    "timer.add": ("seconds",),
    "card.hide": ("card", "reason"),
    "card.restore": ("card",),
    "card.spotlight": ("card",),
    "card.colour": ("card", "colour"),
    "card.move": ("card", "column", "cluster"),
    "cluster.create": ("name", "cards"),
    "cluster.rename": ("cluster", "name"),
    "cluster.delete": ("cluster",),
    "participant.remove": ("participant",),
}
OPTIONAL = {"closes_input", "anonymous", "cluster", "cards"}
# Spotlighting no card clears the spotlight.
OPTIONAL_FOR = {("card.spotlight", "card")}


class IntegerListField(forms.Field):
    """Several ids sent under one name (checkboxes); the action checks they are on the board."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        try:
            return [int(item) for item in value or []]
        except (TypeError, ValueError):
            raise forms.ValidationError(_("Identifiants invalides.")) from None


class CommandForm(forms.Form):
    """One facilitator command typed into the console without JavaScript."""

    type = forms.ChoiceField(choices=[(name, name) for name in COMMAND_FIELDS])
    # Drawn once per page; the command's id derives from it and the command itself, so the same
    # form sent twice is applied once, and two forms of one page never share an id.
    page = forms.UUIDField()
    board = forms.IntegerField(min_value=1)
    step = forms.ChoiceField(choices=Step.choices, required=False)
    anonymous = forms.BooleanField(required=False)
    minutes = forms.IntegerField(min_value=1, max_value=120, required=False)
    closes_input = forms.BooleanField(required=False)
    seconds = forms.IntegerField(min_value=-3600, max_value=3600, required=False)
    card = forms.IntegerField(min_value=1, required=False)
    reason = forms.ChoiceField(choices=HideReason.choices, required=False)
    colour = forms.ChoiceField(choices=CardColour.choices, required=False)
    column = forms.IntegerField(min_value=1, required=False)
    cluster = forms.IntegerField(min_value=1, required=False)
    name = forms.CharField(max_length=120, required=False)
    cards = IntegerListField(required=False)

    def clean(self):
        data = super().clean()
        for name in COMMAND_FIELDS.get(data.get("type"), ()):
            optional = name in OPTIONAL or (data.get("type"), name) in OPTIONAL_FOR
            if not optional and data.get(name) in (None, ""):
                self.add_error(name, _("Ce champ est obligatoire."))
        return data

    def command(self) -> dict:
        data = self.cleaned_data
        command = {"type": data["type"]}
        for name in COMMAND_FIELDS[data["type"]]:
            if name == "minutes":
                command["seconds"] = data["minutes"] * 60
            else:
                command[name] = data[name]
        return with_page_id(command, data["page"])


class PromoteForm(DsfrBaseForm):
    cards = ModelMultipleChoiceField(
        label=_("Cartes"),
        queryset=Card.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    clusters = ModelMultipleChoiceField(
        label=_("Regroupements (chacun devient une contribution)"),
        queryset=Cluster.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    theme = ModelChoiceField(
        label=_("Thème"),
        queryset=Theme.objects.none(),
        required=False,
        empty_label=_("Aucun thème en particulier"),
    )

    def __init__(self, *args, session, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        cards = (
            Card.objects.filter(board__session=session, deleted=False)
            .select_related("board", "column")
            .order_by("board__position", "column__position", "position", "id")
        )
        self.fields["cards"].queryset = cards
        self.fields["cards"].label_from_instance = self._card_label
        self.fields["clusters"].queryset = Cluster.objects.filter(
            board__session=session
        ).select_related("board")
        self.fields["theme"].queryset = campaign.themes.all()

    @staticmethod
    def _card_label(card: Card) -> str:
        where = f"{card.board.name} · {card.column.title}"
        state = _(" (masquée)") if card.hidden else ""
        done = _(" — déjà versée") if card.promoted_to_id else ""
        return f"{card.text} [{where}]{state}{done}"

    def clean(self):
        data = super().clean()
        if not data.get("cards") and not data.get("clusters"):
            raise forms.ValidationError(_("Cochez au moins une carte ou un regroupement."))
        return data


class PaperNotesForm(DsfrBaseForm):
    notes = forms.CharField(
        label=_("Notes papier"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=limits(
            gettext_noop(
                "Une note par ligne, recopiée telle qu'écrite (%(max)s caractères au plus par "
                "note)."
            ),
            PAPER_NOTE_MAX_LENGTH,
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
        )

    def clean_notes(self) -> list[str]:
        notes = [" ".join(line.split()) for line in self.cleaned_data["notes"].splitlines()]
        notes = [note for note in notes if note]
        if not notes:
            raise forms.ValidationError(_("Saisissez au moins une note."))
        if len(notes) > PAPER_NOTES_MAX:
            raise forms.ValidationError(
                _("%(max)s notes au plus par envoi."), params={"max": PAPER_NOTES_MAX}
            )
        for number, note in enumerate(notes, start=1):
            if len(note) > PAPER_NOTE_MAX_LENGTH:
                raise forms.ValidationError(
                    _("La note n°%(n)s dépasse %(max)s caractères."),
                    params={"n": number, "max": PAPER_NOTE_MAX_LENGTH},
                )
        return notes
