from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from consultation.actions._validation import require_text
from consultation.errors import ActionRefused
from consultation.models import (
    Comment,
    Contribution,
    Follow,
    Registration,
    Statement,
    StatementVote,
    Support,
    User,
)


def sign_up(*, email: str, password: str, display_name: str, postal_code: str = "") -> User:
    display_name = require_text(
        display_name, field="display_name", label="Nom affiché", min_length=2, max_length=60
    )
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ActionRefused(
            "Adresse électronique invalide.", code="invalid_email", field="email"
        ) from exc
    if User.objects.filter(email=email).exists():
        raise ActionRefused(
            "Un compte existe déjà avec cette adresse électronique.",
            code="email_taken",
            field="email",
        )
    postal_code = _postal_code(postal_code)
    candidate = User(email=email, display_name=display_name)
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        raise ActionRefused(" ".join(exc.messages), code="weak_password", field="password") from exc
    return User.objects.create_user(
        email=email, password=password, display_name=display_name, postal_code=postal_code
    )


def _postal_code(value) -> str:
    postal_code = (value or "").strip()
    if postal_code and not (postal_code.isdigit() and len(postal_code) == 5):
        raise ActionRefused(
            "Le code postal doit comporter 5 chiffres.", code="invalid", field="postal_code"
        )
    return postal_code


def update_profile(user: User, *, display_name: str, postal_code: str = "") -> User:
    """Change what the person shows publicly (display name) and their optional postal code."""
    display_name = require_text(
        display_name, field="display_name", label="Nom affiché", min_length=2, max_length=60
    )
    postal_code = _postal_code(postal_code)
    user.display_name, user.postal_code = display_name, postal_code
    user.save(update_fields=["display_name", "postal_code"])
    return user


@transaction.atomic
def delete_account(user: User) -> None:
    """Anonymise the account: contributions, comments, supports and votes stay, signed
    "Participant·e supprimé·e"; email, name, postal code, follows, registrations and API
    tokens are erased, and the person can no longer log in."""
    Follow.objects.filter(user=user).delete()
    Registration.objects.filter(user=user).delete()
    Token.objects.filter(user=user).delete()
    user.email = None
    user.display_name = ""
    user.postal_code = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.deleted_at = timezone.now()
    user.set_unusable_password()
    user.save()
    user.campaign_roles.all().delete()


def export_personal_data(user: User) -> dict:
    """Everything the platform holds about a person, for the "Mes données" download."""

    def when(value):
        return value.isoformat() if value else None

    return {
        "compte": {
            "adresse_electronique": user.email,
            "nom_affiche": user.display_name,
            "code_postal": user.postal_code,
            "inscrit_le": when(user.date_joined),
            "derniere_connexion": when(user.last_login),
        },
        "contributions": [
            {
                "id": c.pk,
                "campagne": c.campaign.slug,
                "type": c.kind,
                "titre": c.title,
                "texte": c.body,
                "deposee_le": when(c.created_at),
                "moderation": c.visibility,
            }
            for c in Contribution.objects.filter(author=user).select_related("campaign")
        ],
        "commentaires": [
            {
                "id": c.pk,
                "contribution": c.contribution_id,
                "texte": c.body,
                "position": c.alignment,
                "publie_le": when(c.created_at),
            }
            for c in Comment.objects.filter(author=user)
        ],
        "soutiens": [
            {"contribution": s.contribution_id, "le": when(s.created_at)}
            for s in Support.objects.filter(user=user)
        ],
        "affirmations_proposees": [
            {"id": s.pk, "texte": s.text} for s in Statement.objects.filter(author=user)
        ],
        "votes": [
            {"affirmation": v.statement_id, "vote": v.choice, "le": when(v.updated_at)}
            for v in StatementVote.objects.filter(user=user)
        ],
        "suivis": list(Follow.objects.filter(user=user).values_list("contribution_id", flat=True)),
        "inscriptions_ateliers": [
            {"atelier": r.workshop.title, "statut": r.status, "le": when(r.created_at)}
            for r in Registration.objects.filter(user=user).select_related("workshop")
        ],
    }
