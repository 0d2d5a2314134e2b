"""Account pages: sign up, log in and out, passwords, "Mon compte", my data, deletion."""

import json
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from consultation.models import Follow, Registration, User
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "mot-de-passe-solide-42"
SIGNUP = reverse("frontend:signup")
LOGIN = reverse("frontend:login")


def signup_data(**overrides):
    data = {
        "email": "alix@exemple.fr",
        "display_name": "Alix de Montreuil",
        "postal_code": "62170",
        "password1": "une berge plantée de saules",
        "password2": "une berge plantée de saules",
        "consent": "on",
    }
    data.update(overrides)
    return data


def field_errors(response, name):
    """The error messages tied to one field (the block the input's aria-describedby names)."""
    html = response.content.decode()
    match = re.search(rf'id="id_{name}-erreurs">(.*?)</div>', html, re.S)
    return match.group(1) if match else ""


def logged_in_user(client):
    return client.get(reverse("frontend:account")).wsgi_request.user


# Sign up


def test_the_signup_page_has_labelled_fields_with_autocomplete(client):
    html = client.get(SIGNUP).content.decode()
    assert '<label class="fr-label" for="id_email">Adresse électronique' in html
    assert 'autocomplete="email"' in html
    assert 'autocomplete="new-password"' in html
    assert 'autocomplete="postal-code"' in html
    assert "Nom affiché" in html
    assert "(facultatif)" in html
    assert 'name="consent"' in html


def test_it_creates_the_account_and_logs_the_person_in(client):
    response = client.post(SIGNUP, signup_data(email="Alix@Exemple.fr"), follow=True)
    user = User.objects.get(email="alix@exemple.fr")
    assert user.display_name == "Alix de Montreuil"
    assert user.postal_code == "62170"
    assert response.wsgi_request.user == user
    assert "Bienvenue Alix de Montreuil" in response.content.decode()


def test_it_follows_a_safe_next_after_signing_up(client, campaign):
    response = client.post(SIGNUP, signup_data(next="/compte/"))
    assert response.url == "/compte/"


def test_it_ignores_a_next_to_another_site(client):
    response = client.post(SIGNUP, signup_data(next="https://pirate.example/"))
    assert response.url == reverse("frontend:home")


def test_an_empty_signup_shows_an_error_on_each_required_field_and_writes_nothing(client):
    response = client.post(SIGNUP, {})
    assert response.status_code == 400
    for name in ("email", "display_name", "password1", "password2"):
        assert "Ce champ est obligatoire." in field_errors(response, name), name
    assert "Vous devez accepter les conditions" in field_errors(response, "consent")
    assert field_errors(response, "postal_code") == ""
    assert User.objects.count() == 0


def test_it_rejects_an_invalid_email_and_keeps_what_was_typed(client):
    response = client.post(SIGNUP, signup_data(email="pas-une-adresse"))
    assert response.status_code == 400
    assert "Saisissez une adresse e-mail valide." in field_errors(response, "email")
    html = response.content.decode()
    assert 'value="pas-une-adresse"' in html
    assert 'value="Alix de Montreuil"' in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_email_helptext id_email-erreurs"' in html
    assert "<title>Erreur : Créer un compte — Concertation citoyenne</title>" in html
    assert not User.objects.exists()


def test_it_rejects_an_email_already_taken(client, resident):
    response = client.post(SIGNUP, signup_data(email="CAMILLE@exemple.fr"))
    assert response.status_code == 400
    assert "Un compte existe déjà avec cette adresse électronique." in field_errors(
        response, "email"
    )
    assert User.objects.count() == 1


def test_it_rejects_a_weak_password_on_the_password_field(client):
    response = client.post(SIGNUP, signup_data(password1="12345678", password2="12345678"))
    assert response.status_code == 400
    errors = field_errors(response, "password1")
    assert "trop court" in errors
    assert "entièrement numérique" in errors
    assert not User.objects.exists()


def test_it_never_sends_the_password_back_in_the_page(client):
    response = client.post(SIGNUP, signup_data(email="faux"))
    assert "une berge plantée de saules" not in response.content.decode()


def test_it_rejects_mismatched_passwords(client):
    response = client.post(SIGNUP, signup_data(password2="une autre phrase de passe"))
    assert response.status_code == 400
    assert "Les deux mots de passe ne correspondent pas." in field_errors(response, "password2")
    assert not User.objects.exists()


