import pytest

from consultation.models import Campaign, Comment
from consultation.models.contributions import Visibility
from tests import factories
from tests.consultation.api.conftest import close_phases


def _url(contribution):
    return f"/api/v1/contributions/{contribution.pk}/comments/"


def test_it_lists_a_thread_oldest_first_with_parents(api, proposal):
    first = factories.CommentFactory(contribution=proposal, alignment=Comment.Alignment.FOR)
    reply = factories.CommentFactory(
        contribution=proposal, parent=first, alignment=Comment.Alignment.AGAINST
    )

    rows = api.get(_url(proposal)).json()["results"]

    assert [(row["id"], row["parent"], row["alignment"]) for row in rows] == [
        (first.pk, None, "for"),
        (reply.pk, first.pk, "against"),
    ]


def test_hidden_and_others_pending_comments_stay_out(
    api_as, campaign, proposal, resident, other_resident, moderator
):
    factories.CommentFactory(contribution=proposal, visibility=Visibility.HIDDEN, body="Masqué")
    factories.CommentFactory(
        contribution=proposal, author=resident, visibility=Visibility.PENDING, body="Le mien"
    )

    def bodies(user):
        return [row["body"] for row in api_as(user).get(_url(proposal)).json()["results"]]

    assert bodies(resident) == ["Le mien"]
    assert bodies(other_resident) == []
    assert bodies(moderator) == ["Le mien"]


def test_a_resident_replies_with_an_alignment(api_as, proposal, resident):
    parent = factories.CommentFactory(contribution=proposal)

    response = api_as(resident).post(
        _url(proposal),
        {"body": "Je ne suis pas d'accord.", "alignment": "against", "parent": parent.pk},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["parent"] == parent.pk
    assert response.json()["alignment"] == "against"
    assert response.json()["author"] == "Camille"
    assert Comment.objects.get(pk=response.json()["id"]).alignment == Comment.Alignment.AGAINST


def test_the_alignment_is_neutral_by_default(api_as, proposal, resident):
    response = api_as(resident).post(_url(proposal), {"body": "Une remarque."}, format="json")

    assert response.json()["alignment"] == "neutral"


def test_script_in_a_comment_comes_back_as_text(api_as, proposal, resident):
    text = '<img src=x onerror="alert(1)"> les fossés débordent'

    response = api_as(resident).post(_url(proposal), {"body": text}, format="json")

    assert response.json()["body"] == text
    assert api_as(resident).get(_url(proposal)).json()["results"][0]["body"] == text


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"body": ""}, "body", "Commentaire :"),
        ({"body": "z" * 2001}, "body", "2000"),
        ({"body": 42}, "body", "Un texte est attendu"),
        ({"body": "Très juste.", "alignment": "pour"}, "alignment", "Position :"),
        ({"body": "Très juste.", "alignment": 1}, "alignment", "Position :"),
        ({"body": "Très juste.", "parent": 999999}, "parent", "n'existe pas"),
        ({"body": "Très juste.", "parent": "abc"}, "parent", "En réponse à :"),
    ],
)
def test_it_refuses_bad_comments_in_french(api_as, proposal, resident, payload, field, words):
    response = api_as(resident).post(_url(proposal), payload, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert words in response.json()["detail"]
    assert not Comment.objects.exists()


def test_it_refuses_a_parent_from_another_contribution(api_as, campaign, proposal, resident):
    elsewhere = factories.CommentFactory(
        contribution=factories.ContributionFactory(campaign=campaign)
    )

    response = api_as(resident).post(
        _url(proposal), {"body": "Réponse.", "parent": elsewhere.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "foreign_parent"
    assert not proposal.comments.exists()


def test_it_refuses_replies_deeper_than_three_levels(api_as, proposal, resident):
    parent = None
    for _ in range(4):
        parent = factories.CommentFactory(contribution=proposal, parent=parent)

    response = api_as(resident).post(
        _url(proposal), {"body": "Encore plus bas.", "parent": parent.pk}, format="json"
    )

    assert response.status_code == 400
    assert "trop imbriquée" in response.json()["detail"]


def test_it_refuses_comments_once_the_phase_is_over(api_as, campaign, proposal, resident):
    close_phases(campaign)

    response = api_as(resident).post(_url(proposal), {"body": "Trop tard ?"}, format="json")

    assert response.status_code == 403
    assert "commenter" in response.json()["detail"]
    assert not Comment.objects.exists()


def test_anonymous_visitors_read_but_must_log_in_to_comment(api, proposal):
    factories.CommentFactory(contribution=proposal)

    assert api.get(_url(proposal)).json()["count"] == 1
    response = api.post(_url(proposal), {"body": "Anonyme."}, format="json")
    assert response.status_code == 401
    assert Comment.objects.count() == 1


def test_comments_of_a_draft_campaign_are_404(api_as, campaign, proposal, resident):
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)

    assert api_as(resident).get(_url(proposal)).status_code == 404
    response = api_as(resident).post(_url(proposal), {"body": "Bonjour."}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize("rows", [5, 50])
def test_the_thread_costs_the_same_queries_for_5_or_50_comments(
    api_as, proposal, resident, django_assert_num_queries, rows
):
    factories.CommentFactory.create_batch(rows, contribution=proposal)
    client = api_as(resident)

    # 1 the contribution (with its counts), 1 count for the paginator, 1 page with authors.
    with django_assert_num_queries(3):
        response = client.get(_url(proposal), {"page_size": 100})

    assert len(response.json()["results"]) == rows
