"""The results page and its PDF: who sees them when, what they show (figures with charts and
their tables, synthesis, opinion groups, official answers), and that their query count does not
grow with the contributions."""

import re
import zlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consultation.actions.opinions import publish_opinion_groups, recompute_opinion_groups
from consultation.actions.synthesis import create_section, publish_version, save_version
from consultation.models import (
    Campaign,
    Comment,
    OfficialAnswer,
    StatementVote,
    Support,
)
from consultation.models.contributions import Provenance, Visibility
from tests import factories
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

PREVIEW = "Aperçu, pas encore public"


def results_url(campaign):
    return reverse("frontend:results", args=[campaign.slug])


def pdf_url(campaign):
    return reverse("frontend:results_pdf", args=[campaign.slug])


def set_results(campaign, visibility, status=Campaign.Status.PUBLISHED):
    campaign.results_visibility = visibility
    campaign.status = status
    campaign.save()


def table_rows(page: str, caption_start: str) -> dict[str, str]:
    """The rows (header cell -> first data cell) of the table whose caption starts so."""
    match = re.search(
        r"<caption>" + re.escape(caption_start) + r".*?</caption>(.*?)</table>", page, re.S
    )
    assert match, f"pas de tableau « {caption_start} »"
    rows = re.findall(r'<th scope="row">(.*?)</th>\s*<td>(.*?)</td>', match.group(1), re.S)
    return {re.sub(r"<.*?>", "", head).strip(): cell.strip() for head, cell in rows}


# --- Who sees the results, when --------------------------------------------------------------


@pytest.mark.parametrize(
    ("visibility", "status", "public"),
    [
        ("after_close", Campaign.Status.PUBLISHED, False),
        ("after_close", Campaign.Status.CLOSED, True),
        ("after_close", Campaign.Status.ARCHIVED, True),
        ("published", Campaign.Status.PUBLISHED, True),
        ("hidden", Campaign.Status.PUBLISHED, False),
        ("hidden", Campaign.Status.CLOSED, False),
    ],
)
def test_results_are_public_only_when_the_campaign_setting_allows_it(
    client, campaign, resident, visibility, status, public
):
    set_results(campaign, visibility, status)
    expected = 200 if public else 404
    assert client.get(results_url(campaign)).status_code == expected
    client.force_login(resident)
    response = client.get(results_url(campaign))
    assert response.status_code == expected
    if public:
        assert PREVIEW not in response.content.decode()


@pytest.mark.parametrize("persona", ["organiser", "moderator", "facilitator"])
@pytest.mark.parametrize("visibility", ["after_close", "hidden"])
def test_the_campaign_staff_preview_unpublished_results_with_a_banner(
    client, campaign, request, persona, visibility
):
    set_results(campaign, visibility)
    sign_in(client, request.getfixturevalue(persona))
    response = client.get(results_url(campaign))
    assert response.status_code == 200
    assert PREVIEW in response.content.decode()


def test_staff_of_another_campaign_do_not_see_unpublished_results(client, campaign):
    other = factories.CampaignFactory()
    organiser = factories.UserFactory()
    other.roles.create(user=organiser, role="organiser")
    set_results(campaign, "hidden")
    sign_in(client, organiser)
    assert client.get(results_url(campaign)).status_code == 404
    assert client.get(pdf_url(campaign)).status_code == 404


def test_a_draft_campaign_has_no_public_results_even_if_set_to_published(client, campaign):
    set_results(campaign, "published", Campaign.Status.DRAFT)
    assert client.get(results_url(campaign)).status_code == 404


# --- What the page shows ---------------------------------------------------------------------


@pytest.fixture
def closed(campaign):
    set_results(campaign, "after_close", Campaign.Status.CLOSED)
    return campaign


def test_figures_by_channel_theme_and_basin_each_have_a_chart_and_its_table(
    client, closed, theme, commune
):
    make = factories.ContributionFactory
    online = make(campaign=closed, theme=theme, commune=commune)
    make(campaign=closed, theme=theme, commune=commune)
    make(campaign=closed, provenance=Provenance.WORKSHOP, author=None, author_label="Atelier")
    make(campaign=closed, provenance=Provenance.PAPER, author=None, commune=commune)
    make(campaign=closed, visibility=Visibility.HIDDEN, theme=theme)  # never counted
    make(campaign=closed, visibility=Visibility.PENDING, theme=theme)
    Support.objects.create(contribution=online, user=factories.UserFactory())
    factories.CommentFactory(contribution=online)
    factories.CommentFactory(contribution=online, visibility=Visibility.HIDDEN)

    page = client.get(results_url(closed)).content.decode()

    assert table_rows(page, "Contributions par canal") == {
        "En ligne": "2",
        "Atelier": "1",
        "Papier": "1",
        "Import": "0",
        "Total": "4",
    }
    by_theme = table_rows(page, "Contributions par thème")
    assert by_theme[theme.name.replace("'", "&#x27;")] == "2"
    assert by_theme["Sans thème"] == "2"
    by_basin = table_rows(page, "Contributions par territoire")
    assert by_basin["Bassin de la Canche"] == "3"
    assert by_basin["Non renseigné"] == "1"
    # Every chart is one image named by its title, and is followed by its table.
    charts = re.findall(r'<svg class="results-chart__svg" role="img".*?</svg>\s*<div', page, re.S)
    assert len(charts) >= 3
    assert "<title" in charts[0]
    figures = re.search(r'id="titre-chiffres".*?</section>', page, re.S).group(0)
    assert re.search(r">1</p>\s*<p>soutien<", figures)
    assert re.search(r">1</p>\s*<p>commentaire<", figures)


