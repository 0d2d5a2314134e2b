import re
from datetime import timedelta

import pytest
from django.core import mail
from rest_framework.authtoken.models import Token

from consultation.actions.accounts import (
    confirm_email_by_password_reset,
    request_email_change,
    resend_verification,
    sign_up,
    verify_email,
)
from consultation.actions.comments import post_comment
from consultation.actions.contributions import submit_contribution
from consultation.actions.moderation import report_content
from consultation.actions.privacy import delete_account, export_personal_data
from consultation.actions.statements import cast_vote, propose_statement
from consultation.actions.supports import add_support
from consultation.errors import ActionRefused, PermissionRefused
from consultation.identity.email_verification import email_verification_token
from consultation.models import (
    Comment,
    Contribution,
    Follow,
    Report,
    Statement,
    StatementVote,
    Support,
    User,
)
from tests import factories


def test_sign_up_creates_an_account_that_logs_in_by_email(db, client):
    user = sign_up(email=" Jeanne@Exemple.FR ", password="inondations-2024!", display_name="Jeanne")
    assert user.email == "jeanne@exemple.fr"
    assert client.login(email="jeanne@exemple.fr", password="inondations-2024!")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "pas-une-adresse"}, "Adresse électronique invalide"),
        ({"email": "camille@exemple.fr"}, "existe déjà"),
        ({"password": "123"}, "trop court"),
        ({"password": "password123"}, "trop courant"),
        ({"display_name": ""}, "Nom affiché : ce champ est obligatoire"),
        ({"display_name": "n" * 61}, "60 caractères"),
        ({"postal_code": "62A00"}, "5 chiffres"),
    ],
)
def test_sign_up_rejects_bad_input(resident, fields, message):
    data = {
        "email": "nouveau@exemple.fr",
        "password": "inondations-2024!",
        "display_name": "Nouveau",
        **fields,
    }
    with pytest.raises(ActionRefused, match=message):
        sign_up(**data)
    assert not User.objects.filter(email="nouveau@exemple.fr").exists()


def test_deleting_an_account_keeps_contributions_signed_deleted(
    resident, campaign, proposal, client
):
    mine = submit_contribution(
        resident,
        campaign,
        kind="question",
        title="Qui prévient les riverains ?",
        body="Lors de la crue, personne n'a prévenu notre rue à Hesdin.",
    )
    add_support(resident, proposal)
    Token.objects.create(user=resident)

    delete_account(resident)

    mine.refresh_from_db()
    assert mine.signature == "Participant·e supprimé·e"
    assert Support.objects.filter(contribution=proposal).count() == 1  # still counted
    resident.refresh_from_db()
    assert resident.email is None and resident.display_name == "" and not resident.is_active
    assert not Token.objects.filter(user=resident).exists()
    assert not Follow.objects.filter(user=resident).exists()
    assert not client.login(email="camille@exemple.fr", password="mot-de-passe-solide-42")
    assert Contribution.objects.count() == 2


def test_personal_data_export_holds_only_the_persons_data(
    resident, other_resident, campaign, proposal
):
    submit_contribution(
        resident,
        campaign,
        kind="proposal",
        title="Curer les fossés de Beutin",
        body="Les fossés ne sont plus curés depuis dix ans, l'eau stagne.",
    )
    add_support(resident, proposal)
    data = export_personal_data(resident)
    assert data["compte"]["adresse_electronique"] == "camille@exemple.fr"
    assert [c["titre"] for c in data["contributions"]] == ["Curer les fossés de Beutin"]
    assert data["soutiens"][0]["contribution"] == proposal.pk
    assert "dominique@exemple.fr" not in str(data)


# Verified email --------------------------------------------------------------------------------


def _link_token(message) -> tuple[str, str]:
    """The uidb64 and token of the verification link in an email."""
    match = re.search(r"/compte/verification/([^/]+)/([^/]+)/", message.body)
    assert match, message.body
    return match.group(1), match.group(2)


