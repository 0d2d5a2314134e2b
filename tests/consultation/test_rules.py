"""The permission table: every role x every campaign state x every permission.

The expected table is written out by hand, row by row, so a change in a predicate shows up as a
failing cell rather than being re-derived by the test.
"""

from datetime import timedelta

import pytest
import rules
from django.utils import timezone

from consultation.errors import PermissionRefused
from consultation.models import Campaign, CampaignRole, Phase
from consultation.rules import check_permission
from tests import factories

# "unverified": a resident who has not opened the link sent to their address yet.
ROLES = [
    "anonymous",
    "unverified",
    "resident",
    "facilitator",
    "moderator",
    "organiser",
    "superuser",
]

# Campaign states: "contribution" = published, in a phase allowing everything;
# "information" = published, in a phase allowing nothing; "between" = published, no phase
# running; "closed" = closed campaign, even with its contribution phase still dated now;
# "draft" = not published yet.
STATES = ["contribution", "information", "between", "closed", "draft"]

Y, N = True, False
# permission -> state -> allowed per role, in the order of ROLES
TABLE = {
    "view_campaign": {
        "contribution": [Y, Y, Y, Y, Y, Y, Y],
        "information": [Y, Y, Y, Y, Y, Y, Y],
        "between": [Y, Y, Y, Y, Y, Y, Y],
        "closed": [Y, Y, Y, Y, Y, Y, Y],
        "draft": [N, N, N, Y, Y, Y, Y],
    },
    "contribute": {
        "contribution": [N, N, Y, Y, Y, Y, Y],
        "information": [N, N, N, N, N, Y, Y],
        "between": [N, N, N, N, N, Y, Y],
        "closed": [N, N, N, N, N, Y, Y],
        "draft": [N, N, N, N, N, Y, Y],
    },
    "comment": {
        "contribution": [N, N, Y, Y, Y, Y, Y],
        "information": [N, N, N, N, Y, Y, Y],
        "between": [N, N, N, N, Y, Y, Y],
        "closed": [N, N, N, N, Y, Y, Y],
        "draft": [N, N, N, N, Y, Y, Y],
    },
    "support": {
        "contribution": [N, N, Y, Y, Y, Y, Y],
        "information": [N, N, N, N, N, N, N],
        "between": [N, N, N, N, N, N, N],
        "closed": [N, N, N, N, N, N, N],
        "draft": [N, N, N, N, N, N, N],
    },
    "vote_statement": {
        "contribution": [N, N, Y, Y, Y, Y, Y],
        "information": [N, N, N, N, N, N, N],
        "between": [N, N, N, N, N, N, N],
        "closed": [N, N, N, N, N, N, N],
        "draft": [N, N, N, N, N, N, N],
    },
    "propose_statement": {
        "contribution": [N, N, Y, Y, Y, Y, Y],
        "information": [N, N, N, N, Y, Y, Y],
        "between": [N, N, N, N, Y, Y, Y],
        "closed": [N, N, N, N, Y, Y, Y],
        "draft": [N, N, N, N, Y, Y, Y],
    },
    "answer": {state: [N, N, N, N, N, Y, Y] for state in STATES},
    "manage_campaign": {state: [N, N, N, N, N, Y, Y] for state in STATES},
    "moderate": {state: [N, N, N, N, Y, Y, Y] for state in STATES},
    "publish_opinion_groups": {state: [N, N, N, N, N, Y, Y] for state in STATES},
    "report": {
        "contribution": [N, N, Y, Y, Y, Y, Y],
        "information": [N, N, Y, Y, Y, Y, Y],
        "between": [N, N, Y, Y, Y, Y, Y],
        "closed": [N, N, Y, Y, Y, Y, Y],
        "draft": [N, N, N, N, N, N, N],
    },
}


def _make_state(state: str) -> Campaign:
    now = timezone.now()
    status = {"closed": Campaign.Status.CLOSED, "draft": Campaign.Status.DRAFT}.get(
        state, Campaign.Status.PUBLISHED
    )
    campaign = factories.CampaignFactory(status=status)
    if state == "information":
        factories.PhaseFactory(
            campaign=campaign,
            kind=Phase.Kind.INFORMATION,
            allows_contributions=False,
            allows_comments=False,
            allows_supports=False,
            allows_votes=False,
        )
    elif state == "between":
        factories.PhaseFactory(
            campaign=campaign, starts_at=now - timedelta(days=20), ends_at=now - timedelta(days=1)
        )
    else:
        factories.PhaseFactory(campaign=campaign)
    return campaign


