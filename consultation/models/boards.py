"""Live workshop boards: a session of a workshop, its tables' boards, cards and dot votes.

Every change goes through `consultation.actions.boards`, which appends a numbered `BoardEvent`
to the board's log in the same transaction; clients catch up from that log after a reconnect.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# No 0/O, 1/I/L: a join code is read aloud in a town hall and typed on a phone.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6
CARD_TEXT_MAX = 500


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


class BoardTemplate(models.TextChoices):
    FINDINGS_IDEAS_ACTIONS = "findings_ideas_actions", _("Constats / Idées / Actions")
    SWOT = "swot", _("Atouts / Faiblesses / Opportunités / Menaces")
    FREE = "free", _("Colonnes libres")


TEMPLATE_COLUMNS = {
    BoardTemplate.FINDINGS_IDEAS_ACTIONS: [_("Constats"), _("Idées"), _("Actions")],
    BoardTemplate.SWOT: [_("Atouts"), _("Faiblesses"), _("Opportunités"), _("Menaces")],
}


class Step(models.TextChoices):
    DIVERGENCE = "divergence", _("Expression")
    GROUPING = "grouping", _("Regroupement")
    VOTE = "vote", _("Vote")
    RESTITUTION = "restitution", _("Restitution")


# The steps at which participants add cards (staff add at any step).
WRITING_STEPS = (Step.DIVERGENCE, Step.GROUPING)


class CardColour(models.TextChoices):
    YELLOW = "yellow", _("Jaune")
    GREEN = "green", _("Vert")
    BLUE = "blue", _("Bleu")
    PINK = "pink", _("Rose")
    ORANGE = "orange", _("Orange")
    PURPLE = "purple", _("Violet")


class HideReason(models.TextChoices):
    OFF_TOPIC = "off_topic", _("Hors sujet")
    INSULTING = "insulting", _("Propos injurieux ou discriminatoires")
    PERSONAL_DATA = "personal_data", _("Données personnelles")
    SPAM = "spam", _("Publicité ou spam")
    OTHER = "other", _("Autre motif")


class LiveSession(models.Model):
    """A live board session run by a facilitator during a workshop."""

    class Status(models.TextChoices):
        OPEN = "open", _("En cours")
        CLOSED = "closed", _("Terminée")

    workshop = models.ForeignKey(
        "consultation.Workshop",
        on_delete=models.CASCADE,
        related_name="live_sessions",
        verbose_name=_("atelier"),
    )
    title = models.CharField(_("titre"), max_length=200)
    join_code = models.CharField(_("code pour rejoindre"), max_length=12, unique=True)
    status = models.CharField(
        _("statut"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    template = models.CharField(
        _("modèle de tableau"),
        max_length=32,
        choices=BoardTemplate.choices,
        default=BoardTemplate.FINDINGS_IDEAS_ACTIONS,
    )
    step = models.CharField(
        _("étape"), max_length=16, choices=Step.choices, default=Step.DIVERGENCE
    )
    locked = models.BooleanField(_("verrouillée"), default=False)
    anonymous = models.BooleanField(_("mode anonyme"), default=False)
    guests_allowed = models.BooleanField(_("invité·es sans compte admis"), default=True)
    dot_budget = models.PositiveSmallIntegerField(_("gommettes par personne"), default=5)
    votes_revealed = models.BooleanField(_("votes révélés"), default=False)
    timer_ends_at = models.DateTimeField(_("fin du minuteur"), null=True, blank=True)
    timer_paused_remaining = models.DurationField(
        _("temps restant (minuteur en pause)"), null=True, blank=True
    )
    timer_closes_input = models.BooleanField(_("la fin du minuteur ferme la saisie"), default=False)
    spotlight = models.ForeignKey(
        "consultation.Card",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("carte mise en avant"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("ouverte par"),
    )
    opened_at = models.DateTimeField(_("ouverte le"), default=timezone.now)
    closed_at = models.DateTimeField(_("terminée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("session en direct")
        verbose_name_plural = _("sessions en direct")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(dot_budget__gte=1, dot_budget__lte=50),
                name="live_session_dot_budget_range",
                violation_error_message=_("Entre 1 et 50 gommettes par personne."),
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("frontend:live_session", kwargs={"pk": self.pk})

    @property
    def campaign(self):
        return self.workshop.campaign

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def timer_state(self, now=None) -> str:
        now = now or timezone.now()
        if self.timer_paused_remaining is not None:
            return "paused"
        if self.timer_ends_at is None:
            return "idle"
        return "running" if self.timer_ends_at > now else "ended"

    def timer_remaining(self, now=None) -> timedelta | None:
        now = now or timezone.now()
        if self.timer_paused_remaining is not None:
            return self.timer_paused_remaining
        if self.timer_ends_at is None:
            return None
        return max(self.timer_ends_at - now, timedelta(0))

    def input_closed_by_timer(self, now=None) -> bool:
        return self.timer_closes_input and self.timer_state(now) == "ended"


class Board(models.Model):
    """The board of one table of a session. `seq` numbers its events."""

    session = models.ForeignKey(
        LiveSession, on_delete=models.CASCADE, related_name="boards", verbose_name=_("session")
    )
    name = models.CharField(_("nom"), max_length=120)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    seq = models.BigIntegerField(_("dernier numéro d'événement"), default=0)

    class Meta:
        verbose_name = _("tableau")
        verbose_name_plural = _("tableaux")
        ordering = ["session", "position", "id"]

    def __str__(self) -> str:
        return self.name


class Column(models.Model):
    board = models.ForeignKey(
        Board, on_delete=models.CASCADE, related_name="columns", verbose_name=_("tableau")
    )
    title = models.CharField(_("titre"), max_length=120)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("colonne")
        verbose_name_plural = _("colonnes")
        ordering = ["board", "position", "id"]

    def __str__(self) -> str:
        return self.title


class Cluster(models.Model):
    board = models.ForeignKey(
        Board, on_delete=models.CASCADE, related_name="clusters", verbose_name=_("tableau")
    )
    name = models.CharField(_("nom"), max_length=120)
    colour = models.CharField(
        _("couleur"), max_length=8, choices=CardColour.choices, default=CardColour.BLUE
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("regroupement")
        verbose_name_plural = _("regroupements")
        ordering = ["board", "id"]

    def __str__(self) -> str:
        return self.name


class Participant(models.Model):
    """Someone in a session: a guest with a nickname, or a person with an account."""

    class Role(models.TextChoices):
        PARTICIPANT = "participant", _("Participant·e")
        FACILITATOR = "facilitator", _("Animateur·rice")
        MODERATOR = "moderator", _("Modérateur·rice")

    session = models.ForeignKey(
        LiveSession,
        on_delete=models.CASCADE,
        related_name="participants",
        verbose_name=_("session"),
    )
    board = models.ForeignKey(
        Board,
        on_delete=models.CASCADE,
        related_name="participants",
        verbose_name=_("table"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="live_participations",
        verbose_name=_("compte"),
    )
    nickname = models.CharField(_("pseudonyme"), max_length=40)
    role = models.CharField(
        _("rôle"), max_length=16, choices=Role.choices, default=Role.PARTICIPANT
    )
    # Only a hash: a leaked database must not let anyone speak as a guest.
    guest_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    email = models.EmailField(
        _("courriel pour être tenu·e informé·e"), blank=True, help_text=_("Facultatif.")
    )
    joined_at = models.DateTimeField(_("arrivé·e le"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("vu·e pour la dernière fois"), null=True, blank=True)
    removed_at = models.DateTimeField(_("retiré·e le"), null=True, blank=True)

    class Meta:
        verbose_name = _("participant·e en direct")
        verbose_name_plural = _("participant·es en direct")
        ordering = ["session", "joined_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user"],
                condition=Q(user__isnull=False),
                name="one_participant_per_account_and_session",
            )
        ]

    def __str__(self) -> str:
        return self.nickname

    @property
    def is_staff_role(self) -> bool:
        return self.role in (self.Role.FACILITATOR, self.Role.MODERATOR)

    @property
    def is_facilitator(self) -> bool:
        return self.role == self.Role.FACILITATOR


class Card(models.Model):
    """A sticky note. `key` is the client-generated id of the command that created it."""

    board = models.ForeignKey(
        Board, on_delete=models.CASCADE, related_name="cards", verbose_name=_("tableau")
    )
    column = models.ForeignKey(
        Column, on_delete=models.CASCADE, related_name="cards", verbose_name=_("colonne")
    )
    cluster = models.ForeignKey(
        Cluster,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cards",
        verbose_name=_("regroupement"),
    )
    author = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="cards", verbose_name=_("auteur·rice")
    )
    key = models.UUIDField(_("identifiant client"))
    text = models.TextField(_("texte"), max_length=CARD_TEXT_MAX)
    colour = models.CharField(
        _("couleur"), max_length=8, choices=CardColour.choices, default=CardColour.YELLOW
    )
    position = models.IntegerField(_("position"), default=0)
    step = models.CharField(_("étape"), max_length=16, choices=Step.choices)
    hidden = models.BooleanField(_("masquée"), default=False)
    hidden_reason = models.CharField(
        _("motif de masquage"), max_length=16, choices=HideReason.choices, blank=True
    )
    deleted = models.BooleanField(_("supprimée"), default=False)
    promoted_to = models.ForeignKey(
        "consultation.Contribution",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="source_cards",
        verbose_name=_("versée comme contribution"),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("carte")
        verbose_name_plural = _("cartes")
        ordering = ["board", "column", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["board", "key"], name="one_card_per_client_key")
        ]

    def __str__(self) -> str:
        return self.text[:60]


class DotVote(models.Model):
    """One dot placed on a card; a participant may stack several, within the session's budget."""

    card = models.ForeignKey(
        Card, on_delete=models.CASCADE, related_name="dots", verbose_name=_("carte")
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="dots", verbose_name=_("participant·e")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("gommette")
        verbose_name_plural = _("gommettes")

    def __str__(self) -> str:
        return f"{self.participant_id} → {self.card_id}"


class BoardEvent(models.Model):
    """One numbered change of a board, as each audience must see it (for catch-up)."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="events")
    seq = models.BigIntegerField()
    kind = models.CharField(max_length=32)
    staff = models.JSONField()
    participant = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("événement de tableau")
        verbose_name_plural = _("événements de tableau")
        ordering = ["board", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["board", "seq"], name="one_event_per_board_seq")
        ]

    def __str__(self) -> str:
        return f"{self.board_id} #{self.seq} {self.kind}"


class CommandReceipt(models.Model):
    """A command already applied: a resent command gets the same answer and changes nothing."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    command_id = models.UUIDField()
    seq = models.BigIntegerField(null=True)
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "command_id"], name="one_receipt_per_command"
            )
        ]

    def __str__(self) -> str:
        return str(self.command_id)
