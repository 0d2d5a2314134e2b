"""Each participation page renders with demo-like data; drafts stay hidden; filters, search,
sort and pagination of a campaign's contributions work; query counts do not grow with data."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from consultation.models import Campaign, Contribution, OfficialAnswer, Support
from consultation.models.contributions import Provenance, Visibility
from tests import factories
from tests.staff import sign_in

pytestmark = pytest.mark.django_db


def campaign_url(campaign, **params):
    url = reverse("frontend:campaign", kwargs={"slug": campaign.slug})
    if params:
        url += "?" + urlencode(params)
    return url


def titles(response):
    return [c.title for c in response.context["page_obj"].object_list]


def test_the_home_page_lists_public_campaigns_with_their_status(client, campaign):
    factories.CampaignFactory(title="Brouillon secret", status=Campaign.Status.DRAFT)
    response = client.get(reverse("frontend:home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert campaign.title in page
    assert "Publiée" in page
    assert "Brouillon secret" not in page


def test_the_campaign_page_shows_context_phases_themes_and_figures(
    client, campaign, theme, proposal
):
    response = client.get(campaign_url(campaign))
    assert response.status_code == 200
    page = response.content.decode()
    # Staff HTML, sanitised when saved, is rendered as HTML.
    assert "<p>Après les crues de l'hiver 2023-2024.</p>" in page
    assert "Phase en cours" in page
    assert 'aria-current="step"' in page
    assert theme.name.replace("'", "&#x27;") in page
    assert proposal.title in page
    assert response.context["figures"] == {"contributions": 1, "participants": 1, "workshops": 0}


def test_a_draft_campaign_is_not_found_for_residents(client, resident):
    draft = factories.CampaignFactory(status=Campaign.Status.DRAFT)
    assert client.get(campaign_url(draft)).status_code == 404
    client.force_login(resident)
    assert client.get(campaign_url(draft)).status_code == 404
    assert client.get(reverse("frontend:statements", args=[draft.slug])).status_code == 404
    assert client.get(reverse("frontend:workshops", args=[draft.slug])).status_code == 404


def test_a_draft_campaign_opens_for_its_organiser(client, campaign, organiser):
    campaign.status = Campaign.Status.DRAFT
    campaign.save()
    sign_in(client, organiser)
    assert client.get(campaign_url(campaign)).status_code == 200


def test_an_unknown_campaign_is_not_found(client, db):
    assert client.get("/c/nexiste-pas/").status_code == 404


def test_it_filters_contributions_by_kind_theme_area_commune_answer_and_provenance(
    client, campaign, theme, commune
):
    other_area = factories.AreaFactory(name="Bassin de la Liane", slug="liane")
    far = factories.CommuneFactory(area=other_area, name="Boulogne-sur-Mer", insee_code="62160")
    campaign.areas.add(commune.area, other_area)
    make = factories.ContributionFactory
    make(campaign=campaign, title="Digue à Montreuil", theme=theme, commune=commune)
    make(campaign=campaign, title="Question Boulogne", kind="question", commune=far)
    answered = make(campaign=campaign, title="Bassin de rétention", provenance=Provenance.PAPER)
    factories.OfficialAnswerFactory(contribution=answered, status=OfficialAnswer.Status.ACCEPTED)

    assert titles(client.get(campaign_url(campaign, kind="question"))) == ["Question Boulogne"]
    assert titles(client.get(campaign_url(campaign, theme=theme.slug))) == ["Digue à Montreuil"]
    assert titles(client.get(campaign_url(campaign, area="liane"))) == ["Question Boulogne"]
    assert titles(client.get(campaign_url(campaign, commune="62588"))) == ["Digue à Montreuil"]
    assert titles(client.get(campaign_url(campaign, answer_status="accepted"))) == [
        "Bassin de rétention"
    ]
    assert set(titles(client.get(campaign_url(campaign, answer_status="none")))) == {
        "Digue à Montreuil",
        "Question Boulogne",
    }
    assert titles(client.get(campaign_url(campaign, provenance="paper"))) == ["Bassin de rétention"]


def test_an_unknown_filter_value_is_reported_and_ignored(client, campaign, proposal):
    response = client.get(campaign_url(campaign, kind="<script>x</script>", theme="inconnu"))
    assert response.status_code == 200
    assert titles(response) == [proposal.title]
    page = response.content.decode()
    assert "Sélectionnez un choix valide" in page
    assert "<script>x</script>" not in page


def test_another_campaigns_theme_does_not_filter_anything_in(client, campaign):
    foreign_theme = factories.ThemeFactory(name="Thème d'ailleurs")
    factories.ContributionFactory(campaign=foreign_theme.campaign, theme=foreign_theme)
    response = client.get(campaign_url(campaign, theme=foreign_theme.slug))
    assert titles(response) == []
    assert "Sélectionnez un choix valide" in response.content.decode()


def test_it_searches_titles_and_bodies(client, campaign):
    factories.ContributionFactory(campaign=campaign, title="Curer les wateringues")
    factories.ContributionFactory(
        campaign=campaign, title="Autre idée", body="Planter des haies contre le ruissellement."
    )
    factories.ContributionFactory(campaign=campaign, title="Sans rapport")
    assert titles(client.get(campaign_url(campaign, q="wateringues"))) == ["Curer les wateringues"]
    assert titles(client.get(campaign_url(campaign, q="haies ruissellement"))) == ["Autre idée"]


def test_it_sorts_by_supports_and_by_comments(client, campaign):
    quiet = factories.ContributionFactory(campaign=campaign, title="Peu soutenue")
    loved = factories.ContributionFactory(campaign=campaign, title="Très soutenue")
    talked = factories.ContributionFactory(campaign=campaign, title="Très commentée")
    for _ in range(3):
        Support.objects.create(contribution=loved, user=factories.UserFactory())
        factories.CommentFactory(contribution=talked)
    Support.objects.create(contribution=quiet, user=factories.UserFactory())
    assert titles(client.get(campaign_url(campaign, sort="supports")))[0] == "Très soutenue"
    assert titles(client.get(campaign_url(campaign, sort="comments")))[0] == "Très commentée"
    assert titles(client.get(campaign_url(campaign)))[0] == "Très commentée"  # most recent


def test_it_paginates_and_keeps_the_filters_in_page_links(client, campaign):
    factories.ContributionFactory.create_batch(25, campaign=campaign, kind="question")
    factories.ContributionFactory(campaign=campaign, kind="testimony")
    first = client.get(campaign_url(campaign, kind="question"))
    assert len(titles(first)) == 20
    assert "kind=question&amp;page=2" in first.content.decode()
    second = client.get(campaign_url(campaign, kind="question", page=2))
    assert len(titles(second)) == 5
    assert client.get(campaign_url(campaign, page="abc")).status_code == 200


def test_hidden_and_pending_contributions_are_not_listed(client, campaign):
    factories.ContributionFactory(campaign=campaign, title="Masquée", visibility=Visibility.HIDDEN)
    factories.ContributionFactory(
        campaign=campaign, title="En attente", visibility=Visibility.PENDING
    )
    assert titles(client.get(campaign_url(campaign))) == []


def _fill_campaign(campaign, count, theme, commune):
    for n in range(count):
        contribution = factories.ContributionFactory(
            campaign=campaign, theme=theme, commune=commune, title=f"Idée {n}"
        )
        factories.OfficialAnswerFactory(contribution=contribution)
        factories.CommentFactory(contribution=contribution)


@pytest.mark.parametrize("count", [5, 50])
def test_the_campaign_page_query_count_does_not_grow(
    client, resident, campaign, theme, commune, django_assert_num_queries, count
):
    _fill_campaign(campaign, count, theme, commune)
    client.force_login(resident)
    client.get(campaign_url(campaign))  # warm the session
    # campaign, phases, session, user, themes, campaign areas, communes (filters),
    # figures: contributions, participants, workshops; paginator count, one page of
    # contributions (with counts, answer, theme, commune, author joined), the menu's campaigns,
    # the person's roles (the menu's "Modération" entry).
    with django_assert_num_queries(15):  # +1: the staff gate asks if the account has a role
        response = client.get(campaign_url(campaign))
    assert response.status_code == 200
    assert len(response.context["page_obj"].object_list) == min(count, 20)


def test_contribution_listing_is_only_of_this_campaign(client, campaign):
    elsewhere = factories.ContributionFactory(title="Ailleurs")
    assert elsewhere.campaign != campaign
    assert titles(client.get(campaign_url(campaign))) == []
    assert Contribution.objects.count() == 1


def test_a_closed_campaign_says_it_is_over_and_offers_no_contribution(client, campaign):
    campaign.status = Campaign.Status.CLOSED
    campaign.save()
    page = client.get(campaign_url(campaign)).content.decode()
    assert "Cette concertation est terminée" in page
    assert reverse("frontend:submit", kwargs={"slug": campaign.slug}) not in page


def test_the_menu_links_to_the_results_once_they_are_public(client, campaign, moderator):
    results = reverse("frontend:results", kwargs={"slug": campaign.slug})
    campaign.results_visibility = "after_close"
    campaign.save()
    assert results not in client.get(campaign_url(campaign)).content.decode()
    sign_in(client, moderator)  # staff see the preview
    assert results in client.get(campaign_url(campaign)).content.decode()
    client.logout()
    campaign.results_visibility = "published"
    campaign.save()
    assert results in client.get(campaign_url(campaign)).content.decode()