def test_sign_up_sends_one_verification_link_after_commit(
    db, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        user = sign_up(email="jeanne@exemple.fr", password="inondations-2024!", display_name="Jo")
    assert user.email_verified_at is None and not user.has_verified_email
    assert not mail.outbox  # a rolled-back account gets nothing
    for callback in callbacks:
        callback()
    [message] = mail.outbox
    assert message.to == ["jeanne@exemple.fr"]
    assert message.subject == "Vérifiez votre adresse électronique"
    assert "valable 48 heures" in message.body
    assert message.body.count(settings.SITE_URL + "/compte/verification/") == 1
    assert "camille" not in message.body  # the display name typed by anyone stays out


def test_sign_up_reports_every_refused_field_at_once(resident):
    with pytest.raises(ActionRefused) as refused:
        sign_up(
            email="CAMILLE@exemple.fr",  # taken
            password="12345678",  # short and numeric
            display_name="   ",
            postal_code="62A00",
        )
    errors = refused.value.field_errors
    assert set(errors) == {"email", "password", "display_name", "postal_code"}
    assert errors["email"] == ["Un compte existe déjà avec cette adresse électronique."]
    assert "trop court" in errors["password"][0]
    assert errors["display_name"] == ["Nom affiché : ce champ est obligatoire."]
    assert errors["postal_code"] == ["Le code postal doit comporter 5 chiffres."]
    assert User.objects.count() == 1


def test_a_verification_link_verifies_once(unverified_resident):
    token = email_verification_token.make_token(unverified_resident)
    user = verify_email(unverified_resident, token)
    assert user.has_verified_email
    unverified_resident.refresh_from_db()
    assert unverified_resident.email_verified_at is not None
    with pytest.raises(ActionRefused, match="n'est plus valable") as refused:
        verify_email(unverified_resident, token)
    assert refused.value.code == "invalid_link"


def _clock_moved_by(monkeypatch, delta):
    real_now = email_verification_token._now
    monkeypatch.setattr(email_verification_token, "_now", lambda: real_now() + delta)


def test_a_verification_link_lasts_48_hours(unverified_resident, monkeypatch):
    token = email_verification_token.make_token(unverified_resident)
    _clock_moved_by(monkeypatch, timedelta(hours=48, seconds=1))
    with pytest.raises(ActionRefused, match="plus de 48 heures"):
        verify_email(unverified_resident, token)
    unverified_resident.refresh_from_db()
    assert unverified_resident.email_verified_at is None


def test_a_verification_link_still_works_just_before_48_hours(unverified_resident, monkeypatch):
    token = email_verification_token.make_token(unverified_resident)
    _clock_moved_by(monkeypatch, timedelta(hours=47, minutes=59))
    assert verify_email(unverified_resident, token).has_verified_email


def test_password_reset_links_keep_their_own_lifetime(unverified_resident, settings):
    # The verification check must not read PASSWORD_RESET_TIMEOUT (nor change it).
    settings.PASSWORD_RESET_TIMEOUT = 0
    token = email_verification_token.make_token(unverified_resident)
    assert verify_email(unverified_resident, token).has_verified_email


@pytest.mark.parametrize(
    "token",
    ["", "pas-un-jeton", "zzzzzz-0000", "1-2-3", "c" * 500],
)
def test_a_malformed_or_forged_token_is_refused(unverified_resident, token):
    with pytest.raises(ActionRefused, match="n'est plus valable"):
        verify_email(unverified_resident, token)
    unverified_resident.refresh_from_db()
    assert unverified_resident.email_verified_at is None


def test_a_token_of_another_account_is_refused(unverified_resident):
    other = factories.UserFactory(email_verified_at=None)
    token = email_verification_token.make_token(other)
    with pytest.raises(ActionRefused, match="n'est plus valable"):
        verify_email(unverified_resident, token)


def test_changing_the_address_needs_the_password_and_applies_once_verified(
    resident, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request_email_change(
            resident, new_email=" Camille.Neuve@Exemple.fr", password="mot-de-passe-solide-42"
        )
    resident.refresh_from_db()
    assert resident.email == "camille@exemple.fr"  # unchanged until verified
    assert resident.pending_email == "camille.neuve@exemple.fr"
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"camille.neuve@exemple.fr", "camille@exemple.fr"}
    assert "Changement d'adresse" in by_address["camille@exemple.fr"].subject
    assert "/compte/verification/" not in by_address["camille@exemple.fr"].body
    _uid, token = _link_token(by_address["camille.neuve@exemple.fr"])

    verify_email(resident, token)
    resident.refresh_from_db()
    assert (resident.email, resident.pending_email) == ("camille.neuve@exemple.fr", "")
    assert resident.has_verified_email
    with pytest.raises(ActionRefused, match="n'est plus valable"):
        verify_email(resident, token)


def test_a_link_is_refused_once_another_address_is_asked(unverified_resident):
    first = email_verification_token.make_token(unverified_resident)
    request_email_change(
        unverified_resident, new_email="sacha2@exemple.fr", password="mot-de-passe-solide-42"
    )
    with pytest.raises(ActionRefused, match="une autre adresse a été demandée"):
        verify_email(unverified_resident, first)
    second = email_verification_token.make_token(unverified_resident)
    request_email_change(
        unverified_resident, new_email="sacha3@exemple.fr", password="mot-de-passe-solide-42"
    )
    with pytest.raises(ActionRefused, match="n'est plus valable"):
        verify_email(unverified_resident, second)
    unverified_resident.refresh_from_db()
    assert unverified_resident.email == "sacha@exemple.fr"


def test_an_unverified_old_address_is_not_told_of_the_change(
    unverified_resident, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request_email_change(
            unverified_resident, new_email="sacha2@exemple.fr", password="mot-de-passe-solide-42"
        )
    assert [message.to for message in mail.outbox] == [["sacha2@exemple.fr"]]


@pytest.mark.parametrize(
    ("new_email", "password", "field", "message"),
    [
        ("neuve@exemple.fr", "pas-le-bon", "password", "Mot de passe incorrect"),
        ("neuve@exemple.fr", "", "password", "Mot de passe incorrect"),
        ("neuve@exemple.fr", None, "password", "Mot de passe incorrect"),
        ("pas-une-adresse", "mot-de-passe-solide-42", "new_email", "Adresse électronique invalide"),
        ("", "mot-de-passe-solide-42", "new_email", "Adresse électronique invalide"),
        (["a@b.fr"], "mot-de-passe-solide-42", "new_email", "Adresse électronique invalide"),
        ("CAMILLE@exemple.fr", "mot-de-passe-solide-42", "new_email", "C'est déjà votre adresse"),
        (
            "dominique@exemple.fr",
            "mot-de-passe-solide-42",
            "new_email",
            # The same words as sign-up: nothing more about the other account.
            "^Un compte existe déjà avec cette adresse électronique.$",
        ),
    ],
)
def test_a_bad_change_of_address_is_refused_and_changes_nothing(
    resident,
    other_resident,
    new_email,
    password,
    field,
    message,
    django_capture_on_commit_callbacks,
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ActionRefused, match=message) as refused,
    ):
        request_email_change(resident, new_email=new_email, password=password)
    assert refused.value.field == field
    resident.refresh_from_db()
    assert (resident.email, resident.pending_email) == ("camille@exemple.fr", "")
    assert not mail.outbox


def test_a_new_address_taken_meanwhile_is_not_applied(resident):
    request_email_change(resident, new_email="libre@exemple.fr", password="mot-de-passe-solide-42")
    token = email_verification_token.make_token(resident)
    factories.UserFactory(email="libre@exemple.fr")
    with pytest.raises(ActionRefused, match="existe déjà"):
        verify_email(resident, token)
    resident.refresh_from_db()
    assert (resident.email, resident.pending_email) == ("camille@exemple.fr", "")
    assert resident.has_verified_email


def test_resending_is_limited_per_account_and_per_address(
    unverified_resident, settings, django_capture_on_commit_callbacks
):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "email_verification": "2/h",
        "email_verification_address": "3/h",
    }
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            resend_verification(unverified_resident, address="192.0.2.1")
        with pytest.raises(ActionRefused, match="Trop de demandes"):
            resend_verification(unverified_resident, address="192.0.2.99")  # per account
        other = factories.UserFactory(email_verified_at=None)
        resend_verification(other, address="192.0.2.1")  # the address's 3rd
        with pytest.raises(ActionRefused, match="Trop de demandes"):
            resend_verification(other, address="192.0.2.1")
    assert [m.to for m in mail.outbox] == [["sacha@exemple.fr"]] * 2 + [[other.email]]


