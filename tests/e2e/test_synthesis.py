"""The moderators' workbench in a real browser: a moderator merges two duplicates, writes a
synthesis with citations (a claim without a source is refused first), the organiser publishes
it, and the rendered citation leads to its source. axe-core runs on every page visited."""

import re

import pytest
from playwright.sync_api import expect

from consultation.models import CampaignRole, Contribution, Merge, Support, SynthesisSection
from tests import factories
from tests.e2e.conftest import pass_second_factor, serious_accessibility_issues

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "mot-de-passe-solide-42"  # the factories' password


@pytest.fixture
def workbench(db):
    campaign = factories.CampaignFactory(
        slug="inventons-le-territoire-de-demain",
        title="Concertation résilience : inventons le territoire de demain",
    )
    factories.PhaseFactory(campaign=campaign)
    kept = factories.ContributionFactory(
        campaign=campaign,
        title="Curer les fossés avant l'hiver",
        body="Les fossés le long des routes départementales ne sont plus curés ; l'eau déborde.",
    )
    copy = factories.ContributionFactory(
        campaign=campaign,
        title="Curage des fossés",
        body="Il faut curer les fossés des routes avant l'hiver, sinon l'eau déborde sur la route.",
    )
    factories.ContributionFactory(
        campaign=campaign, title="Un numéro unique d'alerte", body="Un SMS quand la rivière monte."
    )
    for user in factories.UserFactory.create_batch(2):
        Support.objects.create(contribution=copy, user=user)
    staff = {}
    for role, email in [("moderator", "moderation@prefecture.gouv.fr"),
                        ("organiser", "organisation@prefecture.gouv.fr")]:  # fmt: skip
        staff[role] = factories.UserFactory(email=email, display_name=f"Équipe ({role})")
        CampaignRole.objects.create(campaign=campaign, user=staff[role], role=role)
    return {"campaign": campaign, "kept": kept, "copy": copy, **staff}


def _log_in(page, email):
    page.goto("/compte/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label(re.compile(r"^Mot de passe")).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    pass_second_factor(page)  # staff only; a resident's page is left alone
    expect(page.get_by_role("button", name="Se déconnecter").first).to_be_attached()


def test_a_moderator_merges_and_writes_the_organiser_publishes_and_citations_lead_to_sources(
    new_page, workbench
):
    visited: list = []

    def check(page):
        visited.append((page.url, serious_accessibility_issues(page)))

    campaign, kept, copy = workbench["campaign"], workbench["kept"], workbench["copy"]
    base = f"/c/{campaign.slug}/moderation"

    # The moderator merges the suggested duplicate into the contribution kept.
    page = new_page()
    _log_in(page, "moderation@prefecture.gouv.fr")
    page.goto(f"{base}/doublons/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Doublons")
    check(page)
    first, second = sorted([kept, copy], key=lambda c: c.pk)
    direction = "second" if copy == first else "first"
    pair = page.locator(f"#paire-{first.pk}-{second.pk}")
    pair.get_by_label("Note pour le journal").fill("Même demande, mots différents")
    pair.locator(f'button[name="keep"][value="{direction}"]').click()
    expect(page.get_by_text("« Curage des fossés » est fusionnée dans")).to_be_visible()
    expect(page.locator("#fusions")).to_contain_text("Curage des fossés")
    check(page)
    assert Contribution.objects.get(pk=copy.pk).merged_into_id == kept.pk
    assert (
        Merge.objects.get().added_supports
        and Support.objects.filter(contribution=kept).count() == 2
    )

    # She groups the contributions into themes and opens one.
    page.get_by_role("link", name="Thèmes automatiques", exact=True).click()
    check(page)
    page.get_by_role("button", name="Regrouper les contributions").click()
    expect(page.get_by_text(re.compile(r"2 contributions regroupées en \d+ thème"))).to_be_visible()
    page.locator("#titre-themes ~ ul a").first.click()
    expect(page.get_by_role("heading", level=2, name="Renommer le thème")).to_be_visible()
    check(page)

    # She creates a section and writes it; a claim without a source is refused first.
    page.get_by_role("link", name="Synthèse", exact=True).click()
    page.get_by_label("Titre de la partie").fill("Entretien des fossés")
    check(page)
    page.get_by_role("button", name="Créer la partie").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Entretien des fossés")
    editor = page.get_by_label("Texte de la synthèse")
    editor.fill(
        "## Ce que demandent les habitants\n"
        f"Curer les fossés avant l'hiver, le long des routes [#{kept.pk}].\n\n"
        "Tout le monde est d'accord."
    )
    page.get_by_role("button", name="Enregistrer une version").click()
    expect(page.get_by_text("ligne 4 ne cite aucune source").first).to_be_visible()
    expect(editor).to_have_value(re.compile("Tout le monde est d'accord."))
    check(page)
    editor.fill(
        "## Ce que demandent les habitants\n"
        f"Curer les fossés avant l'hiver, le long des routes [#{kept.pk}].\n\n"
        f"- Deux soutiens venus d'une contribution fusionnée [#{kept.pk}]"
    )
    page.get_by_role("button", name="Enregistrer une version").click()
    expect(page.get_by_text("Version 1 enregistrée.")).to_be_visible()
    check(page)
    expect(page.get_by_role("button", name=re.compile("Publier cette version"))).to_have_count(0)

    # The organiser publishes it, in her own browser.
    section = SynthesisSection.objects.get()
    staff = new_page()
    _log_in(staff, "organisation@prefecture.gouv.fr")
    staff.goto(f"{base}/synthese/{section.pk}/")
    staff.get_by_role("button", name=re.compile("Publier cette version")).click()
    expect(staff.get_by_text("La version 1 est publiée.")).to_be_visible()
    check(staff)
    section.refresh_from_db()
    assert section.published_version.number == 1

    # The rendered citation leads to its source, which anyone can read.
    shown = staff.locator("#version-affichee")
    expect(shown.get_by_role("heading", level=3)).to_have_text("Ce que demandent les habitants")
    citation = shown.get_by_role("link", name=f"[#{kept.pk}]").first
    visitor = new_page()
    visitor.goto(citation.get_attribute("href"))
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Curer les fossés avant l'hiver")
    citation.click()
    expect(staff).to_have_url(re.compile(rf"/contributions/{kept.pk}/$"))
    expect(staff.get_by_role("heading", level=1)).to_have_text("Curer les fossés avant l'hiver")

    problems = [(url, issues) for url, issues in visited if issues]
    assert problems == [], problems
