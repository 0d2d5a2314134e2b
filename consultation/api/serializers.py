"""Input serializers check the shape of a request; output serializers render rows.

No business rule lives here: the actions decide. Output serializers read only what the
querysets annotate or select (counts, authors, answers), so a page costs a fixed number of
queries. Residents write plain text: it is returned as typed, and JSON escapes nothing, so
clients must render it as text.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from consultation.actions.contributions import RESIDENT_KINDS
from consultation.models import (
    Area,
    Campaign,
    Comment,
    Commune,
    Contribution,
    OfficialAnswer,
    Phase,
    Registration,
    Statement,
    StatementVote,
    Theme,
    Workshop,
)
from consultation.models.contributions import (
    BODY_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
)
from consultation.models.statements import STATEMENT_MAX_LENGTH
from consultation.rules import workshop_takes_registrations

ALIGNMENTS = {
    "for": Comment.Alignment.FOR,
    "neutral": Comment.Alignment.NEUTRAL,
    "against": Comment.Alignment.AGAINST,
}
ALIGNMENT_NAMES = {value: name for name, value in ALIGNMENTS.items()}
VOTE_CHOICES = {
    "agree": StatementVote.Choice.AGREE,
    "disagree": StatementVote.Choice.DISAGREE,
    "pass": StatementVote.Choice.PASS,
}
VOTE_NAMES = {value: name for name, value in VOTE_CHOICES.items()}


class TextField(serializers.CharField):
    """A text typed by a person: a JSON string, nothing else (no number, list or object)."""

    default_error_messages = {"invalid": "Un texte est attendu."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def _choice_help(choices) -> str:
    return ", ".join(f"« {value} » ({label})" for value, label in choices)


# --- Territories and campaigns -------------------------------------------------------------


class AreaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Area
        fields = ["slug", "name", "kind", "description"]


class CommuneSerializer(serializers.ModelSerializer):
    area = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Commune
        fields = ["insee_code", "name", "postal_code", "area"]


class CommuneRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Commune
        fields = ["insee_code", "name"]


class ThemeSerializer(serializers.ModelSerializer):
    campaign = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Theme
        fields = ["slug", "name", "description", "position", "campaign"]


class ThemeRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Theme
        fields = ["slug", "name"]


class PhaseSerializer(serializers.ModelSerializer):
    is_current = serializers.SerializerMethodField(help_text="La phase est-elle en cours ?")

    class Meta:
        model = Phase
        fields = [
            "id",
            "kind",
            "title",
            "description",
            "position",
            "starts_at",
            "ends_at",
            "is_current",
            "allows_contributions",
            "allows_comments",
            "allows_supports",
            "allows_votes",
        ]

    def get_is_current(self, phase: Phase) -> bool:
        return phase.is_current(self.context.get("now"))


class CampaignSerializer(serializers.ModelSerializer):
    """Read phases, themes and areas from prefetched rows (see CampaignViewSet)."""

    organisation = serializers.CharField(source="organisation.name", read_only=True)
    phases = PhaseSerializer(many=True, read_only=True)
    themes = ThemeRefSerializer(many=True, read_only=True)
    areas = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    current_phase = serializers.SerializerMethodField(
        help_text="La phase en cours, ou null entre deux phases."
    )

    class Meta:
        model = Campaign
        fields = [
            "slug",
            "title",
            "summary",
            "context",
            "organisation",
            "status",
            "moderation_mode",
            "visibility",
            "starts_at",
            "ends_at",
            "current_phase",
            "phases",
            "themes",
            "areas",
        ]
        extra_kwargs = {"context": {"help_text": "HTML simple, nettoyé par l'équipe."}}

    @extend_schema_field(PhaseSerializer(allow_null=True))
    def get_current_phase(self, campaign: Campaign):
        phase = campaign.current_phase(self.context.get("now"))
        return PhaseSerializer(phase, context=self.context).data if phase else None


# --- Contributions ---------------------------------------------------------------------------


class AnswerSerializer(serializers.ModelSerializer):
    class Meta:
        model = OfficialAnswer
        fields = ["status", "body", "published_at", "updated_at"]


class ContributionSerializer(serializers.ModelSerializer):
    """Needs a queryset from Contribution.objects.for_listing() (counts and relations)."""

    campaign = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    theme = ThemeRefSerializer(read_only=True, allow_null=True)
    commune = CommuneRefSerializer(read_only=True, allow_null=True)
    area = serializers.SlugRelatedField(
        source="commune.area", slug_field="slug", read_only=True, allow_null=True
    )
    author = serializers.CharField(source="signature", read_only=True)
    supports_count = serializers.IntegerField(read_only=True)
    comments_count = serializers.IntegerField(read_only=True)
    answer = serializers.SerializerMethodField(help_text="La réponse officielle, ou null.")

    class Meta:
        model = Contribution
        fields = [
            "id",
            "campaign",
            "kind",
            "title",
            "body",
            "theme",
            "commune",
            "area",
            "author",
            "provenance",
            "visibility",
            "created_at",
            "supports_count",
            "comments_count",
            "answer",
        ]

    @extend_schema_field(AnswerSerializer(allow_null=True))
    def get_answer(self, contribution: Contribution):
        answer = getattr(contribution, "answer", None)
        return AnswerSerializer(answer).data if answer else None


class ContributionInputSerializer(serializers.Serializer):
    campaign = serializers.SlugField(label="Campagne", help_text="Identifiant de la campagne.")
    kind = serializers.ChoiceField(
        label="Type de contribution",
        choices=[(kind.value, kind.label) for kind in RESIDENT_KINDS],
    )
    title = TextField(label="Titre", max_length=TITLE_MAX_LENGTH)
    body = TextField(label="Texte", max_length=BODY_MAX_LENGTH)
    theme = serializers.SlugField(
        label="Thème", required=False, allow_null=True, help_text="Un thème de la campagne."
    )
    commune = serializers.RegexField(
        r"^[0-9][0-9AB][0-9]{3}$",
        label="Commune",
        required=False,
        allow_null=True,
        help_text="Code INSEE de la commune (5 caractères).",
        error_messages={"invalid": "Code INSEE invalide (5 caractères, ex. 62588)."},
    )


class SupportResultSerializer(serializers.Serializer):
    supported = serializers.BooleanField()
    supports_count = serializers.IntegerField()


class FollowResultSerializer(serializers.Serializer):
    following = serializers.BooleanField()


class AnswerInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(label="Statut", choices=OfficialAnswer.Status.choices)
    body = TextField(label="Réponse", max_length=BODY_MAX_LENGTH)


# --- Comments --------------------------------------------------------------------------------


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="signature", read_only=True)
    alignment = serializers.SerializerMethodField(help_text="« for », « against » ou « neutral ».")
    parent = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Comment
        fields = [
            "id",
            "contribution",
            "parent",
            "author",
            "body",
            "alignment",
            "visibility",
            "created_at",
        ]

    def get_alignment(self, comment: Comment) -> str:
        return ALIGNMENT_NAMES[comment.alignment]


class CommentPageSerializer(serializers.Serializer):
    """One page of a thread, as every paginated list of the API."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CommentSerializer(many=True)


