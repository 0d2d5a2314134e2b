"""pytest fixtures: a FranceConnect-like and a ProConnect-like provider per test session.

Import them in a conftest.py (`from tests.oidc_provider.fixtures import *`)."""

import pytest

from tests.conftest import IN_CI
from tests.oidc_provider import OidcProvider, install_node_modules, node_missing

__all__ = ["franceconnect_provider", "proconnect_provider", "start_provider"]


def start_provider(profile: str) -> OidcProvider:
    if reason := node_missing():
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    install_node_modules()
    return OidcProvider(profile).start()


@pytest.fixture(scope="session")
def franceconnect_provider():
    provider = start_provider("franceconnect")
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def proconnect_provider():
    provider = start_provider("proconnect")
    yield provider
    provider.stop()
