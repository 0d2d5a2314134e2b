"""A contribution's page: what it shows, threaded comments, the official answer, query count."""

import uuid

import pytest
from django.urls import reverse

from consultation.actions.boards import promote_cards, run_command
from consultation.models import Campaign, Comment, Follow, Support
from consultation.models.contributions import Visibility
from tests import factories
from tests.staff import sign_in

pytestmark = pytest.mark.django_db


def page_url(contribution):
    return reverse(
        "frontend:contribution",
        kwargs={"slug": contribution.campaign.slug, "pk": contribution.pk},
    )


def test_it_shows_the_contribution_with_its_signature_theme_and_commune(
    client, campaign, theme, commune, other_resident
):
    contribution = factories.ContributionFactory(
        campaign=campaign,
        author=other_resident,
        theme=theme,
        commune=commune,
        title="Recréer des zones d'expansion de crue",
        body="Première ligne.\nDeuxième ligne.",
    )
    response = client.get(page_url(contribution))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Recréer des zones d&#x27;expansion de crue" in page
    assert "Par Dominique" in page
    assert "Montreuil-sur-Mer" in page
    assert "Proposition" in page
    assert "En ligne" in page
    assert "Première ligne.<br>Deuxième ligne." in page
    assert "0 soutien" in page


def test_html_typed_by_residents_is_shown_as_text(client, campaign, resident):
    contribution = factories.ContributionFactory(
        campaign=campaign,
        title="<script>alert('titre')</script>",
        body="<img src=x onerror=alert(1)> <b>gras</b>",
    )
    factories.CommentFactory(contribution=contribution, body="<script>alert('c')</script>")
    page = client.get(page_url(contribution)).content.decode()
    assert "<script>alert(" not in page
    assert "<img src=x" not in page
    assert "<b>gras</b>" not in page
    assert "&lt;script&gt;alert(&#x27;titre&#x27;)&lt;/script&gt;" in page
    assert "&lt;b&gt;gras&lt;/b&gt;" in page
    assert "&lt;script&gt;alert(&#x27;c&#x27;)&lt;/script&gt;" in page


def test_comments_are_threaded_with_their_position_in_words(client, proposal):
    parent = factories.CommentFactory(
        contribution=proposal, body="Il faut des bassins.", alignment=Comment.Alignment.FOR
    )
    factories.CommentFactory(
        contribution=proposal,
        parent=parent,
        body="Trop cher pour la commune.",
        alignment=Comment.Alignment.AGAINST,
    )
    response = client.get(page_url(proposal))
    page = response.content.decode()
    assert "Position : Pour" in page
    assert "Position : Contre" in page
    roots = response.context["comments"]
    assert [c.body for c in roots] == ["Il faut des bassins."]
    assert [c.body for c in roots[0].children] == ["Trop cher pour la commune."]
    reply_url = reverse(
        "frontend:reply",
        kwargs={"slug": proposal.campaign.slug, "pk": proposal.pk, "comment_pk": parent.pk},
    )
    assert reply_url in page


def test_hidden_comments_are_not_shown(client, proposal):
    factories.CommentFactory(
        contribution=proposal, body="Propos injurieux", visibility=Visibility.HIDDEN
    )
    assert "Propos injurieux" not in client.get(page_url(proposal)).content.decode()


def test_the_official_answer_is_shown_with_its_status(client, proposal):
    factories.OfficialAnswerFactory(contribution=proposal, status="accepted")
    page = client.get(page_url(proposal)).content.decode()
    assert "Réponse officielle de la préfecture" in page
    assert "Statut : Retenue" in page
    assert "syndicat mixte du bassin" in page


def test_residents_do_not_see_the_official_answer_form(client, resident, proposal):
    client.force_login(resident)
    assert "Répondre officiellement" not in client.get(page_url(proposal)).content.decode()


def test_organisers_see_the_official_answer_form(client, organiser, proposal):
    sign_in(client, organiser)
    assert "Répondre officiellement" in client.get(page_url(proposal)).content.decode()


