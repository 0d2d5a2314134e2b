"""The shared layout: DSFR header and footer, skip links, account links, language, messages."""

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.template.loader import render_to_string
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


def _render(user, path="/", messages=()):
    request = RequestFactory().get(path)
    request.user = user
    request.session = {}
    storage = FallbackStorage(request)
    for level, text in messages:
        storage.add(level, text)
    request._messages = storage
    return render_to_string("frontend/base.html", request=request)


def test_it_renders_the_dsfr_layout_without_any_site_configuration(anonymous):
    html = _render(anonymous)
    assert '<html lang="fr"' in html
    assert "Concertation citoyenne" in html
    assert "Préfecture du Pas-de-Calais" in html
    assert "dsfr/dist/dsfr.min.css" in html or "dsfr/dist/dsfr" in html
    assert 'href="#contenu">Aller au contenu<' in html
    assert 'href="#pied-de-page">Aller au pied de page<' in html
    assert 'id="contenu"' in html
    assert 'id="pied-de-page"' in html


def test_the_footer_states_the_accessibility_compliance(anonymous):
    html = _render(anonymous)
    assert "Accessibilité : non conforme" in html
    assert "Mentions légales" in html
    assert "Données personnelles" in html
    assert "Plan du site" in html
    assert 'href="/api/docs/"' in html


def test_an_anonymous_visitor_sees_log_in_and_sign_up_links(anonymous):
    html = _render(anonymous)
    assert "Se connecter" in html
    assert "Créer un compte" in html
    assert "Se déconnecter" not in html


def test_a_logged_in_person_gets_a_logout_form_that_posts(resident):
    html = _render(resident)
    assert "Mon compte" in html
    assert "Se connecter" not in html
    logout_form = html.split("Se déconnecter")[0].rsplit("<form", 1)[1]
    assert 'method="post"' in logout_form
    assert "csrfmiddlewaretoken" in logout_form


def test_the_menu_lists_public_campaigns_and_marks_the_current_one(anonymous, campaign):
    from tests.factories import CampaignFactory

    CampaignFactory(title="Brouillon en préparation", status="draft")
    html = _render(anonymous, path=f"/c/{campaign.slug}/")
    assert 'id="navigation"' in html
    assert ">Accueil<" in html
    assert f'href="/c/{campaign.slug}/" aria-current="page">{campaign.title}<' in html
    assert "Brouillon en préparation" not in html


def test_the_logged_out_login_link_brings_the_person_back(anonymous):
    html = _render(anonymous, path="/c/concertation/affirmations/")
    assert 'href="/compte/connexion/?next=/c/concertation/affirmations/"' in html


def test_messages_show_as_dsfr_alerts_with_a_live_role(anonymous):
    from django.contrib import messages

    html = _render(
        anonymous,
        messages=[(messages.SUCCESS, "Contribution publiée."), (messages.ERROR, "Refusé.")],
    )
    assert 'class="fr-alert fr-alert--sm fr-mb-2w fr-alert--success"' in html
    assert 'role="status"' in html
    assert 'role="alert"' in html
    assert "Contribution publiée." in html


def test_the_language_switcher_posts_to_set_language(anonymous):
    html = _render(anonymous)
    assert 'action="/i18n/setlang/"' in html
    assert 'name="language" value="en"' in html


def test_the_language_switcher_turns_the_page_to_english(client):
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/compte/connexion/"}, follow=True
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/compte/connexion/"
    assert '<html lang="en"' in html
    assert 'name="language" value="fr"' in html
    assert "<title>Log in — Citizen consultation</title>" in html
    assert "Skip to content" in html
    assert '<label class="fr-label" for="id_username">Email address' in html
    assert "Accessibility: non-compliant" in html
    assert "Se connecter" not in html


def test_switching_back_to_french_restores_french(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.post(
        "/i18n/setlang/", {"language": "fr", "next": "/compte/connexion/"}, follow=True
    )
    html = response.content.decode()
    assert '<html lang="fr"' in html
    assert "<title>Se connecter — Concertation citoyenne</title>" in html
