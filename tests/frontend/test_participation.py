"""The participation forms, through the pages as a person uses them: happy paths, bad input,
closed phases, anonymous visitors, CSRF. Every refusal keeps what the person typed."""

import pytest
from django.test import Client
from django.urls import reverse

from consultation.models import (
    Campaign,
    Comment,
    Contribution,
    Follow,
    OfficialAnswer,
    Phase,
    Statement,
    StatementVote,
    Support,
)
from consultation.models.contributions import Visibility
from tests import factories
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

LOGIN = "/compte/connexion/"


def submit_url(campaign):
    return reverse("frontend:submit", kwargs={"slug": campaign.slug})


def contribution_url(contribution, name="contribution"):
    return reverse(
        f"frontend:{name}", kwargs={"slug": contribution.campaign.slug, "pk": contribution.pk}
    )


def close_phase(campaign, **flags):
    defaults = {
        "allows_contributions": False,
        "allows_comments": False,
        "allows_supports": False,
        "allows_votes": False,
    }
    Phase.objects.filter(campaign=campaign).update(**{**defaults, **flags})


def proposal_data(**overrides):
    data = {
        "kind": "proposal",
        "title": "Planter des haies sur les versants",
        "body": "Les haies freinent le ruissellement et retiennent la terre des champs.",
        "theme": "",
        "commune": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def logged_in(client, resident):
    client.force_login(resident)
    return client


# Submitting a contribution


def test_anonymous_visitors_are_sent_to_log_in_before_contributing(client, campaign):
    response = client.get(submit_url(campaign))
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={submit_url(campaign)}"
    client.post(submit_url(campaign), proposal_data())
    assert not Contribution.objects.exists()


def test_the_form_shows_the_limits_and_groups_communes_by_area(logged_in, campaign, commune):
    campaign.areas.add(commune.area)
    page = logged_in.get(submit_url(campaign)).content.decode()
    assert "Entre 5 et 150 caractères." in page
    assert "Entre 15 et 5000 caractères." in page
    assert '<optgroup label="Bassin de la Canche">' in page
    assert "Montreuil-sur-Mer" in page
    assert "Question" in page and "Témoignage" in page
    assert "Débat" not in page


def test_a_resident_submits_a_proposal_and_lands_on_it(
    logged_in, resident, campaign, theme, commune
):
    campaign.areas.add(commune.area)
    response = logged_in.post(
        submit_url(campaign), proposal_data(theme=theme.pk, commune=commune.pk), follow=True
    )
    created = Contribution.objects.get()
    assert response.redirect_chain[-1][0] == created.get_absolute_url()
    assert (created.author, created.theme, created.commune) == (resident, theme, commune)
    page = response.content.decode()
    assert "Merci ! Votre contribution est publiée." in page
    assert "Planter des haies sur les versants" in page


def test_in_pre_moderation_the_person_is_told_it_awaits_moderation(logged_in, campaign):
    campaign.moderation_mode = Campaign.ModerationMode.PRE
    campaign.save()
    response = logged_in.post(submit_url(campaign), proposal_data(), follow=True)
    assert Contribution.objects.get().visibility == Visibility.PENDING
    assert "publiée après validation" in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": "", "body": ""}, "Ce champ est obligatoire."),
        ({"title": "T" * 151}, "au plus 150 caractères"),
        ({"body": "B" * 5001}, "au plus 5000 caractères"),
        ({"kind": "debate"}, "Sélectionnez un choix valide"),
        ({"kind": "<b>x</b>"}, "Sélectionnez un choix valide"),
        ({"theme": "999999"}, "Sélectionnez un choix valide"),
        ({"theme": "abc"}, "Sélectionnez un choix valide"),
        ({"commune": "999999"}, "Sélectionnez un choix valide"),
        ({"title": "Haie"}, "au moins 5 caractères"),
        ({"body": "Trop court."}, "au moins 15 caractères"),
        # Passes the form (5 characters) but the action removes control characters.
        ({"title": "\x01\x02\x03\x04\x05"}, "Titre : ce champ est obligatoire."),
    ],
)
def test_bad_input_is_refused_in_french_and_writes_nothing(logged_in, campaign, overrides, message):
    response = logged_in.post(submit_url(campaign), proposal_data(**overrides))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert 'aria-invalid="true"' in page
    assert not Contribution.objects.exists()