def test_it_rejects_a_display_name_too_long(client):
    response = client.post(SIGNUP, signup_data(display_name="A" * 61))
    assert response.status_code == 400
    assert "au plus 60 caractères" in field_errors(response, "display_name")
    assert not User.objects.exists()


def test_it_rejects_a_display_name_of_only_spaces(client):
    response = client.post(SIGNUP, signup_data(display_name="   "))
    assert response.status_code == 400
    assert "Nom affiché : ce champ est obligatoire." in field_errors(response, "display_name")
    assert not User.objects.exists()


def test_it_rejects_a_postal_code_that_is_not_five_digits(client):
    response = client.post(SIGNUP, signup_data(postal_code="62A70"))
    assert response.status_code == 400
    assert "5 chiffres" in field_errors(response, "postal_code")


def test_it_shows_html_in_a_display_name_as_text(client):
    client.post(SIGNUP, signup_data(display_name="<script>alert(1)</script>"))
    user = User.objects.get(email="alix@exemple.fr")
    assert user.display_name == "<script>alert(1)</script>"
    html = client.get(reverse("frontend:account")).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def test_it_refuses_a_signup_without_consent(client):
    data = signup_data()
    del data["consent"]
    response = client.post(SIGNUP, data)
    assert response.status_code == 400
    assert "Vous devez accepter les conditions d'utilisation" in field_errors(
        response, "consent"
    ).replace("&#x27;", "'")
    assert not User.objects.exists()


