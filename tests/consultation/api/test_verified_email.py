"""Through the API, an account whose address is not verified is refused what it is refused on
the site (the same actions and rules), with the same French message. (The API has no report
endpoint; the vote fast path's own check is in test_fastvotes.py.)"""

import pytest

from consultation.models import Comment, Contribution, Statement, StatementVote, Support

pytestmark = pytest.mark.django_db

REFUSAL = "Confirmez d'abord votre adresse électronique"


def test_contributions_comments_supports_votes_and_reports_are_refused(
    api_as, campaign, proposal, statement, unverified_resident
):
    client = api_as(unverified_resident)
    contribution = {
        "campaign": campaign.slug,
        "kind": "proposal",
        "title": "Recréer des haies contre le ruissellement",
        "body": "Planter des haies le long des champs en pente pour freiner l'eau.",
    }
    responses = [
        client.post("/api/v1/contributions/", contribution, format="json"),
        client.post(
            f"/api/v1/contributions/{proposal.pk}/comments/", {"body": "D'accord."}, format="json"
        ),
        client.post(f"/api/v1/contributions/{proposal.pk}/support/"),
        client.post(f"/api/v1/statements/{statement.pk}/vote/", {"choice": "agree"}, format="json"),
        client.post(
            "/api/v1/statements/",
            {"campaign": campaign.slug, "text": "Il faut curer les fossés chaque automne."},
            format="json",
        ),
    ]
    for response in responses:
        assert response.status_code == 403, response.json()
        assert REFUSAL in response.json()["detail"]
        assert response.json()["code"] == "permission_denied"
    assert Contribution.objects.count() == 1
    assert not Comment.objects.exists() and not Support.objects.exists()
    assert not StatementVote.objects.exists() and Statement.objects.count() == 1


def test_the_same_requests_succeed_once_verified(api_as, proposal, statement, resident):
    client = api_as(resident)
    assert client.post(f"/api/v1/contributions/{proposal.pk}/support/").status_code == 201
    vote = client.post(
        f"/api/v1/statements/{statement.pk}/vote/", {"choice": "agree"}, format="json"
    )
    assert vote.status_code == 200
