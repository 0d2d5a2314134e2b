"""In a real browser: a resident reports an insulting comment; a moderator finds it in the queue
filtered on reported content, hides it with a reason, and reads the decision in the log. The
comment's author is told by email; the comment is gone from the contribution's page. axe-core
runs on every moderation page and must find no serious or critical issue."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from consultation.models import CampaignRole, ModerationDecision, Report
from consultation.models.contributions import Visibility
from tests import factories
from tests.e2e.conftest import pass_second_factor, serious_accessibility_issues

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "mot-de-passe-solide-42"  # tests.factories.UserFactory's


@pytest.fixture
def scene(db):
    campaign = factories.CampaignFactory(title="Concertation résilience du bassin de la Canche")
    factories.PhaseFactory(campaign=campaign)
    proposal = factories.ContributionFactory(
        campaign=campaign, title="Installer des repères de crue dans chaque village"
    )
    insulting = factories.CommentFactory(
        contribution=proposal,
        author=factories.UserFactory(display_name="Kévin", email="kevin@exemple.fr"),
        body="Vous êtes tous des incapables <b>et des menteurs</b>.",
    )
    reporter = factories.UserFactory(display_name="Camille", email="camille@exemple.fr")
    moderator = factories.UserFactory(
        display_name="Équipe de modération", email="moderation@prefecture.gouv.fr"
    )
    CampaignRole.objects.create(campaign=campaign, user=moderator, role="moderator")
    return {
        "campaign": campaign,
        "proposal": proposal,
        "comment": insulting,
        "reporter": reporter,
        "moderator": moderator,
    }


def _log_in(page, email):
    page.goto("/compte/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label(re.compile(r"^Mot de passe")).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    pass_second_factor(page)  # staff only; a resident's page is left alone


def _tick(page, label: str):
    """DSFR draws radios on their label, over a visually hidden input: click the label."""
    page.locator("label").filter(has_text=re.compile(r"^\s*" + re.escape(label))).first.click()
    expect(page.get_by_label(re.compile(r"^\s*" + re.escape(label))).first).to_be_checked()


def test_a_moderator_hides_a_reported_comment(new_page, scene):
    campaign, comment = scene["campaign"], scene["comment"]
    issues: list = []

    # A resident reports the comment from the contribution's page.
    resident = new_page()
    _log_in(resident, scene["reporter"].email)
    resident.goto(scene["proposal"].get_absolute_url())
    resident.get_by_role("link", name="Signaler le commentaire de Kévin").click()
    expect(resident.get_by_role("heading", level=1)).to_have_text("Signaler un contenu")
    expect(resident.locator("blockquote")).to_contain_text("<b>et des menteurs</b>")
    issues += serious_accessibility_issues(resident)
    _tick(resident, "Propos injurieux, haineux ou discriminatoires")
    resident.get_by_label("Précisions (facultatif)").fill("Insulte les bénévoles de l'atelier.")
    resident.get_by_role("button", name="Envoyer le signalement").click()
    expect(resident.get_by_role("status").first).to_contain_text("votre signalement est transmis")
    assert Report.objects.get().comment == comment

    # The moderator finds it among the reported contents and hides it with a reason.
    moderator = new_page()
    _log_in(moderator, scene["moderator"].email)
    moderator.goto(campaign.get_absolute_url())
    moderator.get_by_role("link", name="Modération", exact=True).click()
    moderator.get_by_label("État").select_option(label="Signalés")
    moderator.get_by_role("button", name="Filtrer", exact=True).click()
    row = moderator.locator(f"#file-comment-{comment.pk}")
    expect(row).to_contain_text("Propos injurieux, haineux ou discriminatoires (1)")
    expect(row).to_contain_text("Kévin")
    issues += serious_accessibility_issues(moderator)
    moderator.locator(f"label[for='cocher-comment-{comment.pk}']").click()
    expect(moderator.locator(f"#cocher-comment-{comment.pk}")).to_be_checked()
    moderator.get_by_label("Décision").select_option(label="Masquer")
    moderator.get_by_label("Motif (obligatoire pour masquer)").select_option(
        label="Propos injurieux, haineux ou discriminatoires"
    )
    moderator.get_by_label("Note pour le journal (facultatif)").fill("Insultes répétées")
    moderator.get_by_role("button", name="Appliquer aux contenus cochés").click()
    expect(moderator.get_by_role("status").first).to_contain_text("1 décision enregistrée.")
    assert "state=reported" in moderator.url  # back to the same filtered queue
    expect(moderator.get_by_text("Aucun contenu ne correspond à ces filtres.")).to_be_visible()

    comment.refresh_from_db()
    assert comment.visibility == Visibility.HIDDEN
    decision = ModerationDecision.objects.get()
    assert (decision.action, decision.reason, decision.moderator) == (
        "hide",
        "insulting",
        scene["moderator"],
    )
    assert [m.to for m in mail.outbox] == [["kevin@exemple.fr"]]

    # The log shows the decision; the comment is gone from the contribution's page.
    moderator.get_by_role("link", name="Journal de modération").click()
    entry = moderator.locator(f"#decision-{decision.pk}")
    expect(entry).to_contain_text("Masqué")
    expect(entry).to_contain_text("Équipe de modération")
    expect(entry).to_contain_text("Insultes répétées")
    issues += serious_accessibility_issues(moderator)
    resident.goto(scene["proposal"].get_absolute_url())
    expect(resident.get_by_text("Vous êtes tous des incapables")).to_have_count(0)
    assert issues == []