def test_it_limits_signups_per_address(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signup": "2/h"}
    for n in range(2):
        Client().post(SIGNUP, signup_data(email=f"personne{n}@exemple.fr"))
    response = client.post(SIGNUP, signup_data(email="troisieme@exemple.fr"))
    assert response.status_code == 429
    assert "Trop de demandes" in response.content.decode()
    assert User.objects.count() == 2


def test_a_logged_in_person_is_sent_to_their_account_from_signup(client, resident):
    client.force_login(resident)
    assert client.get(SIGNUP).url == reverse("frontend:account")


# Log in and out


def test_the_login_field_is_labelled_adresse_electronique(client):
    html = client.get(LOGIN).content.decode()
    assert '<label class="fr-label" for="id_username">Adresse électronique' in html
    assert 'autocomplete="current-password"' in html


def test_it_logs_in_with_email_in_any_case(client, resident):
    response = client.post(LOGIN, {"username": "Camille@Exemple.FR", "password": PASSWORD})
    assert response.status_code == 302
    assert logged_in_user(client) == resident


def test_a_wrong_password_shows_a_french_error(client, resident):
    response = client.post(LOGIN, {"username": resident.email, "password": "mauvais"})
    assert response.status_code == 200
    assert "Adresse électronique ou mot de passe incorrect." in response.content.decode()
    assert not logged_in_user(client).is_authenticated


def test_it_limits_login_attempts_per_account_and_address(client, resident, settings):
    # The policy itself is tested door by door in tests/consultation/identity/test_throttle.py.
    settings.LOGIN_THROTTLE = {**settings.LOGIN_THROTTLE, "PAIR_FAILURES": 3}
    for _ in range(3):
        client.post(LOGIN, {"username": resident.email, "password": "mauvais"})
    response = client.post(LOGIN, {"username": resident.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Trop de tentatives de connexion" in response.content.decode()
    assert not logged_in_user(client).is_authenticated
    other = factories.UserFactory(email="autre@exemple.fr")
    assert client.post(LOGIN, {"username": other.email, "password": PASSWORD}).status_code == 302


def test_login_follows_a_safe_next(client, resident):
    response = client.post(
        LOGIN, {"username": resident.email, "password": PASSWORD, "next": "/compte/"}
    )
    assert response.url == "/compte/"


def test_login_ignores_a_next_to_another_site(client, resident):
    response = client.post(
        LOGIN,
        {"username": resident.email, "password": PASSWORD, "next": "https://pirate.example/"},
    )
    assert response.url == reverse("frontend:home")


def test_logout_by_get_does_not_log_out(client, resident):
    client.force_login(resident)
    response = client.get(reverse("frontend:logout"))
    assert response.status_code == 405
    assert logged_in_user(client) == resident


def test_logout_by_post_logs_out(client, resident):
    client.force_login(resident)
    response = client.post(reverse("frontend:logout"), follow=True)
    assert not response.wsgi_request.user.is_authenticated
    assert "Vous êtes déconnecté·e." in response.content.decode()


def test_forms_refuse_a_post_without_csrf_token(resident):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(LOGIN, {"username": resident.email, "password": PASSWORD})
    assert response.status_code == 403
    assert strict.post(SIGNUP, signup_data()).status_code == 403
    assert not User.objects.filter(email="alix@exemple.fr").exists()
    strict.force_login(resident)
    assert (
        strict.post(reverse("frontend:account_delete"), {"password": PASSWORD}).status_code == 403
    )
    resident.refresh_from_db()
    assert resident.is_active


# Passwords


def test_password_reset_sends_one_french_email_with_a_working_link(client, resident):
    response = client.post(reverse("frontend:password_reset"), {"email": resident.email})
    assert response.url == reverse("frontend:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [resident.email]
    assert "nouveau mot de passe" in message.subject
    assert "Bonjour Camille," in message.body
    link = re.search(r"http://testserver(/compte/mot-de-passe/nouveau/\S+)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choisir un nouveau mot de passe" in form_page.content.decode()
    new_password = "la digue de la Canche tient bon"
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.url == reverse("frontend:password_reset_complete")
    resident.refresh_from_db()
    assert resident.check_password(new_password)


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client):
    response = client.post(
        reverse("frontend:password_reset"), {"email": "inconnu@exemple.fr"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("frontend:password_reset_done")
    assert "Si un compte existe avec cette adresse" in response.content.decode()
    assert mail.outbox == []


def test_a_used_reset_link_is_refused(client, resident):
    client.post(reverse("frontend:password_reset"), {"email": resident.email})
    link = re.search(r"http://testserver(\S+)", mail.outbox[0].body).group(1)
    resident.set_password("un tout autre mot de passe")
    resident.save()
    html = client.get(link, follow=True).content.decode()
    assert "Ce lien n&#x27;est plus valable" in html or "Ce lien n'est plus valable" in html


def test_password_change_needs_the_old_password(client, resident):
    client.force_login(resident)
    url = reverse("frontend:password_change")
    new = "un nouveau mot de passe solide"
    wrong = client.post(url, {"old_password": "faux", "new_password1": new, "new_password2": new})
    assert wrong.status_code == 200
    assert "aria-invalid" in wrong.content.decode()
    right = client.post(url, {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert right.url == reverse("frontend:account")
    resident.refresh_from_db()
    assert resident.check_password(new)
    assert logged_in_user(client) == resident  # the session survives the change


def test_password_change_needs_a_login(client):
    response = client.get(reverse("frontend:password_change"))
    assert response.url.startswith(LOGIN)


# Mon compte


def test_my_account_lists_my_contributions_registrations_and_follows(
    client, resident, campaign, workshop, proposal, django_assert_max_num_queries
):
    mine = factories.ContributionFactory(campaign=campaign, author=resident, title="Mes saules")
    factories.ContributionFactory(campaign=campaign, title="Celle d'un autre")
    Registration.objects.create(
        workshop=workshop, user=resident, status=Registration.Status.CONFIRMED
    )
    Follow.objects.create(user=resident, contribution=proposal)
    client.force_login(resident)
    with django_assert_max_num_queries(8):
        html = client.get(reverse("frontend:account")).content.decode()
    assert "Camille" in html
    assert "camille@exemple.fr" in html
    assert mine.title in html
    assert "Celle d" not in html
    assert workshop.title in html
    assert "Inscription confirmée" in html
    assert proposal.title in html


def test_my_account_query_count_does_not_grow_with_my_contributions(
    client, resident, campaign, django_assert_num_queries
):
    client.force_login(resident)
    client.get(reverse("frontend:account"))
    factories.ContributionFactory.create_batch(5, campaign=campaign, author=resident)
    # Session, user, my contributions, my registrations, my follows, campaigns in the menu.
    with django_assert_num_queries(7):  # +1: the staff gate asks if the account has a role
        client.get(reverse("frontend:account"))


def test_my_account_needs_a_login(client):
    response = client.get(reverse("frontend:account"))
    assert response.url == f"{LOGIN}?next=/compte/"


# My data


def test_my_data_download_holds_my_contribution_and_nothing_of_another_person(
    client, resident, other_resident, campaign
):
    factories.ContributionFactory(campaign=campaign, author=resident, title="Mes saules")
    factories.ContributionFactory(campaign=campaign, author=other_resident, title="Ses haies")
    client.force_login(resident)
    response = client.get(reverse("frontend:account_data"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == 'attachment; filename="mes-donnees.json"'
    data = json.loads(response.content)
    assert data["compte"]["adresse_electronique"] == "camille@exemple.fr"
    assert [c["titre"] for c in data["contributions"]] == ["Mes saules"]
    text = response.content.decode()
    assert "Ses haies" not in text
    assert "dominique@exemple.fr" not in text


def test_my_data_needs_a_login(client):
    response = client.get(reverse("frontend:account_data"))
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


# Delete my account


def test_the_delete_page_asks_for_the_password(client, resident):
    client.force_login(resident)
    html = client.get(reverse("frontend:account_delete")).content.decode()
    assert "Supprimer mon compte" in html
    assert 'type="password"' in html
    assert 'autocomplete="current-password"' in html


def test_deleting_my_account_keeps_my_contribution_signed_deleted_participant(
    client, resident, campaign
):
    contribution = factories.ContributionFactory(campaign=campaign, author=resident)
    client.force_login(resident)
    response = client.post(reverse("frontend:account_delete"), {"password": PASSWORD}, follow=True)
    assert not response.wsgi_request.user.is_authenticated
    assert "Votre compte est supprimé." in response.content.decode()
    contribution.refresh_from_db()
    assert contribution.signature == "Participant·e supprimé·e"
    resident.refresh_from_db()
    assert resident.email is None
    assert resident.display_name == ""
    login = Client().post(LOGIN, {"username": "camille@exemple.fr", "password": PASSWORD})
    assert login.status_code == 200
    assert "Adresse électronique ou mot de passe incorrect." in login.content.decode()


def test_a_wrong_password_refuses_the_deletion_and_keeps_the_account(client, resident):
    client.force_login(resident)
    response = client.post(reverse("frontend:account_delete"), {"password": "pas le bon"})
    assert response.status_code == 400
    assert "Mot de passe incorrect" in field_errors(response, "password")
    resident.refresh_from_db()
    assert resident.is_active
    assert resident.email == "camille@exemple.fr"
    assert logged_in_user(client) == resident


def test_deleting_needs_a_login(client):
    response = client.post(reverse("frontend:account_delete"), {"password": PASSWORD})
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


# Edit my details


def test_i_can_change_my_display_name_and_postal_code(client, resident, campaign):
    contribution = factories.ContributionFactory(campaign=campaign, author=resident)
    client.force_login(resident)
    url = reverse("frontend:profile")
    assert 'value="Camille"' in client.get(url).content.decode()
    response = client.post(url, {"display_name": "Camille B.", "postal_code": "62100"})
    assert response.url == reverse("frontend:account")
    resident.refresh_from_db()
    assert (resident.display_name, resident.postal_code) == ("Camille B.", "62100")
    contribution.refresh_from_db()
    assert contribution.signature == "Camille B."


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"display_name": "", "postal_code": ""}, "display_name", "Ce champ est obligatoire."),
        ({"display_name": "C", "postal_code": ""}, "display_name", "2 caractères au minimum"),
        ({"display_name": "A" * 61, "postal_code": ""}, "display_name", "au plus 60"),
        ({"display_name": "Camille", "postal_code": "abcde"}, "postal_code", "5 chiffres"),
    ],
)
def test_bad_details_are_refused_and_nothing_changes(client, resident, data, field, message):
    client.force_login(resident)
    response = client.post(reverse("frontend:profile"), data)
    assert response.status_code == 400
    assert message in field_errors(response, field)
    resident.refresh_from_db()
    assert (resident.display_name, resident.postal_code) == ("Camille", "")


def test_editing_my_details_needs_a_login(client):
    response = client.post(reverse("frontend:profile"), {"display_name": "Intrus"})
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


# Structure every account page shares (RGAA: one h1, a title naming the page, labelled fields)

ACCOUNT_PAGES = [
    ("frontend:signup", False, "Créer un compte"),
    ("frontend:login", False, "Se connecter"),
    ("frontend:password_reset", False, "Mot de passe oublié"),
    ("frontend:password_reset_done", False, "Vérifiez votre messagerie"),
    ("frontend:password_reset_complete", False, "Mot de passe enregistré"),
    ("frontend:account", True, "Mon compte"),
    ("frontend:profile", True, "Modifier mes informations"),
    ("frontend:verify_email", False, "Confirmer mon adresse électronique"),
    ("frontend:password_change", True, "Changer de mot de passe"),
    ("frontend:account_delete", True, "Supprimer mon compte"),
]


@pytest.mark.parametrize(("name", "needs_login", "heading"), ACCOUNT_PAGES)
def test_each_account_page_has_one_h1_a_matching_title_and_labelled_inputs(
    client, resident, name, needs_login, heading
):
    if needs_login:
        client.force_login(resident)
    kwargs = {"uidb64": "MQ", "token": "x-y"} if name == "frontend:verify_email" else {}
    html = client.get(reverse(name, kwargs=kwargs)).content.decode()
    assert html.count("<h1") == 1
    assert f"<h1>{heading}</h1>" in html
    assert f"<title>{heading} — Concertation citoyenne</title>" in html or (
        f"<title>Erreur : {heading} — Concertation citoyenne</title>" in html
    )
    for input_id in re.findall(
        r'<input type="(?:text|email|password|checkbox)"[^>]* id="([^"]+)"', html
    ):
        assert f'for="{input_id}"' in html, input_id


# Verified email


def verification_link(message) -> str:
    return re.search(r"https?://[^/\s]+(/compte/verification/\S+/)", message.body).group(1)


def test_one_signup_with_four_mistakes_shows_all_four_and_keeps_the_text(client, resident):
    response = client.post(
        SIGNUP,
        signup_data(
            email="CAMILLE@exemple.fr",  # taken
            display_name="   ",
            postal_code="62A70",
            password2="une autre phrase de passe",
        ),
    )
    assert response.status_code == 400
    assert "Un compte existe déjà avec cette adresse électronique." in field_errors(
        response, "email"
    )
    assert "Nom affiché : ce champ est obligatoire." in field_errors(response, "display_name")
    assert "5 chiffres" in field_errors(response, "postal_code")
    assert "Les deux mots de passe ne correspondent pas." in field_errors(response, "password2")
    html = response.content.decode()
    assert "Le formulaire contient 4 erreurs" in html
    assert 'value="CAMILLE@exemple.fr"' in html and 'value="62A70"' in html
    assert User.objects.count() == 1


def test_a_weak_password_is_reported_with_the_other_mistakes(client):
    response = client.post(
        SIGNUP, signup_data(password1="12345678", password2="12345678", postal_code="6", email="x")
    )
    assert response.status_code == 400
    assert "trop court" in field_errors(response, "password1")
    assert "5 chiffres" in field_errors(response, "postal_code")
    assert "Saisissez une adresse e-mail valide." in field_errors(response, "email")
    assert field_errors(response, "email").count("fr-error-text") == 1  # the form's, once
    assert not User.objects.exists()


def test_after_signup_the_person_is_told_to_check_their_mailbox(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SIGNUP, signup_data(), follow=True)
    html = response.content.decode()
    assert "ouvrez le lien que nous venons d&#x27;envoyer à alix@exemple.fr" in html
    [message] = mail.outbox
    assert message.to == ["alix@exemple.fr"]
    account = client.get(reverse("frontend:account")).content.decode()
    assert "non vérifiée" in account
    assert "Renvoyer le lien" in account


def test_the_link_shows_a_button_and_only_a_post_verifies(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(SIGNUP, signup_data())
    link = verification_link(mail.outbox[0])
    scanner = Client()  # a mail scanner opens the link first
    page = scanner.get(link)
    assert page.status_code == 200
    assert "Confirmer mon adresse" in page.content.decode()
    assert not User.objects.get(email="alix@exemple.fr").has_verified_email

    done = Client().post(link, follow=True)  # from the phone's mail app, not signed in
    assert "Merci : votre adresse alix@exemple.fr est vérifiée." in done.content.decode()
    assert User.objects.get(email="alix@exemple.fr").has_verified_email
    account = client.get(reverse("frontend:account")).content.decode()
    assert "vérifiée" in account and "non vérifiée" not in account

    again = client.post(link)
    assert again.status_code == 400
    html = again.content.decode()
    assert "Ce lien de vérification n&#x27;est plus valable" in html
    assert "Recevoir un nouveau lien" in html  # signed in: the button sends one


@pytest.mark.parametrize(
    "path",
    [
        "/compte/verification/MQ/pas-un-jeton/",
        "/compte/verification/!!!/abc-def/",
        "/compte/verification/OTk5OTk5OTk5OTk5OTk5OTk5OTk5/abc-def/",  # beyond a bigint
        "/compte/verification/bm9u/abc-def/",  # "non"
    ],
)
def test_a_broken_link_is_refused_in_french_with_a_way_to_get_another(client, path):
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 400
        html = response.content.decode()
        assert "Lien non valable" in html
        assert "Me connecter pour recevoir un nouveau lien" in html


def test_a_link_older_than_48_hours_is_refused(client, unverified_resident, monkeypatch):
    from datetime import timedelta

    from consultation.identity.email_verification import (
        email_verification_token,
        link_path_args,
    )

    link = reverse("frontend:verify_email", kwargs=link_path_args(unverified_resident))
    real_now = email_verification_token._now
    monkeypatch.setattr(
        email_verification_token, "_now", lambda: real_now() + timedelta(hours=48, minutes=1)
    )
    response = client.post(link)
    assert response.status_code == 400
    assert "plus de 48 heures" in response.content.decode()
    unverified_resident.refresh_from_db()
    assert not unverified_resident.has_verified_email


def test_resend_sends_a_new_link_and_is_limited(
    client, unverified_resident, settings, django_capture_on_commit_callbacks
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "email_verification": "1/h"}
    client.force_login(unverified_resident)
    url = reverse("frontend:verify_email_resend")
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, follow=True)
        second = client.post(url, follow=True)
    assert "Un nouveau lien est envoyé à sacha@exemple.fr" in first.content.decode()
    assert "Trop de demandes" in second.content.decode()
    assert [m.to for m in mail.outbox] == [["sacha@exemple.fr"]]
    assert client.get(url).status_code == 405  # a link cannot send emails


def test_resend_needs_a_login_and_a_csrf_token(unverified_resident):
    url = reverse("frontend:verify_email_resend")
    assert Client().post(url).url.startswith(LOGIN)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(unverified_resident)
    assert strict.post(url).status_code == 403
    assert not mail.outbox


def test_a_verified_person_is_told_there_is_nothing_to_resend(client, resident):
    client.force_login(resident)
    response = client.post(reverse("frontend:verify_email_resend"), follow=True)
    assert "déjà vérifiée" in response.content.decode()
    assert not mail.outbox


EMAIL_CHANGE = reverse("frontend:email_change")


def test_changing_my_email_sends_the_link_to_the_new_one_and_tells_the_old_one(
    client, resident, django_capture_on_commit_callbacks
):
    client.force_login(resident)
    assert 'name="adresse-new_email"' in client.get(reverse("frontend:profile")).content.decode()
    data = {"adresse-new_email": "camille.neuve@exemple.fr", "adresse-password": PASSWORD}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(EMAIL_CHANGE, data, follow=True)
    assert "Un lien de confirmation est envoyé à camille.neuve@exemple.fr" in (
        response.content.decode()
    )
    assert "Nouvelle adresse en attente de confirmation" in response.content.decode()
    resident.refresh_from_db()
    assert resident.email == "camille@exemple.fr"
    to_new = next(m for m in mail.outbox if m.to == ["camille.neuve@exemple.fr"])
    assert any(m.to == ["camille@exemple.fr"] for m in mail.outbox)

    Client().post(verification_link(to_new))
    resident.refresh_from_db()
    assert (resident.email, resident.pending_email) == ("camille.neuve@exemple.fr", "")
    assert resident.has_verified_email


TAKEN = "Un compte existe déjà avec cette adresse électronique."


@pytest.mark.parametrize(
    ("new_email", "password", "field", "message"),
    [
        ("neuve@exemple.fr", "faux", "password", "Mot de passe incorrect"),
        ("neuve@exemple.fr", None, "password", "Ce champ est obligatoire."),
        ("pas-une-adresse", PASSWORD, "new_email", "Saisissez une adresse e-mail valide."),
        ("DOMINIQUE@exemple.fr", PASSWORD, "new_email", TAKEN),
        ("camille@exemple.fr", PASSWORD, "new_email", "C&#x27;est déjà votre adresse"),
    ],
)
def test_a_bad_change_of_email_is_refused_on_its_field_and_changes_nothing(
    client,
    resident,
    other_resident,
    new_email,
    password,
    field,
    message,
    django_capture_on_commit_callbacks,
):
    client.force_login(resident)
    data = {"adresse-new_email": new_email}
    if password is not None:
        data["adresse-password"] = password
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(EMAIL_CHANGE, data)
    assert response.status_code == 400
    assert message in field_errors(response, f"adresse-{field}")
    html = response.content.decode()
    assert f'value="{data["adresse-new_email"]}"' in html  # what was typed is kept
    assert PASSWORD not in html
    resident.refresh_from_db()
    assert (resident.email, resident.pending_email) == ("camille@exemple.fr", "")
    assert not mail.outbox


def test_a_pending_change_can_be_cancelled_and_its_link_then_fails(
    client, resident, django_capture_on_commit_callbacks
):
    client.force_login(resident)
    data = {"adresse-new_email": "neuve@exemple.fr", "adresse-password": PASSWORD}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(EMAIL_CHANGE, data)
    link = verification_link(next(m for m in mail.outbox if m.to == ["neuve@exemple.fr"]))
    client.post(reverse("frontend:email_change_cancel"))
    assert client.post(link).status_code == 400
    resident.refresh_from_db()
    assert (resident.email, resident.pending_email) == ("camille@exemple.fr", "")


def test_changing_email_needs_a_login(client):
    response = client.post(EMAIL_CHANGE, {"adresse-new_email": "x@exemple.fr"})
    assert response.url.startswith(LOGIN)


def test_a_password_reset_verifies_the_address_it_was_sent_to(client, unverified_resident):
    client.post(reverse("frontend:password_reset"), {"email": unverified_resident.email})
    link = re.search(r"http://testserver(/compte/mot-de-passe/nouveau/\S+)", mail.outbox[0].body)
    form_page = client.get(link.group(1), follow=True)
    new_password = "la digue de la Canche tient bon"
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    unverified_resident.refresh_from_db()
    assert unverified_resident.has_verified_email


def test_an_unverified_person_sees_how_to_verify_where_they_would_publish(
    client, unverified_resident, campaign, proposal, statement
):
    client.force_login(unverified_resident)
    pages = [
        proposal.get_absolute_url(),
        reverse("frontend:submit", kwargs={"slug": campaign.slug}),
        reverse("frontend:statements", kwargs={"slug": campaign.slug}),
    ]
    for page in pages:
        html = client.get(page).content.decode()
        assert "Confirmez votre adresse électronique pour participer" in html, page
        assert reverse("frontend:verify_email_resend") in html, page


def test_a_verified_person_sees_no_such_notice(client, resident, proposal):
    client.force_login(resident)
    html = client.get(proposal.get_absolute_url()).content.decode()
    assert "Confirmez votre adresse électronique pour participer" not in html


def test_an_unverified_support_or_comment_is_refused_with_how_to_verify(
    client, unverified_resident, campaign, proposal
):
    client.force_login(unverified_resident)
    kwargs = {"slug": campaign.slug, "pk": proposal.pk}
    supported = client.post(reverse("frontend:support", kwargs=kwargs), follow=True)
    assert "Confirmez d&#x27;abord votre adresse électronique" in supported.content.decode()
    commented = client.post(
        reverse("frontend:comment", kwargs=kwargs),
        {"comment-body": "Tout à fait d'accord avec cela.", "comment-alignment": "0"},
        follow=True,
    )
    assert "Confirmez d&#x27;abord votre adresse électronique" in commented.content.decode()
    assert "Tout à fait d&#x27;accord avec cela." in commented.content.decode()  # text kept
    assert not proposal.supports.exists() and not proposal.comments.exists()


def test_changes_of_email_are_limited_per_account_in_french(
    client, resident, settings, django_capture_on_commit_callbacks
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "email_verification": "1/h"}
    client.force_login(resident)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            EMAIL_CHANGE, {"adresse-new_email": "a@exemple.fr", "adresse-password": PASSWORD}
        )
        response = client.post(
            EMAIL_CHANGE, {"adresse-new_email": "b@exemple.fr", "adresse-password": PASSWORD}
        )
    assert response.status_code == 429
    html = response.content.decode()
    assert "Trop de demandes" in html
    assert 'value="b@exemple.fr"' in html  # what was typed is kept
    resident.refresh_from_db()
    assert resident.pending_email == "a@exemple.fr"
    assert not any(m.to == ["b@exemple.fr"] for m in mail.outbox)
