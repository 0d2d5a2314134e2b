"""What the platform holds about a person: the "Mes données" export and account deletion."""

from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

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
