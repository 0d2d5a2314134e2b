"""sign_in_with_provider: which account a FranceConnect or ProConnect person gets. The whole
flow against a real provider is in tests/consultation/identity/test_oidc.py; here, the
account rules and the bad input a provider could send."""

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from consultation.actions.identity import sign_in_with_provider
from consultation.actions.privacy import delete_account
from consultation.errors import ActionRefused
from consultation.models import ExternalIdentity, User
from tests import factories

pytestmark = pytest.mark.django_db


def camille(**overrides):
    claims = {
        "provider": "franceconnect",
        "subject": "fc-camille",
        "email": "Camille.Martin@Example.fr ",
        "given_name": "Camille",
        "family_name": "Martin",
    }
    return sign_in_with_provider(**{**claims, **overrides})


def test_a_new_person_gets_a_verified_account_without_password():
    user = camille()
    assert user.email == "camille.martin@example.fr"
    assert user.has_verified_email
    assert not user.has_usable_password()
    assert user.display_name == "Camille"


def test_the_same_subject_finds_the_same_account_and_takes_new_names():
    first = camille()
    again = camille(given_name="Camille Marie", family_name="Martin-Durand")
    assert again.pk == first.pk
    assert (again.given_name, again.family_name) == ("Camille Marie", "Martin-Durand")
    assert again.display_name == "Camille"  # chosen once; the person changes it in Mon compte
    assert ExternalIdentity.objects.count() == 1


def test_a_linked_account_keeps_the_address_its_owner_chose_since():
    user = camille()
    user.email = "camille.perso@example.fr"
    user.save()
    assert camille().email == "camille.perso@example.fr"


@pytest.mark.parametrize("email", ["", None, "pas-une-adresse", "a@b"])
def test_it_refuses_a_missing_or_bad_email(email):
    with pytest.raises(ActionRefused, match="n'a pas transmis d'adresse électronique valable"):
        camille(email=email)
    assert not User.objects.exists()


def test_a_verified_account_with_that_email_is_linked_not_duplicated():
    existing = factories.UserFactory(
        email="camille.martin@example.fr", email_verified_at=timezone.now()
    )
    token = Token.objects.create(user=existing)
    user = camille()
    assert user.pk == existing.pk
    assert user.check_password("mot-de-passe-solide-42")
    assert Token.objects.filter(key=token.key).exists()


def test_an_unverified_account_with_that_email_loses_what_its_opener_set():
    squatted = factories.UserFactory(
        email="camille.martin@example.fr", display_name="Faux nom", email_verified_at=None
    )
    Token.objects.create(user=squatted)
    user = camille()
    assert user.pk == squatted.pk
    assert user.has_verified_email
    assert not user.has_usable_password()
    assert user.display_name == "Camille"
    assert not Token.objects.filter(user=user).exists()


def test_an_account_already_linked_to_another_person_at_the_provider_is_refused():
    camille()
    with pytest.raises(ActionRefused, match="déjà relié à une autre identité FranceConnect"):
        camille(subject="fc-someone-else")
    assert ExternalIdentity.objects.count() == 1


def test_the_same_account_may_hold_a_franceconnect_and_a_proconnect_identity():
    resident = camille()
    agent = camille(provider="proconnect", subject="pc-camille", siret="13000000000011")
    assert agent.pk == resident.pk
    assert resident.external_identities.get(provider="proconnect").siret == "13000000000011"


def test_a_deactivated_account_is_refused():
    user = camille()
    user.is_active = False
    user.save()
    with pytest.raises(ActionRefused, match="Ce compte est désactivé"):
        camille()
    factories.UserFactory(email="dominique@example.fr", is_active=False)
    with pytest.raises(ActionRefused, match="Ce compte est désactivé"):
        camille(subject="fc-dominique", email="dominique@example.fr")


def test_a_deleted_account_is_never_relinked():
    deleted = camille()
    delete_account(deleted)
    fresh = camille()
    assert fresh.pk != deleted.pk
    assert not ExternalIdentity.objects.filter(user=deleted).exists()


def test_long_claims_are_cut_to_the_columns():
    user = camille(given_name="G" * 300, family_name="F" * 300, siret="1" * 40)
    assert len(user.given_name) == 150 and len(user.family_name) == 150
    assert len(user.display_name) == 60
    assert user.external_identities.get().siret == "1" * 14


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_person_signing_in_from_several_tabs_at_once_gets_one_account():
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from tests.conftest import require_postgresql

    require_postgresql(connection)
    tabs = 8
    barrier = threading.Barrier(tabs)

    def tab(_):
        barrier.wait()
        try:
            return camille().pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=tabs) as pool:
        accounts = set(pool.map(tab, range(tabs)))

    assert len(accounts) == 1
    assert User.objects.count() == 1
    assert ExternalIdentity.objects.count() == 1
