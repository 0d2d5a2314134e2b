"""Residents report a contribution, a comment or a statement through the "Signaler" page: the
happy paths, every refusal in French, bad input, anonymous visitors, CSRF, escaping."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from consultation.models import Report
from consultation.models.contributions import Visibility
from tests import factories
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

LOGIN = "/compte/connexion/"


def report_url(campaign, kind, pk):
    return reverse("frontend:report", kwargs={"slug": campaign.slug, "kind": kind, "pk": pk})


def contribution_url(contribution):
    return reverse(
        "frontend:contribution",
        kwargs={"slug": contribution.campaign.slug, "pk": contribution.pk},
    )


def statements_url(campaign):
    return reverse("frontend:statements", kwargs={"slug": campaign.slug})


@pytest.fixture
def logged_in(client, resident):
    client.force_login(resident)
    return client


@pytest.fixture
def comment(proposal):
    return factories.CommentFactory(contribution=proposal, body="Un commentaire à signaler.")


def test_anonymous_visitors_are_sent_to_log_in_and_nothing_is_recorded(client, proposal):
    url = report_url(proposal.campaign, "contribution", proposal.pk)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={url}"
    assert client.post(url, {"reason": "spam"})["Location"] == f"{LOGIN}?next={url}"
    assert not Report.objects.exists()


def test_the_page_quotes_the_content_and_offers_the_reasons(logged_in, proposal):
    response = logged_in.get(report_url(proposal.campaign, "contribution", proposal.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert proposal.title in page
    assert "Dominique" in page  # the author's public name
    assert 'type="radio" name="reason" value="insulting"' in page
    assert "Propos injurieux, haineux ou discriminatoires" in page
    assert "Données personnelles d&#x27;un tiers" in page
    assert "csrfmiddlewaretoken" in page


def test_a_resident_reports_a_contribution_and_goes_back_to_it(logged_in, resident, proposal):
    response = logged_in.post(
        report_url(proposal.campaign, "contribution", proposal.pk),
        {"reason": "insulting", "details": "Des insultes envers un élu."},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == contribution_url(proposal)
    report = Report.objects.get()
    assert (report.reporter, report.contribution, report.reason) == (
        resident,
        proposal,
        "insulting",
    )
    assert report.details == "Des insultes envers un élu."
    assert "votre signalement est transmis" in response.content.decode()


def test_a_comment_is_reported_and_the_resident_lands_on_it(logged_in, proposal, comment):
    response = logged_in.post(
        report_url(proposal.campaign, "commentaire", comment.pk), {"reason": "off_topic"}
    )
    assert response["Location"] == f"{contribution_url(proposal)}#commentaire-{comment.pk}"
    assert Report.objects.get().comment == comment


def test_a_statement_is_reported_and_the_resident_lands_on_it(logged_in, campaign, statement):
    response = logged_in.post(
        report_url(campaign, "affirmation", statement.pk), {"reason": "spam", "details": ""}
    )
    assert response["Location"] == f"{statements_url(campaign)}#affirmation-{statement.pk}"
    assert Report.objects.get().statement == statement


def test_the_report_that_reaches_the_threshold_hides_the_content(logged_in, campaign, proposal):
    campaign.report_threshold = 1
    campaign.save()
    response = logged_in.post(
        report_url(campaign, "contribution", proposal.pk), {"reason": "spam"}, follow=True
    )
    # The contribution page would now answer 404 to a resident: back to the campaign's page.
    assert response.redirect_chain[-1][0] == campaign.get_absolute_url()
    assert "ce contenu est masqué en attendant la décision" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.visibility == Visibility.HIDDEN


@pytest.mark.parametrize(
    ("kind", "pk_of"),
    [
        ("sondage", lambda proposal, comment, statement: proposal.pk),
        ("comment", lambda proposal, comment, statement: comment.pk),  # English is not the URL
        ("contribution", lambda proposal, comment, statement: 999999),
        ("commentaire", lambda proposal, comment, statement: proposal.pk + 999999),
    ],
)
def test_an_unknown_kind_or_id_is_not_found(logged_in, proposal, comment, statement, kind, pk_of):
    url = report_url(proposal.campaign, kind, pk_of(proposal, comment, statement))
    assert logged_in.get(url).status_code == 404
    assert logged_in.post(url, {"reason": "spam"}).status_code == 404
    assert not Report.objects.exists()


def test_another_campaigns_content_is_not_found_through_this_campaign(logged_in, campaign):
    elsewhere = factories.ContributionFactory()
    foreign_comment = factories.CommentFactory(contribution=elsewhere)
    foreign_statement = factories.StatementFactory()
    for kind, pk in [
        ("contribution", elsewhere.pk),
        ("commentaire", foreign_comment.pk),
        ("affirmation", foreign_statement.pk),
    ]:
        url = report_url(campaign, kind, pk)
        assert logged_in.post(url, {"reason": "spam"}).status_code == 404
    assert not Report.objects.exists()


def test_reporting_twice_is_refused_in_french(logged_in, proposal):
    url = report_url(proposal.campaign, "contribution", proposal.pk)
    logged_in.post(url, {"reason": "spam"})
    page = logged_in.get(url).content.decode()
    assert "Vous avez déjà signalé ce contenu." in page
    assert 'name="reason"' not in page  # said before choosing a reason
    response = logged_in.post(url, {"reason": "off_topic"})
    assert response.status_code == 400
    assert "Vous avez déjà signalé ce contenu." in response.content.decode()
    assert Report.objects.count() == 1


def test_one_cannot_report_ones_own_content(client, other_resident, proposal):
    client.force_login(other_resident)  # the proposal's author
    url = report_url(proposal.campaign, "contribution", proposal.pk)
    assert "Vous ne pouvez pas signaler votre propre contenu." in client.get(url).content.decode()
    response = client.post(url, {"reason": "spam"})
    assert response.status_code == 400
    assert "Vous ne pouvez pas signaler votre propre contenu." in response.content.decode()
    assert not Report.objects.exists()


def test_hidden_content_is_refused_and_its_text_not_shown(logged_in, campaign):
    hidden = factories.ContributionFactory(
        campaign=campaign, visibility=Visibility.HIDDEN, title="Texte masqué par la modération"
    )
    url = report_url(campaign, "contribution", hidden.pk)
    page = logged_in.get(url).content.decode()
    assert "Ce contenu n&#x27;est pas publié ou déjà masqué." in page
    assert "Texte masqué par la modération" not in page
    response = logged_in.post(url, {"reason": "spam"})
    assert response.status_code == 400
    assert "Texte masqué par la modération" not in response.content.decode()
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Ce champ est obligatoire."),
        ({"reason": "rude"}, "Sélectionnez un choix valide"),
        ({"reason": "<script>alert(1)</script>"}, "Sélectionnez un choix valide"),
        ({"reason": "spam", "details": "x" * 501}, "au plus 500 caractères"),
    ],
)
def test_bad_input_is_refused_in_french_and_writes_nothing(logged_in, proposal, data, message):
    response = logged_in.post(report_url(proposal.campaign, "contribution", proposal.pk), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "<script>alert(1)</script>" not in page
    assert not Report.objects.exists()


def test_too_many_reports_in_a_row_are_refused(
    logged_in, campaign, settings, django_capture_on_commit_callbacks
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "report": "1/h"}
    first, second = factories.ContributionFactory.create_batch(2, campaign=campaign)
    with django_capture_on_commit_callbacks(execute=True):  # counted once written
        logged_in.post(report_url(campaign, "contribution", first.pk), {"reason": "spam"})
    response = logged_in.post(
        report_url(campaign, "contribution", second.pk),
        {"reason": "spam", "details": "Encore une publicité"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Trop de demandes en peu de temps" in page
    assert "Encore une publicité" in page  # what the person typed is kept
    assert Report.objects.count() == 1


def test_posting_without_a_csrf_token_is_forbidden(resident, proposal):
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    url = report_url(proposal.campaign, "contribution", proposal.pk)
    assert client.post(url, {"reason": "spam"}).status_code == 403
    assert not Report.objects.exists()


def test_html_in_the_reported_content_is_shown_as_text(logged_in, campaign, proposal):
    comment = factories.CommentFactory(
        contribution=proposal, body="<script>alert('commentaire')</script>"
    )
    page = logged_in.get(report_url(campaign, "commentaire", comment.pk)).content.decode()
    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(&#x27;commentaire&#x27;)&lt;/script&gt;" in page


# The "Signaler" links


def _hrefs(page: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', page))


def test_everyone_but_the_author_is_offered_to_report(client, resident, other_resident, proposal):
    own_comment = factories.CommentFactory(contribution=proposal, author=resident)
    others_comment = factories.CommentFactory(contribution=proposal, author=other_resident)
    contribution_report = report_url(proposal.campaign, "contribution", proposal.pk)
    own_report = report_url(proposal.campaign, "commentaire", own_comment.pk)
    others_report = report_url(proposal.campaign, "commentaire", others_comment.pk)

    anonymous_page = client.get(contribution_url(proposal)).content.decode()
    assert {contribution_report, own_report, others_report} <= _hrefs(anonymous_page)

    client.force_login(resident)
    resident_page = client.get(contribution_url(proposal)).content.decode()
    assert contribution_report in _hrefs(resident_page)
    assert others_report in _hrefs(resident_page)
    assert own_report not in _hrefs(resident_page)

    client.force_login(other_resident)  # author of the proposal and of one comment
    author_page = client.get(contribution_url(proposal)).content.decode()
    assert contribution_report not in _hrefs(author_page)
    assert others_report not in _hrefs(author_page)
    assert own_report in _hrefs(author_page)


def test_statements_offer_a_report_link_except_to_their_author(client, resident, campaign):
    mine = factories.StatementFactory(campaign=campaign, author=resident)
    theirs = factories.StatementFactory(campaign=campaign)
    client.force_login(resident)
    hrefs = _hrefs(client.get(statements_url(campaign)).content.decode())
    assert report_url(campaign, "affirmation", theirs.pk) in hrefs
    assert report_url(campaign, "affirmation", mine.pk) not in hrefs


def test_a_hidden_contribution_shown_to_moderators_has_no_report_link(client, moderator, campaign):
    hidden = factories.ContributionFactory(campaign=campaign, visibility=Visibility.HIDDEN)
    sign_in(client, moderator)
    page = client.get(contribution_url(hidden)).content.decode()
    assert report_url(campaign, "contribution", hidden.pk) not in _hrefs(page)
