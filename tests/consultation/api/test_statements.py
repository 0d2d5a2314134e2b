import pytest

from consultation.models import Campaign, Statement, StatementVote
from consultation.models.contributions import Visibility
from tests import factories
from tests.consultation.api.conftest import close_phases

URL = "/api/v1/statements/"


def _vote(statement):
    return f"{URL}{statement.pk}/vote/"


def test_it_lists_statements_with_exact_vote_counts_and_my_vote(api_as, campaign, resident):
    statement = factories.StatementFactory(campaign=campaign)
    for choice in [1, 1, -1, 0]:
        statement.votes.create(user=factories.UserFactory(), choice=choice)
    statement.votes.create(user=resident, choice=-1)

    (row,) = api_as(resident).get(URL, {"campaign": campaign.slug}).json()["results"]

    assert (row["agree_count"], row["disagree_count"], row["pass_count"]) == (2, 2, 1)
    assert row["my_vote"] == "disagree"


def test_anonymous_visitors_see_counts_without_a_vote(api, statement):
    body = api.get(f"{URL}{statement.pk}/").json()

    assert body["my_vote"] is None
    assert body["agree_count"] == 0


def test_the_campaign_filter_keeps_other_campaigns_out(api, statement, other_campaign):
    factories.StatementFactory(campaign=other_campaign, text="Ailleurs, autre chose.")

    rows = api.get(URL, {"campaign": other_campaign.slug}).json()["results"]

    assert [row["text"] for row in rows] == ["Ailleurs, autre chose."]


def test_pending_and_hidden_statements_stay_out(api, api_as, campaign, resident):
    factories.StatementFactory(campaign=campaign, visibility=Visibility.HIDDEN, text="Masquée")
    mine = factories.StatementFactory(
        campaign=campaign, visibility=Visibility.PENDING, author=resident, text="À valider"
    )

    assert api.get(URL).json()["count"] == 0
    assert [row["text"] for row in api_as(resident).get(URL).json()["results"]] == ["À valider"]
    assert api.get(f"{URL}{mine.pk}/").status_code == 404


def test_a_vote_returns_the_new_counts(api_as, statement, resident):
    response = api_as(resident).post(_vote(statement), {"choice": "agree"}, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "choice": "agree",
        "agree_count": 1,
        "disagree_count": 0,
        "pass_count": 0,
    }


def test_voting_again_replaces_the_vote(api_as, statement, resident):
    client = api_as(resident)
    client.post(_vote(statement), {"choice": "agree"}, format="json")

    response = client.post(_vote(statement), {"choice": "pass"}, format="json")

    assert response.json()["agree_count"] == 0
    assert response.json()["pass_count"] == 1
    assert StatementVote.objects.get().choice == StatementVote.Choice.PASS


@pytest.mark.parametrize("payload", [{}, {"choice": "oui"}, {"choice": 1}, {"choice": None}])
def test_it_refuses_bad_votes_in_french(api_as, statement, resident, payload):
    response = api_as(resident).post(_vote(statement), payload, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == "choice"
    assert response.json()["detail"].startswith("Vote :")
    assert not StatementVote.objects.exists()


def test_it_refuses_votes_after_the_phase(api_as, campaign, statement, resident):
    close_phases(campaign)

    response = api_as(resident).post(_vote(statement), {"choice": "agree"}, format="json")

    assert response.status_code == 403
    assert "voter" in response.json()["detail"]
    assert not StatementVote.objects.exists()


def test_anonymous_votes_are_401(api, statement):
    assert api.post(_vote(statement), {"choice": "agree"}, format="json").status_code == 401
    assert not StatementVote.objects.exists()


def test_statements_of_a_draft_campaign_are_404(api_as, campaign, statement, resident):
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)

    assert api_as(resident).get(f"{URL}{statement.pk}/").status_code == 404
    response = api_as(resident).post(_vote(statement), {"choice": "agree"}, format="json")
    assert response.status_code == 404


def test_a_resident_proposal_waits_for_moderation(api, api_as, campaign, resident):
    text = "<b>Les digues</b> doivent être entretenues par l'État."

    response = api_as(resident).post(URL, {"campaign": campaign.slug, "text": text}, format="json")

    assert response.status_code == 201
    assert response.json()["visibility"] == "pending"
    assert response.json()["text"] == text
    assert api.get(URL).json()["count"] == 0


def test_a_moderator_proposal_is_published_at_once(api, api_as, campaign, moderator):
    payload = {"campaign": campaign.slug, "text": "Il faut replanter des haies partout."}

    response = api_as(moderator).post(URL, payload, format="json")

    assert response.json()["visibility"] == "published"
    assert api.get(URL).json()["count"] == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "Court"}, "text"),
        ({"text": "t" * 281}, "text"),
        ({"text": 3.14}, "text"),
        ({"campaign": "inconnue"}, "campaign"),
        ({"campaign": ["liste"]}, "campaign"),
    ],
)
def test_it_refuses_bad_proposals_in_french(api_as, campaign, resident, changes, field):
    payload = {"campaign": campaign.slug, "text": "Une affirmation correcte.", **changes}

    response = api_as(resident).post(URL, payload, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert not Statement.objects.exists()


def test_it_refuses_proposals_after_the_phase(api_as, campaign, resident):
    close_phases(campaign)
    payload = {"campaign": campaign.slug, "text": "Une affirmation correcte."}

    assert api_as(resident).post(URL, payload, format="json").status_code == 403
    assert not Statement.objects.exists()


@pytest.mark.parametrize("rows", [5, 50])
def test_the_list_costs_the_same_queries_for_5_or_50_rows(
    api_as, campaign, resident, django_assert_num_queries, rows
):
    for statement in factories.StatementFactory.create_batch(rows, campaign=campaign):
        statement.votes.create(user=resident, choice=1)
    client = api_as(resident)

    # 1 count for the paginator, 1 page with campaigns, vote counts and my vote.
    with django_assert_num_queries(2):
        response = client.get(URL, {"campaign": campaign.slug, "page_size": 100})

    assert len(response.json()["results"]) == rows