class CommentInputSerializer(serializers.Serializer):
    body = TextField(label="Commentaire", max_length=COMMENT_MAX_LENGTH)
    alignment = serializers.ChoiceField(
        label="Position",
        choices=[("for", "Pour"), ("against", "Contre"), ("neutral", "Neutre")],
        default="neutral",
    )
    parent = serializers.IntegerField(
        label="En réponse à",
        required=False,
        allow_null=True,
        min_value=1,
        help_text="Identifiant du commentaire auquel on répond.",
    )


# --- Statements and votes --------------------------------------------------------------------


class StatementSerializer(serializers.ModelSerializer):
    """Needs a queryset from Statement.objects.with_vote_counts() and the my_vote annotation."""

    campaign = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    agree_count = serializers.IntegerField(read_only=True)
    disagree_count = serializers.IntegerField(read_only=True)
    pass_count = serializers.IntegerField(read_only=True)
    my_vote = serializers.SerializerMethodField(
        help_text="Votre vote (« agree », « disagree », « pass ») ou null."
    )

    class Meta:
        model = Statement
        fields = [
            "id",
            "campaign",
            "text",
            "visibility",
            "created_at",
            "agree_count",
            "disagree_count",
            "pass_count",
            "my_vote",
        ]

    @extend_schema_field(
        serializers.ChoiceField(choices=list(VOTE_NAMES.values()), allow_null=True)
    )
    def get_my_vote(self, statement: Statement) -> str | None:
        choice = getattr(statement, "my_vote", None)
        return None if choice is None else VOTE_NAMES[choice]


