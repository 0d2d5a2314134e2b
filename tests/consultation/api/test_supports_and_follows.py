from consultation.models import Campaign, Contribution, Follow, Support
from tests import factories
from tests.consultation.api.conftest import close_phases


def _support(contribution):
    return f"/api/v1/contributions/{contribution.pk}/support/"


def _follow(contribution):
    return f"/api/v1/contributions/{contribution.pk}/follow/"


def test_a_first_support_is_201_and_a_repeat_is_200(api_as, proposal, resident):
    proposal.supports.create(user=factories.UserFactory())
    client = api_as(resident)

    first = client.post(_support(proposal))
    again = client.post(_support(proposal))

    assert first.status_code == 201
    assert first.json() == {"supported": True, "supports_count": 2}
    assert again.status_code == 200
    assert again.json() == {"supported": True, "supports_count": 2}
    assert Support.objects.filter(contribution=proposal).count() == 2


def test_withdrawing_a_support_is_204(api_as, proposal, resident):
    client = api_as(resident)
    client.post(_support(proposal))

    response = client.delete(_support(proposal))

    assert response.status_code == 204
    assert not Support.objects.exists()
    assert client.get(f"/api/v1/contributions/{proposal.pk}/").json()["supports_count"] == 0


def test_only_proposals_can_be_supported(api_as, campaign, resident):
    question = factories.ContributionFactory(campaign=campaign, kind=Contribution.Kind.QUESTION)

    response = api_as(resident).post(_support(question))

    assert response.status_code == 403
    assert response.json()["detail"] == "Seules les propositions peuvent être soutenues."
    assert not Support.objects.exists()


def test_it_refuses_supports_after_the_phase(api_as, campaign, proposal, resident):
    close_phases(campaign)

    response = api_as(resident).post(_support(proposal))

    assert response.status_code == 403
    assert "soutenir" in response.json()["detail"]
    assert not Support.objects.exists()


def test_anonymous_supports_are_401(api, proposal):
    response = api.post(_support(proposal))

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")
    assert not Support.objects.exists()


def test_unknown_or_invisible_contributions_are_404(api_as, campaign, proposal, resident):
    assert api_as(resident).post("/api/v1/contributions/999999/support/").status_code == 404
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    assert api_as(resident).post(_support(proposal)).status_code == 404
    assert not Support.objects.exists()


def test_following_is_201_then_200_and_unfollowing_204(api_as, proposal, resident):
    client = api_as(resident)

    first = client.post(_follow(proposal))
    again = client.post(_follow(proposal))
    stop = client.delete(_follow(proposal))

    assert (first.status_code, again.status_code, stop.status_code) == (201, 200, 204)
    assert first.json() == {"following": True}
    assert not Follow.objects.filter(user=resident).exists()


def test_anonymous_follows_are_401(api, proposal):
    assert api.post(_follow(proposal)).status_code == 401
    assert api.delete(_follow(proposal)).status_code == 401
    assert not Follow.objects.exists()


def test_a_pending_contribution_of_someone_else_cannot_be_followed(api_as, campaign, resident):
    pending = factories.ContributionFactory(campaign=campaign, visibility="pending")

    assert api_as(resident).post(_follow(pending)).status_code == 404
    assert not Follow.objects.filter(user=resident).exists()
