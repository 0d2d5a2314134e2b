import pytest

from tests.oidc_provider import PersonAtProvider
from tests.oidc_provider.fixtures import *  # noqa: F403 (the provider fixtures)


@pytest.fixture
def franceconnect(settings, franceconnect_provider):
    """FranceConnect on, pointing at the test provider (ProConnect off)."""
    settings.OIDC_PROVIDERS = {"franceconnect": franceconnect_provider.django_settings()}
    return franceconnect_provider


@pytest.fixture
def proconnect(settings, proconnect_provider):
    settings.OIDC_PROVIDERS = {"proconnect": proconnect_provider.django_settings()}
    return proconnect_provider


@pytest.fixture
def person_at(request):
    """person_at(provider): a fresh browser at that provider, closed after the test."""
    people = []

    def make(provider):
        people.append(PersonAtProvider(provider))
        return people[-1]

    yield make
    for person in people:
        person.close()
