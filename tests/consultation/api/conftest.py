import pytest
from rest_framework.test import APIClient

from tests import factories


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Dozens of accounts per test: the production hasher would make the suite crawl.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api():
    """An anonymous API client."""
    return APIClient()


@pytest.fixture
def api_as():
    """api_as(user) -> an API client logged in as that person (token-less, like a session)."""

    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def other_campaign(db):
    campaign = factories.CampaignFactory(title="Concertation voisine")
    factories.PhaseFactory(campaign=campaign)
    return campaign


def close_phases(campaign):
    """Move every phase of the campaign to the past: nothing is allowed any more."""
    from datetime import timedelta

    from django.utils import timezone

    past = timezone.now() - timedelta(days=1)
    campaign.phases.update(starts_at=past - timedelta(days=10), ends_at=past)