def test_a_refusal_keeps_what_the_person_typed(logged_in, campaign):
    response = logged_in.post(
        submit_url(campaign), proposal_data(title="Haie", body="Un long texte <i>précieux</i>.")
    )
    page = response.content.decode()
    assert 'value="Haie"' in page
    assert "Un long texte &lt;i&gt;précieux&lt;/i&gt;." in page


def test_another_campaigns_theme_is_refused(logged_in, campaign):
    foreign = factories.ThemeFactory()
    response = logged_in.post(submit_url(campaign), proposal_data(theme=foreign.pk))
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not Contribution.objects.exists()


def test_a_commune_outside_the_campaigns_areas_is_refused(logged_in, campaign, commune):
    other_area = factories.AreaFactory(name="Bassin de l'Aa", slug="aa")
    campaign.areas.add(other_area)
    response = logged_in.post(submit_url(campaign), proposal_data(commune=commune.pk))
    assert response.status_code == 400
    assert not Contribution.objects.exists()


def test_a_contribution_is_refused_when_the_phase_is_closed(logged_in, campaign):
    close_phase(campaign)
    response = logged_in.post(submit_url(campaign), proposal_data())
    assert response.status_code == 400
    page = response.content.decode()
    assert "La phase en cours ne permet pas de déposer de contribution." in page
    assert 'value="Planter des haies sur les versants"' in page
    assert not Contribution.objects.exists()


def test_html_in_a_title_is_stored_as_typed_and_shown_escaped(logged_in, campaign):
    response = logged_in.post(
        submit_url(campaign),
        proposal_data(title="<script>alert('x')</script> digues"),
        follow=True,
    )
    page = response.content.decode()
    assert "<script>alert('x')</script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; digues" in page


def test_posting_without_a_csrf_token_is_forbidden(resident, campaign, proposal):
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    assert client.post(submit_url(campaign), proposal_data()).status_code == 403
    assert client.post(contribution_url(proposal, "support")).status_code == 403
    assert (
        client.post(contribution_url(proposal, "comment"), {"comment-body": "Bonjour"})
    ).status_code == 403
    assert Contribution.objects.count() == 1
    assert not Support.objects.exists()
    assert not Comment.objects.exists()


def test_the_form_carries_a_csrf_token(logged_in, campaign):
    assert "csrfmiddlewaretoken" in logged_in.get(submit_url(campaign)).content.decode()


# Supports and follows


def test_supporting_twice_leaves_one_support(logged_in, resident, proposal):
    logged_in.post(contribution_url(proposal, "support"))
    response = logged_in.post(contribution_url(proposal, "support"), follow=True)
    assert Support.objects.filter(contribution=proposal, user=resident).count() == 1
    assert "1 soutien" in response.content.decode()


def test_a_resident_withdraws_a_support(logged_in, resident, proposal):
    Support.objects.create(contribution=proposal, user=resident)
    response = logged_in.post(contribution_url(proposal, "support"), {"retirer": "1"}, follow=True)
    assert not Support.objects.exists()
    assert "Votre soutien est retiré." in response.content.decode()


def test_anonymous_supporters_are_sent_to_log_in(client, proposal):
    response = client.post(contribution_url(proposal, "support"))
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={contribution_url(proposal)}"
    assert not Support.objects.exists()


def test_a_question_cannot_be_supported(logged_in, campaign):
    question = factories.ContributionFactory(campaign=campaign, kind="question")
    response = logged_in.post(contribution_url(question, "support"), follow=True)
    assert "Seules les propositions peuvent être soutenues." in response.content.decode()
    assert not Support.objects.exists()


def test_supports_are_refused_when_the_phase_is_closed(logged_in, proposal):
    close_phase(proposal.campaign)
    response = logged_in.post(contribution_url(proposal, "support"), follow=True)
    assert "La phase en cours ne permet pas de soutenir." in response.content.decode()
    assert not Support.objects.exists()