def test_the_page_says_whether_the_person_supports_and_follows(client, resident, proposal):
    Support.objects.create(contribution=proposal, user=resident)
    Follow.objects.create(contribution=proposal, user=resident)
    client.force_login(resident)
    page = client.get(page_url(proposal)).content.decode()
    assert "Retirer mon soutien" in page
    assert "1 soutien" in page
    assert "Ne plus suivre" in page


def test_a_pending_contribution_is_shown_to_its_author_only(
    client, campaign, resident, other_resident
):
    pending = factories.ContributionFactory(
        campaign=campaign, author=resident, visibility=Visibility.PENDING
    )
    assert client.get(page_url(pending)).status_code == 404
    client.force_login(other_resident)
    assert client.get(page_url(pending)).status_code == 404
    client.force_login(resident)
    response = client.get(page_url(pending))
    assert response.status_code == 200
    assert "En attente de modération" in response.content.decode()


def test_a_contribution_of_another_campaign_is_not_found_under_this_one(client, campaign):
    elsewhere = factories.ContributionFactory()
    url = reverse("frontend:contribution", kwargs={"slug": campaign.slug, "pk": elsewhere.pk})
    assert client.get(url).status_code == 404
    assert (
        client.get(
            reverse("frontend:contribution", kwargs={"slug": campaign.slug, "pk": 999999})
        ).status_code
        == 404
    )


def test_a_contribution_of_a_draft_campaign_is_not_found(client, proposal):
    Campaign.objects.filter(pk=proposal.campaign_id).update(status=Campaign.Status.DRAFT)
    assert client.get(page_url(proposal)).status_code == 404


@pytest.mark.parametrize("count", [5, 50])
def test_the_contribution_page_query_count_does_not_grow(
    client, resident, proposal, django_assert_num_queries, count
):
    factories.OfficialAnswerFactory(contribution=proposal)
    roots = factories.CommentFactory.create_batch(count, contribution=proposal)
    for root in roots:
        factories.CommentFactory(contribution=proposal, parent=root)
    client.force_login(resident)
    client.get(page_url(proposal))
    # campaign, phases, session, user, contribution (counts, answer, author... joined),
    # comments with their authors, the person's roles (answer permission), support, follow,
    # the menu's campaigns
    with django_assert_num_queries(11):  # +1: the staff gate asks if the account has a role
        response = client.get(page_url(proposal))
    assert response.status_code == 200
    assert len(response.context["comments"]) == count


def test_anonymous_visitors_are_offered_to_support_and_to_log_in_to_comment(client, proposal):
    page = client.get(page_url(proposal)).content.decode()
    assert "Soutenir cette proposition" in page
    assert "Connectez-vous pour commenter" in page


def test_when_the_phase_is_closed_no_one_is_offered_to_support_or_comment(
    client, resident, proposal
):
    proposal.campaign.phases.update(allows_supports=False, allows_comments=False)
    factories.CommentFactory(contribution=proposal)
    anonymous_page = client.get(page_url(proposal)).content.decode()
    client.force_login(resident)
    resident_page = client.get(page_url(proposal)).content.decode()
    for page in (anonymous_page, resident_page):
        assert "Soutenir cette proposition" not in page
        assert "Les commentaires sont fermés pour cette contribution." in page
        assert "Répondre à" not in page


def test_a_display_name_with_html_is_shown_as_text(client, campaign):
    author = factories.UserFactory(display_name='<img src=x onerror="alert(1)">')
    contribution = factories.ContributionFactory(campaign=campaign, author=author)
    factories.CommentFactory(contribution=contribution, author=author)
    page = client.get(page_url(contribution)).content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def test_a_card_promoted_from_a_live_board_says_where_it_comes_from(
    client, live_session, facilitator, guest, board
):
    column = board.columns.get(position=1)
    message = {
        "type": "card.add",
        "id": str(uuid.uuid4()),
        "column": column.pk,
        "text": "Un référent inondation <b>par</b> commune",
    }
    card = run_command(guest, board, message)["result"]["card"]["id"]
    [made] = promote_cards(facilitator, live_session, cards=[card])
    page = client.get(made.get_absolute_url()).content.decode()
    assert "Atelier" in page and "Atelier en direct de Béthune" in page
    assert "colonne « Idées »" in page and "0 gommette" in page
    assert "&lt;b&gt;par&lt;/b&gt;" in page
