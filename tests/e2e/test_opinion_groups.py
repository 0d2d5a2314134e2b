"""The moderators' opinion-groups dashboard in real browsers, on Daphne: a moderator computes
the groups and keeps the dashboard open; a resident votes on the statements page and the
dashboard shows the new computation without a reload, saying so in its status region; an
organiser publishes the groups and the moderator's page shows it; the public results page
then draws the published map. axe-core checks the dashboard and the results page."""

import re

import pytest
from playwright.sync_api import expect

from consultation.models import OpinionGroups, Statement, StatementVote
from tests import factories
from tests.e2e.conftest import serious_accessibility_issues

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def voted(campaign):
    """Twenty people in two camps on nine statements (no computation yet: actions run in this
    thread could not reach the channel layer, Playwright's event loop runs here)."""
    rows = [
        factories.StatementFactory(campaign=campaign, text=f"Affirmation numéro {n}")
        for n in range(9)
    ]
    votes = []
    for person in range(20):
        user = factories.UserFactory()
        for n, statement in enumerate(rows):
            agree = n == 8 or n % 2 == person % 2
            choice = 0 if n == person % 8 else (1 if agree else -1)
            votes.append(StatementVote(statement=statement, user=user, choice=choice))
    StatementVote.objects.bulk_create(votes)
    campaign.results_visibility = "published"
    campaign.save()
    return rows


def figure(page, label: str):
    """The number shown above a figure's label, e.g. « personnes ont voté »."""
    return page.locator(".results-figures li").filter(has_text=label).locator("p").first


def test_the_dashboard_follows_votes_and_publication_live(
    new_live_page, campaign, moderator, organiser, resident, voted
):
    dashboard_url = f"/c/{campaign.slug}/moderation/groupes-opinion/"
    watcher = new_live_page(user=moderator)
    watcher.goto(dashboard_url)
    expect(watcher.get_by_role("heading", level=1)).to_have_text("Groupes d'opinion")
    expect(watcher.get_by_role("heading", name="Aucun calcul pour l'instant")).to_be_visible()
    watcher.get_by_role("button", name="Recalculer maintenant").click()
    expect(watcher.get_by_text("Groupes d'opinion recalculés : 2 groupes")).to_be_visible()
    first = OpinionGroups.objects.latest_for(campaign)
    expect(watcher.locator("#tableau-groupes[data-connection=ready]")).to_have_count(1)
    expect(figure(watcher, "personnes ont voté")).to_have_text("20")
    expect(watcher.get_by_role("img", name=re.compile("Carte des participant"))).to_be_visible()
    expect(watcher.locator(".opinion-map__centre")).to_have_count(first.groups_count)
    assert serious_accessibility_issues(watcher) == []
    watcher.evaluate("window.notReloaded = true")

    # A resident votes: the background computation runs, the dashboard swaps in the new one.
    voter = new_live_page(user=resident)
    voter.goto(f"/c/{campaign.slug}/affirmations/")
    statement = Statement.objects.get(campaign=campaign, text="Affirmation numéro 3")
    item = voter.locator(f"#affirmation-{statement.pk}")
    item.get_by_role("button", name="D'accord", exact=True).click()
    expect(voter.get_by_text("Votre vote est enregistré.")).to_be_visible()

    expect(figure(watcher, "personnes ont voté")).to_have_text("21")
    latest = OpinionGroups.objects.latest_for(campaign)
    assert latest.pk != first.pk
    expect(watcher.locator(f"[data-computation='{latest.pk}']")).to_have_count(1)
    expect(watcher.locator("#annonce-groupes")).to_contain_text("Tableau mis à jour")
    assert watcher.evaluate("window.notReloaded") is True

    # An organiser publishes it: the moderator's page says so, still without a reload.
    publisher = new_live_page(user=organiser)
    publisher.goto(dashboard_url)
    publisher.get_by_role("button", name="Publier ces groupes").click()
    expect(publisher.get_by_text("Ces groupes d'opinion sont publiés")).to_be_visible()
    expect(watcher.locator("#annonce-groupes")).to_contain_text("La publication des groupes")
    expect(watcher.get_by_text("Ce calcul est montré sur la page des résultats")).to_be_visible()
    assert watcher.evaluate("window.notReloaded") is True

    # Everyone now sees the published map on the results page.
    visitor = new_live_page()
    visitor.goto(f"/c/{campaign.slug}/resultats/")
    expect(visitor.get_by_role("heading", name="Les groupes d'opinion")).to_be_visible()
    expect(visitor.get_by_role("img", name=re.compile("Carte des participant"))).to_be_visible()
    table = visitor.get_by_role("table", name=re.compile("Groupes d'opinion : taille"))
    expect(table.get_by_role("row", name=re.compile(r"^Groupe A"))).to_be_visible()
    assert serious_accessibility_issues(visitor) == []