def _make_person(role: str, campaign: Campaign):
    from django.contrib.auth.models import AnonymousUser

    if role == "anonymous":
        return AnonymousUser()
    if role == "superuser":
        return factories.UserFactory(is_superuser=True, is_staff=True)
    if role == "unverified":
        return factories.UserFactory(email_verified_at=None)
    user = factories.UserFactory()
    if role != "resident":
        CampaignRole.objects.create(campaign=campaign, user=user, role=role)
    return user


def _target(permission: str, campaign: Campaign):
    if permission in {"comment", "support", "answer", "moderate", "report"}:
        return factories.ContributionFactory(campaign=campaign)
    if permission == "vote_statement":
        return factories.StatementFactory(campaign=campaign)
    return campaign


CELLS = [
    (permission, state, role_index)
    for permission in TABLE
    for state in STATES
    for role_index in range(len(ROLES))
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("permission", "state", "role_index"),
    CELLS,
    ids=[f"{p}-{s}-{ROLES[r]}" for p, s, r in CELLS],
)
def test_permission_table(permission, state, role_index):
    campaign = _make_state(state)
    person = _make_person(ROLES[role_index], campaign)
    target = _target(permission, campaign)
    expected = TABLE[permission][state][role_index]

    # rules.has_perm, not user.has_perm: Django grants active superusers every permission
    # before asking any backend; the rule set is what actions enforce.
    assert rules.has_perm(f"consultation.{permission}", person, target) is expected
    if expected:
        check_permission(person, permission, target)
    else:
        with pytest.raises(PermissionRefused) as refused:
            check_permission(person, permission, target)
        assert refused.value.message  # a French sentence the person can read


def test_refusals_say_why_in_french(db, anonymous, resident):
    campaign = _make_state("information")
    with pytest.raises(PermissionRefused, match="Connectez-vous") as refused:
        check_permission(anonymous, "contribute", campaign)
    assert refused.value.needs_login
    with pytest.raises(PermissionRefused, match="ne permet pas de déposer"):
        check_permission(resident, "contribute", campaign)
    closed = _make_state("closed")
    with pytest.raises(PermissionRefused, match="n'est pas ouverte"):
        check_permission(resident, "contribute", closed)


def test_roles_in_one_campaign_do_not_reach_another(db):
    campaign, other = _make_state("contribution"), _make_state("contribution")
    organiser = _make_person("organiser", campaign)
    assert organiser.has_perm(
        "consultation.answer", factories.ContributionFactory(campaign=campaign)
    )
    assert not organiser.has_perm(
        "consultation.answer", factories.ContributionFactory(campaign=other)
    )


def test_a_workshop_in_the_past_takes_no_registration(db, resident, workshop):
    assert resident.has_perm("consultation.register_workshop", workshop)
    workshop.starts_at = timezone.now() - timedelta(hours=1)
    assert not resident.has_perm("consultation.register_workshop", workshop)
    workshop.starts_at = timezone.now() + timedelta(days=1)
    workshop.registrations_open = False
    assert not resident.has_perm("consultation.register_workshop", workshop)


def test_an_unverified_account_is_told_how_to_verify(db, unverified_resident, campaign):
    proposal = factories.ContributionFactory(campaign=campaign)
    for permission, target in [
        ("contribute", campaign),
        ("comment", proposal),
        ("report", proposal),
    ]:
        with pytest.raises(PermissionRefused, match="Confirmez d'abord votre adresse") as refused:
            check_permission(unverified_resident, permission, target)
        assert "« Mon compte »" in refused.value.message
        assert not refused.value.needs_login


def test_a_deleted_account_or_one_without_email_counts_as_unverified(db, resident, campaign):
    resident.email = None
    assert not rules.has_perm("consultation.contribute", resident, campaign)
    resident.email, resident.deleted_at = "camille@exemple.fr", timezone.now()
    assert not rules.has_perm("consultation.contribute", resident, campaign)