def test_a_verified_account_has_no_link_to_resend(resident):
    with pytest.raises(ActionRefused, match="déjà vérifiée"):
        resend_verification(resident)


def test_an_unverified_account_cannot_publish_anything(
    unverified_resident, campaign, proposal, statement
):
    attempts = [
        lambda: submit_contribution(
            unverified_resident, campaign, kind="proposal", title="Un titre", body="Un texte long."
        ),
        lambda: post_comment(unverified_resident, proposal, body="Tout à fait d'accord."),
        lambda: add_support(unverified_resident, proposal),
        lambda: cast_vote(unverified_resident, statement, "agree"),
        lambda: propose_statement(unverified_resident, campaign, "Il faut curer les fossés."),
        lambda: report_content(unverified_resident, proposal, reason="spam"),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionRefused, match="Confirmez d'abord votre adresse"):
            attempt()
    assert Contribution.objects.count() == 1
    assert not Support.objects.exists() and not Comment.objects.exists()
    assert not StatementVote.objects.exists() and not Report.objects.exists()
    assert Statement.objects.count() == 1


def test_once_verified_the_same_person_publishes(unverified_resident, proposal):
    verify_email(unverified_resident, email_verification_token.make_token(unverified_resident))
    unverified_resident.refresh_from_db()
    assert add_support(unverified_resident, proposal)


def test_a_password_reset_proves_the_address(unverified_resident):
    confirm_email_by_password_reset(unverified_resident)
    unverified_resident.refresh_from_db()
    assert unverified_resident.has_verified_email