def test_votes_on_statements_and_workshops_with_their_participants(
    client, closed, workshop, guest, resident, other_resident
):
    statement = factories.StatementFactory(campaign=closed)
    hidden = factories.StatementFactory(campaign=closed, visibility=Visibility.HIDDEN)
    StatementVote.objects.create(statement=statement, user=resident, choice=1)
    StatementVote.objects.create(statement=statement, user=other_resident, choice=-1)
    StatementVote.objects.create(statement=hidden, user=resident, choice=1)
    workshop.registrations.create(user=resident, status="confirmed")
    workshop.registrations.create(user=other_resident, status="cancelled")
    for visibility in [Visibility.PUBLISHED, Visibility.PUBLISHED, Visibility.HIDDEN]:
        factories.ContributionFactory(
            campaign=closed, workshop=workshop, author=None, visibility=visibility
        )

    page = client.get(results_url(closed)).content.decode()

    assert table_rows(page, "Votes sur les affirmations") == {
        "D&#x27;accord": "1",
        "Pas d&#x27;accord": "1",
        "Je passe": "0",
        "Total": "2",
    }
    row = re.search(
        rf'<th scope="row">{re.escape(workshop.title)}</th>(.*?)</tr>', page, re.S
    ).group(1)
    cells = [cell.strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
    # date, commune, confirmed registrations, people in the live session, contributions
    assert cells[1:] == ["Montreuil-sur-Mer", "1", "1", "2"]


def test_the_published_synthesis_is_shown_with_links_to_its_sources(
    client, closed, moderator, organiser, proposal
):
    section = create_section(moderator, closed, title="Zones humides")
    first = save_version(
        moderator, section, f"Restaurer les prairies <script>x</script> [#{proposal.pk}]."
    )
    publish_version(organiser, first)
    save_version(moderator, section, f"Brouillon non publié [#{proposal.pk}].")

    page = client.get(results_url(closed)).content.decode()

    assert "Zones humides" in page
    assert f'<a class="citation" href="{proposal.get_absolute_url()}">[#{proposal.pk}]</a>' in page
    assert "&lt;script&gt;" in page and "<script>x" not in page
    assert "Brouillon non publié" not in page


def test_an_unpublished_section_is_not_shown(client, closed, moderator, proposal):
    section = create_section(moderator, closed, title="Section en cours")
    save_version(moderator, section, f"Texte en cours [#{proposal.pk}].")
    page = client.get(results_url(closed)).content.decode()
    assert "Section en cours" not in page
    assert "La synthèse n'est pas encore publiée." in page


def _two_camps(campaign):
    """Twenty voters in two opposite camps on six statements, and one hidden statement."""
    statements = [
        factories.StatementFactory(campaign=campaign, text=f"Affirmation numéro {n}")
        for n in range(6)
    ]
    hidden = factories.StatementFactory(campaign=campaign, text="Affirmation masquée")
    hidden.visibility = Visibility.HIDDEN
    hidden.save()
    votes = []
    for person in range(20):
        user = factories.UserFactory()
        camp = 1 if person < 10 else -1
        for n, statement in enumerate(statements):
            choice = 1 if n == 5 else (camp if n % 2 else -camp)
            votes.append(StatementVote(statement=statement, user=user, choice=choice))
        votes.append(StatementVote(statement=hidden, user=user, choice=camp))
    StatementVote.objects.bulk_create(votes)
    return statements


def test_opinion_groups_show_their_size_and_representative_statements(client, closed, organiser):
    _two_camps(closed)
    computed = recompute_opinion_groups(closed, force=True)
    assert computed.groups_count == 2
    publish_opinion_groups(organiser, computed)

    page = client.get(results_url(closed)).content.decode()

    sizes = table_rows(page, "Groupes d'opinion : taille")
    assert sizes["Groupe A"] == "10" and sizes["Groupe B"] == "10"
    assert "Groupe A : 10 personnes" in page
    assert "« Affirmation numéro 1 » —" in page
    assert "100 % d'accord dans ce groupe" in page
    assert "100 % pas d'accord dans ce groupe" in page
    assert "Affirmation masquée" not in page
    consensus = page.split("Ce qui rassemble tous les groupes", 1)[1].split("</ul>", 1)[0]
    assert "« Affirmation numéro 5 »" in consensus


def test_without_a_published_computation_there_is_no_opinion_groups_section(client, closed):
    page = client.get(results_url(closed)).content.decode()
    assert "Les groupes d'opinion</h2>" not in page
    _two_camps(closed)
    recompute_opinion_groups(closed, force=True)  # the moderators' latest, not published
    page = client.get(results_url(closed)).content.decode()
    assert "Les groupes d'opinion</h2>" not in page


def test_official_answers_are_counted_by_status_and_listed_with_links(client, closed):
    answered = factories.ContributionFactory(campaign=closed, title="Curer les fossés")
    factories.OfficialAnswerFactory(contribution=answered, status=OfficialAnswer.Status.ACCEPTED)
    secret = factories.ContributionFactory(
        campaign=closed, title="Contribution masquée", visibility=Visibility.HIDDEN
    )
    factories.OfficialAnswerFactory(contribution=secret, status=OfficialAnswer.Status.REJECTED)

    page = client.get(results_url(closed)).content.decode()

    by_status = table_rows(page, "Réponses officielles par statut")
    assert by_status["Retenue"] == "1"
    assert by_status["Non retenue"] == "0"
    listed = table_rows(page, "Contributions ayant reçu une réponse officielle")
    assert list(listed) == ["Curer les fossés"]
    assert f'href="{answered.get_absolute_url()}#reponse-officielle"' in page
    assert "Contribution masquée" not in page


def test_organisers_get_links_to_answer_a_whole_automatic_theme(client, closed, organiser):
    topic = closed.topics.create(label="Entretien des fossés")
    factories.ContributionFactory(campaign=closed, topic=topic)
    url = reverse("frontend:answer_topic", args=[closed.slug, topic.pk])
    assert url not in client.get(results_url(closed)).content.decode()
    sign_in(client, organiser)
    assert url in client.get(results_url(closed)).content.decode()


def _populate(campaign, n, commune, theme):
    statement = factories.StatementFactory(campaign=campaign)
    workshop = factories.WorkshopFactory(campaign=campaign, commune=commune)
    topic = campaign.topics.create(label=f"Thème {n}")
    for i in range(n):
        author = factories.UserFactory()
        contribution = factories.ContributionFactory(
            campaign=campaign, author=author, commune=commune, theme=theme, topic=topic
        )
        Support.objects.create(contribution=contribution, user=factories.UserFactory())
        Comment.objects.create(contribution=contribution, author=author, body="Oui.")
        factories.OfficialAnswerFactory(contribution=contribution)
        StatementVote.objects.create(statement=statement, user=author, choice=i % 3 - 1)
        workshop.registrations.create(user=author, status="confirmed")


def test_the_query_count_does_not_grow_with_the_contributions(
    client, closed, organiser, commune, theme, moderator
):
    sign_in(client, organiser)
    _populate(closed, 2, commune, theme)
    with CaptureQueriesContext(connection) as few:
        assert client.get(results_url(closed)).status_code == 200
    _populate(closed, 12, commune, theme)
    with CaptureQueriesContext(connection) as many:
        assert client.get(results_url(closed)).status_code == 200
    assert len(many) == len(few)


# --- The PDF report --------------------------------------------------------------------------


def test_the_pdf_report_follows_the_same_visibility(client, campaign, organiser):
    set_results(campaign, "after_close")
    assert client.get(pdf_url(campaign)).status_code == 404
    sign_in(client, organiser)
    response = client.get(pdf_url(campaign))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def pdf_objects(pdf: bytes) -> bytes:
    """The PDF's objects with their compressed streams inflated (WeasyPrint packs them)."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


def outline(objects: bytes) -> list[str]:
    """The titles of the PDF's bookmarks (WeasyPrint makes one per heading)."""
    titles = []
    for literal, hexa in re.findall(rb"/Title\s*(?:\((.*?)\)|<([0-9A-Fa-f]+)>)", objects):
        titles.append(bytes.fromhex(hexa.decode()).decode("utf-16") if hexa else literal.decode())
    return titles


def test_the_pdf_report_holds_the_results(client, closed, proposal, moderator, organiser):
    factories.OfficialAnswerFactory(contribution=proposal, status=OfficialAnswer.Status.ACCEPTED)
    section = create_section(moderator, closed, title="Zones humides")
    publish_version(organiser, save_version(moderator, section, f"Les prairies [#{proposal.pk}]."))
    response = client.get(pdf_url(closed))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    objects = pdf_objects(response.content)
    assert len(re.findall(rb"/Type\s*/Page\b", objects)) >= 2
    titles = outline(objects)
    for heading in ["La concertation en chiffres", "Contributions par canal", "Zones humides"]:
        assert heading in titles
    assert "Les réponses officielles" in titles
    # Links in the report point to the site (absolute): the answered contribution, a citation.
    assert f"http://testserver{proposal.get_absolute_url()}".encode() in objects


def test_the_report_html_has_the_same_sections_as_the_page(rf, closed, proposal):
    from django.template.loader import render_to_string

    from frontend.views.results import results_context

    request = rf.get("/")
    request.user = factories.UserFactory()
    context = results_context(request, closed, True)
    context["site_url"] = "http://testserver/"
    html = render_to_string("frontend/results/report.html", context)
    for heading in [
        "La concertation en chiffres",
        "Les contributions",
        "Les affirmations",
        "Les ateliers",
        "La synthèse",
        "Les réponses officielles",
    ]:
        assert f">{heading}</h2>" in html
    assert "<form" not in html