def test_supporting_by_get_is_not_allowed(logged_in, proposal):
    assert logged_in.get(contribution_url(proposal, "support")).status_code == 405


def test_a_resident_follows_then_unfollows(logged_in, resident, proposal):
    logged_in.post(contribution_url(proposal, "follow"))
    assert Follow.objects.filter(user=resident, contribution=proposal).exists()
    logged_in.post(contribution_url(proposal, "follow"), {"arreter": "1"})
    assert not Follow.objects.filter(user=resident).exists()


# Comments and replies


def test_a_resident_comments_with_a_position(logged_in, resident, proposal):
    response = logged_in.post(
        contribution_url(proposal, "comment"),
        {"comment-body": "Oui, et vite.", "comment-alignment": "1"},
        follow=True,
    )
    comment = Comment.objects.get()
    assert (comment.author, comment.alignment) == (resident, Comment.Alignment.FOR)
    page = response.content.decode()
    assert "Merci ! Votre commentaire est publié." in page
    assert "Position : Pour" in page
    assert response.redirect_chain[-1][0].endswith(f"#commentaire-{comment.pk}")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"comment-body": "", "comment-alignment": "0"}, "Ce champ est obligatoire."),
        ({"comment-body": "x" * 2001, "comment-alignment": "0"}, "au plus 2000 caractères"),
        ({"comment-body": "Bien vu", "comment-alignment": "5"}, "Sélectionnez un choix valide"),
        ({"comment-body": "Bien vu", "comment-alignment": "pour"}, "Sélectionnez un choix"),
        ({"comment-body": "x", "comment-alignment": "0"}, "au moins 2 caractères"),
    ],
)
def test_a_bad_comment_is_refused_and_nothing_is_written(logged_in, proposal, data, message):
    response = logged_in.post(contribution_url(proposal, "comment"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Comment.objects.exists()


def test_a_comment_is_refused_when_the_phase_is_closed_and_the_text_kept(logged_in, proposal):
    close_phase(proposal.campaign)
    response = logged_in.post(
        contribution_url(proposal, "comment"),
        {"comment-body": "Mon avis détaillé", "comment-alignment": "0"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "La phase en cours ne permet pas de commenter." in page
    assert "Mon avis détaillé" in page
    assert not Comment.objects.exists()


def test_anonymous_commenters_are_sent_to_log_in(client, proposal):
    response = client.post(
        contribution_url(proposal, "comment"), {"comment-body": "Bonjour", "comment-alignment": "0"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert not Comment.objects.exists()


def test_a_comment_with_html_is_shown_escaped(logged_in, proposal):
    response = logged_in.post(
        contribution_url(proposal, "comment"),
        {"comment-body": "<script>alert(1)</script>", "comment-alignment": "0"},
        follow=True,
    )
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def reply_url(comment):
    return reverse(
        "frontend:reply",
        kwargs={
            "slug": comment.contribution.campaign.slug,
            "pk": comment.contribution.pk,
            "comment_pk": comment.pk,
        },
    )


def test_the_reply_page_shows_the_comment_and_a_form(logged_in, proposal):
    parent = factories.CommentFactory(contribution=proposal, body="Qui paiera ?")
    response = logged_in.get(reply_url(parent))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Qui paiera ?" in page
    assert 'name="reply-body"' in page


def test_a_resident_replies_to_a_comment(logged_in, proposal):
    parent = factories.CommentFactory(contribution=proposal)
    logged_in.post(reply_url(parent), {"reply-body": "L'agence de l'eau.", "reply-alignment": "-1"})
    reply = Comment.objects.get(parent=parent)
    assert reply.body == "L'agence de l'eau."
    assert reply.alignment == Comment.Alignment.AGAINST


def test_an_empty_reply_is_refused_on_the_reply_page(logged_in, proposal):
    parent = factories.CommentFactory(contribution=proposal)
    response = logged_in.post(reply_url(parent), {"reply-body": "", "reply-alignment": "0"})
    assert response.status_code == 400
    assert "Ce champ est obligatoire." in response.content.decode()
    assert Comment.objects.count() == 1


def test_replying_too_deep_is_refused(logged_in, proposal):
    level = factories.CommentFactory(contribution=proposal)
    for _ in range(3):
        level = factories.CommentFactory(contribution=proposal, parent=level)
    response = logged_in.post(reply_url(level), {"reply-body": "Encore", "reply-alignment": "0"})
    assert response.status_code == 400
    assert "trop imbriquée" in response.content.decode()
    assert Comment.objects.count() == 4


def test_a_comment_of_another_contribution_cannot_be_answered_here(logged_in, proposal):
    foreign = factories.CommentFactory()
    url = reverse(
        "frontend:reply",
        kwargs={"slug": proposal.campaign.slug, "pk": proposal.pk, "comment_pk": foreign.pk},
    )
    assert logged_in.post(url, {"reply-body": "Bonjour", "reply-alignment": "0"}).status_code == 404
    assert Comment.objects.count() == 1


def test_anonymous_visitors_are_sent_to_log_in_to_reply(client, proposal):
    parent = factories.CommentFactory(contribution=proposal)
    response = client.get(reply_url(parent))
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={reply_url(parent)}"


# Official answers


def answer_data(**overrides):
    data = {"answer-status": "accepted", "answer-body": "Le syndicat mixte lancera les travaux."}
    data.update(overrides)
    return data


def test_an_organiser_answers_officially(client, organiser, proposal):
    sign_in(client, organiser)
    response = client.post(contribution_url(proposal, "answer"), answer_data(), follow=True)
    answer = OfficialAnswer.objects.get(contribution=proposal)
    assert answer.status == "accepted"
    page = response.content.decode()
    assert "Statut : Retenue" in page
    assert "Le syndicat mixte lancera les travaux." in page


def test_a_resident_cannot_answer_officially(logged_in, proposal):
    response = logged_in.post(contribution_url(proposal, "answer"), answer_data(), follow=True)
    assert "Seule l&#x27;équipe organisatrice peut répondre officiellement." in (
        response.content.decode()
    )
    assert not OfficialAnswer.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"answer-status": "peut-etre"}, "Sélectionnez un choix valide"),
        ({"answer-body": ""}, "Ce champ est obligatoire."),
        ({"answer-body": "Court"}, "au moins 10 caractères"),
    ],
)
def test_a_bad_official_answer_is_refused(client, organiser, proposal, overrides, message):
    sign_in(client, organiser)
    response = client.post(contribution_url(proposal, "answer"), answer_data(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not OfficialAnswer.objects.exists()


# Statements


def statements_url(campaign):
    return reverse("frontend:statements", kwargs={"slug": campaign.slug})


def vote_url(statement):
    return reverse("frontend:vote", kwargs={"slug": statement.campaign.slug, "pk": statement.pk})


def test_the_statements_page_shows_counts_only_after_voting(logged_in, resident, statement):
    StatementVote.objects.create(statement=statement, user=factories.UserFactory(), choice=1)
    page = logged_in.get(statements_url(statement.campaign)).content.decode()
    assert statement.text in page
    assert "Résultats" not in page
    response = logged_in.post(vote_url(statement), {"choice": "disagree"}, follow=True)
    page = response.content.decode()
    assert "Votre vote : <strong>Pas d&#x27;accord</strong>" in page
    assert "Résultats : 1 d'accord, 1 pas d'accord, 0 « je passe »." in page
    assert StatementVote.objects.get(user=resident).choice == -1


def test_a_second_vote_replaces_the_first(logged_in, resident, statement):
    logged_in.post(vote_url(statement), {"choice": "agree"})
    logged_in.post(vote_url(statement), {"choice": "pass"})
    assert list(StatementVote.objects.filter(user=resident).values_list("choice", flat=True)) == [0]


def test_an_unknown_vote_choice_is_refused(logged_in, statement):
    response = logged_in.post(vote_url(statement), {"choice": "<b>oui</b>"}, follow=True)
    assert "Choisissez « D&#x27;accord »" in response.content.decode()
    assert not StatementVote.objects.exists()


def test_votes_are_refused_when_the_phase_is_closed(logged_in, statement):
    close_phase(statement.campaign)
    response = logged_in.post(vote_url(statement), {"choice": "agree"}, follow=True)
    assert "La phase en cours ne permet pas de voter." in response.content.decode()
    assert not StatementVote.objects.exists()


def test_anonymous_voters_are_sent_to_log_in(client, statement):
    response = client.post(vote_url(statement), {"choice": "agree"})
    assert response["Location"] == f"{LOGIN}?next={statements_url(statement.campaign)}"
    assert not StatementVote.objects.exists()


def test_a_pending_statement_cannot_be_voted_on(logged_in, campaign):
    pending = factories.StatementFactory(campaign=campaign, visibility=Visibility.PENDING)
    assert logged_in.post(vote_url(pending), {"choice": "agree"}).status_code == 404
    assert pending.text not in logged_in.get(statements_url(campaign)).content.decode()


def test_a_resident_proposes_a_statement_that_awaits_moderation(logged_in, campaign):
    response = logged_in.post(
        statements_url(campaign),
        {"statement-text": "Les digues doivent être entretenues par l'État."},
        follow=True,
    )
    proposed = Statement.objects.get()
    assert proposed.visibility == Visibility.PENDING
    assert "après validation" in response.content.decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "Ce champ est obligatoire."), ("x" * 281, "au plus 280"), ("Court", "10 caractères")],
)
def test_a_bad_statement_is_refused(logged_in, campaign, text, message):
    response = logged_in.post(statements_url(campaign), {"statement-text": text})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Statement.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in_to_propose(client, campaign):
    response = client.post(statements_url(campaign), {"statement-text": "Une affirmation assez"})
    assert response["Location"] == f"{LOGIN}?next={statements_url(campaign)}"
    assert not Statement.objects.exists()


def test_a_refused_form_lists_its_mistakes_with_links_to_the_fields(logged_in, campaign):
    response = logged_in.post(submit_url(campaign), proposal_data(title="", kind=""))
    page = response.content.decode()
    assert "Votre envoi n’a pas été enregistré" in page
    assert '<a href="#id_title">Titre</a> : Ce champ est obligatoire.' in page
    assert '<a href="#id_kind_0">Type de contribution</a>' in page


def test_the_statements_page_query_count_does_not_grow(
    client, resident, campaign, django_assert_num_queries
):
    for statement in factories.StatementFactory.create_batch(30, campaign=campaign):
        StatementVote.objects.create(statement=statement, user=resident, choice=1)
    client.force_login(resident)
    client.get(statements_url(campaign))
    # campaign, phases, session, user, statements with their counts, the person's votes,
    # the menu's campaigns, the person's roles (the menu's "Modération" entry)
    with django_assert_num_queries(9):  # +1: the staff gate asks if the account has a role
        response = client.get(statements_url(campaign))
    assert len(response.context["statements"]) == 30


def test_the_form_says_why_one_cannot_contribute_before_typing(logged_in, campaign):
    close_phase(campaign)
    page = logged_in.get(submit_url(campaign)).content.decode()
    assert "La phase en cours ne permet pas de déposer de contribution." in page
    assert 'name="title"' not in page


def test_too_many_contributions_in_a_row_are_refused_and_the_text_kept(
    logged_in, campaign, settings, django_capture_on_commit_callbacks
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "contribution": "1/h"}
    with django_capture_on_commit_callbacks(execute=True):  # counted once written
        logged_in.post(submit_url(campaign), proposal_data())
    response = logged_in.post(submit_url(campaign), proposal_data(title="Une seconde idée"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Trop de demandes en peu de temps" in page
    assert 'value="Une seconde idée"' in page
    assert Contribution.objects.count() == 1


def test_anonymous_followers_are_sent_to_log_in(client, proposal):
    response = client.post(contribution_url(proposal, "follow"))
    assert response["Location"] == f"{LOGIN}?next={contribution_url(proposal)}"
    assert not Follow.objects.exists()


def test_an_empty_post_shows_the_required_fields(logged_in, campaign):
    response = logged_in.post(submit_url(campaign), {})
    assert response.status_code == 400
    assert "Ce champ est obligatoire." in response.content.decode()
    assert not Contribution.objects.exists()
