from django.db import connection
from django.utils import timezone

from consultation.models import Contribution, Support, User
from consultation.rules import check_permission


def add_support(user: User, contribution: Contribution) -> bool:
    """Support a proposal. Returns True if a support was added, False if it already existed.

    One INSERT ... ON CONFLICT DO NOTHING: the unique constraint makes concurrent identical
    requests leave exactly one row, with no lock on the contribution, so a hot proposal does
    not serialise its supporters.
    """
    check_permission(user, "support", contribution)
    table = Support._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (contribution_id, user_id, created_at) VALUES (%s, %s, %s) "  # noqa: S608
            "ON CONFLICT (contribution_id, user_id) DO NOTHING RETURNING id",
            [contribution.pk, user.pk, timezone.now()],
        )
        return cursor.fetchone() is not None


def remove_support(user: User, contribution: Contribution) -> bool:
    """Withdraw one's support. Returns True if there was one."""
    check_permission(user, "support", contribution)
    deleted, _ = Support.objects.filter(contribution=contribution, user=user).delete()
    return deleted > 0