class StatementInputSerializer(serializers.Serializer):
    campaign = serializers.SlugField(label="Campagne")
    text = TextField(label="Affirmation", max_length=STATEMENT_MAX_LENGTH)


class VoteInputSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(
        label="Vote",
        choices=[("agree", "D'accord"), ("disagree", "Pas d'accord"), ("pass", "Je passe")],
    )


class VoteResultSerializer(serializers.Serializer):
    choice = serializers.CharField(help_text="« agree », « disagree » ou « pass ».")
    agree_count = serializers.IntegerField()
    disagree_count = serializers.IntegerField()
    pass_count = serializers.IntegerField()


# --- Workshops and registrations -------------------------------------------------------------


class WorkshopSerializer(serializers.ModelSerializer):
    """Needs with_registration_counts() and the my_registration annotation."""

    campaign = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    commune = CommuneRefSerializer(read_only=True)
    confirmed_count = serializers.IntegerField(read_only=True)
    waiting_count = serializers.IntegerField(read_only=True)
    places_left = serializers.SerializerMethodField(help_text="Places encore libres.")
    my_registration = serializers.SerializerMethodField(
        help_text="Votre inscription : « confirmed », « waiting », ou null."
    )
    takes_registrations = serializers.SerializerMethodField(
        help_text="Peut-on encore s'inscrire (inscriptions ouvertes et atelier à venir) ?"
    )

    class Meta:
        model = Workshop
        fields = [
            "id",
            "campaign",
            "title",
            "description",
            "audience",
            "venue",
            "address",
            "commune",
            "starts_at",
            "ends_at",
            "capacity",
            "registrations_open",
            "waiting_list",
            "takes_registrations",
            "confirmed_count",
            "waiting_count",
            "places_left",
            "my_registration",
        ]

    def get_places_left(self, workshop: Workshop) -> int:
        return max(workshop.capacity - workshop.confirmed_count, 0)

    @extend_schema_field(
        serializers.ChoiceField(
            choices=[Registration.Status.CONFIRMED, Registration.Status.WAITING], allow_null=True
        )
    )
    def get_my_registration(self, workshop: Workshop) -> str | None:
        status = getattr(workshop, "my_registration", None)
        return None if status in (None, Registration.Status.CANCELLED) else status

    def get_takes_registrations(self, workshop: Workshop) -> bool:
        return workshop_takes_registrations.test(None, workshop)


class RegistrationResultSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="« confirmed » (place obtenue) ou « waiting ».")
    workshop = WorkshopSerializer()


# --- Authentication --------------------------------------------------------------------------


class TokenInputSerializer(serializers.Serializer):
    email = TextField(label="Adresse électronique", max_length=254)
    password = TextField(label="Mot de passe", max_length=4096, trim_whitespace=False)
    code = TextField(
        label="Code de double authentification",
        max_length=16,
        required=False,
        help_text="Obligatoire pour les comptes de l'équipe : le code à 6 chiffres de "
        "l'application d'authentification, ou un code de secours.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="À envoyer dans l'en-tête « Authorization: Token … ».")
