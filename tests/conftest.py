"""Named personas and an open campaign, shared by every test.

The campaign is published and in its contribution phase (everything allowed); tests that need
another state change it explicitly.
"""

import os
import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache

from consultation.models import CampaignRole
from tests import factories

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's cost is the point in production and pure waste in tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate-limit counters live in the cache: each test starts with fresh counters.
    cache.clear()
    # And what a process remembers of them (participants known to be over their budget).
    from realtime import limits

    limits._budgets.clear()
    yield


class _OneWindowClock:
    """`time` for the rate-limit modules, stopped at one instant: counters are per fixed window
    (a minute, an hour), and a test that ran across a window's end saw its counts restart (CI
    once got 200 where the 4th request of a "3/min" limit is a 429)."""

    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now

    def __getattr__(self, name):
        return getattr(time, name)


@pytest.fixture(autouse=True)
def _rate_limit_windows_do_not_end_mid_test(monkeypatch):
    # Half past the minute, and the hour: every window has time left (Retry-After > 0).
    clock = _OneWindowClock(time.time() // 3600 * 3600 + 1830.5)
    monkeypatch.setattr("consultation.ratelimit.time", clock)
    monkeypatch.setattr("consultation.api.throttles.time", clock)
    monkeypatch.setattr("realtime.limits.time", clock)
    monkeypatch.setattr("consultation.identity.throttle.time", clock)


@pytest.fixture
def campaign(db):
    campaign = factories.CampaignFactory()
    factories.PhaseFactory(campaign=campaign)
    return campaign


@pytest.fixture
def area(db):
    return factories.AreaFactory()


@pytest.fixture
def commune(area):
    return factories.CommuneFactory(area=area, name="Montreuil-sur-Mer", insee_code="62588")


@pytest.fixture
def theme(campaign):
    return factories.ThemeFactory(campaign=campaign)


@pytest.fixture
def resident(db):
    return factories.UserFactory(display_name="Camille", email="camille@exemple.fr")


@pytest.fixture
def unverified_resident(db):
    """Signed up, never opened the link sent to the address: may not publish, gets no mail."""
    return factories.UserFactory(
        display_name="Sacha", email="sacha@exemple.fr", email_verified_at=None
    )


@pytest.fixture
def other_resident(db):
    return factories.UserFactory(display_name="Dominique", email="dominique@exemple.fr")


@pytest.fixture
def anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


def _staff(campaign, role, name):
    user = factories.UserFactory(display_name=name, email=f"{role}@prefecture.gouv.fr")
    CampaignRole.objects.create(campaign=campaign, user=user, role=role)
    return user


@pytest.fixture
def organiser(campaign):
    return _staff(campaign, CampaignRole.Role.ORGANISER, "Préfecture (organisation)")


@pytest.fixture
def moderator(campaign):
    return _staff(campaign, CampaignRole.Role.MODERATOR, "Équipe de modération")


@pytest.fixture
def facilitator(campaign):
    return _staff(campaign, CampaignRole.Role.FACILITATOR, "Animation des ateliers")


@pytest.fixture
def proposal(campaign, other_resident):
    return factories.ContributionFactory(campaign=campaign, author=other_resident)


@pytest.fixture
def statement(campaign):
    return factories.StatementFactory(campaign=campaign)


@pytest.fixture
def workshop(campaign, commune):
    return factories.WorkshopFactory(campaign=campaign, commune=commune, capacity=2)


@pytest.fixture
def live_session(facilitator, workshop):
    """An open live session of the workshop, one board ("Plénière") with three columns."""
    from consultation.actions.boards import open_session

    return open_session(facilitator, workshop, title="Atelier en direct de Béthune")


@pytest.fixture
def board(live_session):
    return live_session.boards.get()


@pytest.fixture
def guest(live_session):
    """A participant without an account, joined with the code; `guest.token` is their token."""
    from consultation.actions.boards import join_session

    participant, token = join_session(AnonymousUser(), live_session.join_code, nickname="Camille")
    participant.token = token
    return participant


def require_postgresql(connection):
    """Skip on SQLite on a laptop; in CI a missing PostgreSQL is a failure, never a skip."""
    if connection.vendor != "postgresql":
        message = "ce test a besoin de PostgreSQL (lancé par la passe « services » de make test)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
