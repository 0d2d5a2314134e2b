import pytest

from consultation.models import OfficialAnswer
from tests import factories

ANSWER = {
    "status": "partially_accepted",
    "body": "La préfecture retient la restauration de deux zones humides sur la Canche.",
}


def _url(contribution):
    return f"/api/v1/contributions/{contribution.pk}/answer/"


def test_an_organiser_answers_and_the_answer_shows_inline(
    api, api_as, proposal, organiser, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(organiser).put(_url(proposal), ANSWER, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "partially_accepted"
    detail = api.get(f"/api/v1/contributions/{proposal.pk}/").json()
    assert detail["answer"]["body"] == ANSWER["body"]


def test_a_second_answer_replaces_the_first(api_as, proposal, organiser):
    client = api_as(organiser)
    client.put(_url(proposal), ANSWER, format="json")

    client.put(_url(proposal), {**ANSWER, "status": "accepted"}, format="json")

    assert OfficialAnswer.objects.get().status == "accepted"


@pytest.mark.parametrize("persona", ["resident", "moderator", "facilitator"])
def test_other_roles_are_403(request, api_as, proposal, persona):
    response = api_as(request.getfixturevalue(persona)).put(_url(proposal), ANSWER, format="json")

    assert response.status_code == 403
    assert response.json()["detail"] == "Seule l'équipe organisatrice peut répondre officiellement."
    assert not OfficialAnswer.objects.exists()


def test_an_organiser_of_another_campaign_is_403(api_as, proposal, other_campaign):
    stranger = factories.UserFactory()
    other_campaign.roles.create(user=stranger, role="organiser")

    assert api_as(stranger).put(_url(proposal), ANSWER, format="json").status_code == 403


def test_anonymous_answers_are_401(api, proposal):
    assert api.put(_url(proposal), ANSWER, format="json").status_code == 401


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**ANSWER, "status": "maybe"}, "status"),
        ({**ANSWER, "body": ""}, "body"),
        ({**ANSWER, "body": "Trop bref"}, "body"),
        ({**ANSWER, "body": "a" * 5001}, "body"),
        ({"body": ANSWER["body"]}, "status"),
    ],
)
def test_it_refuses_bad_answers_in_french(api_as, proposal, organiser, payload, field):
    response = api_as(organiser).put(_url(proposal), payload, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert not OfficialAnswer.objects.exists()


def test_post_is_not_allowed_on_answers(api_as, proposal, organiser):
    response = api_as(organiser).post(_url(proposal), ANSWER, format="json")

    assert response.status_code == 405
    assert "non autorisée" in response.json()["detail"]
