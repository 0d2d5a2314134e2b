"""The moderators' opinion-groups dashboard (who reads it, what it shows, its buttons and their
bad inputs, its query count) and the opinion groups of the public results page: the published
computation only, its map and table, never a hidden or pending statement."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from consultation.actions.opinions import publish_opinion_groups, recompute_opinion_groups
from consultation.models import (
    Campaign,
    CampaignRole,
    OpinionGroups,
    Statement,
    StatementVote,
    User,
)
from consultation.models.contributions import Visibility
from frontend.views.opinions import MAP_DOT_LIMIT, opinion_map
from tests import factories
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

CENTRE = '<g class="opinion-map__centre">'


def vote_in_camps(campaign, camps=2, per_camp=10, statements=9, prefix="Affirmation"):
    """People in `camps` camps: camp c agrees with the statements n % camps == c and
    disagrees with the others; the last statement is agreed by everyone. Each person passes
    on one of the other statements, so that people of a camp are close, not identical."""
    rows = [
        factories.StatementFactory(campaign=campaign, text=f"{prefix} numéro {n}")
        for n in range(statements)
    ]
    votes = []
    for camp in range(camps):
        for person in range(per_camp):
            user = factories.UserFactory()
            for n, statement in enumerate(rows):
                agree = n == statements - 1 or n % camps == camp
                choice = 0 if n == person % (statements - 1) else (1 if agree else -1)
                votes.append(StatementVote(statement=statement, user=user, choice=choice))
    StatementVote.objects.bulk_create(votes)
    return rows


def url(campaign, name="workbench_opinions", **kwargs) -> str:
    return reverse(f"frontend:{name}", kwargs={"slug": campaign.slug, **kwargs})


def logged_in(user) -> Client:
    client = Client()
    if user is not None:
        sign_in(client, user)
    return client


@pytest.fixture
def computed(campaign):
    vote_in_camps(campaign)
    return recompute_opinion_groups(campaign, force=True)


@pytest.fixture
def other_moderator(db):
    user = factories.UserFactory(display_name="Modération d'ailleurs")
    CampaignRole.objects.create(
        campaign=factories.CampaignFactory(), user=user, role=CampaignRole.Role.MODERATOR
    )
    return user


def all_urls(campaign, computation):
    pk = computation.pk
    gets = [url(campaign), url(campaign, "workbench_opinions_content")]
    posts = [
        url(campaign, "workbench_opinions_recompute"),
        url(campaign, "workbench_opinions_publish", pk=pk),
        url(campaign, "workbench_opinions_unpublish", pk=pk),
    ]
    return gets, posts


# --- who reads the dashboard -----------------------------------------------------------------


@pytest.mark.parametrize("role", ["moderator", "organiser"])
def test_moderators_and_organisers_read_the_dashboard_and_its_fragment(
    request, role, campaign, computed
):
    client = logged_in(request.getfixturevalue(role))
    page = client.get(url(campaign))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>Groupes d&#x27;opinion</h1>" in html or "<h1>Groupes d'opinion</h1>" in html
    assert re.search(r'href="[^"]*groupes-opinion/" aria-current="page">Groupes d', html)
    assert f'data-socket="/ws/campaigns/{campaign.pk}/opinion-groups/"' in html
    fragment = client.get(url(campaign, "workbench_opinions_content"))
    assert fragment.status_code == 200
    text = fragment.content.decode()
    assert "<html" not in text and f'data-computation="{computed.pk}"' in text


@pytest.mark.parametrize("role", ["resident", "facilitator", "other_moderator"])
def test_the_dashboard_does_not_exist_for_anyone_else(request, role, campaign, computed):
    client = logged_in(request.getfixturevalue(role))
    gets, posts = all_urls(campaign, computed)
    for address in gets:
        assert client.get(address).status_code == 404, address
    for address in posts:
        assert client.post(address).status_code == 404, address
    assert OpinionGroups.objects.filter(campaign=campaign).count() == 1
    assert OpinionGroups.objects.published_for(campaign) is None


def test_anonymous_visitors_are_sent_to_the_login_page(campaign, computed):
    gets, posts = all_urls(campaign, computed)
    client = Client()
    for response in [client.get(a) for a in gets] + [client.post(a) for a in posts]:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("frontend:login"))
    assert OpinionGroups.objects.filter(campaign=campaign).count() == 1


def test_the_buttons_only_answer_post_and_the_pages_only_get(campaign, organiser, computed):
    client = logged_in(organiser)
    gets, posts = all_urls(campaign, computed)
    for address in posts:
        assert client.get(address).status_code == 405, address
    for address in gets:
        assert client.post(address).status_code == 405, address
    assert OpinionGroups.objects.published_for(campaign) is None


def test_a_post_without_its_csrf_token_is_refused(campaign, organiser, computed):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, organiser)
    response = client.post(url(campaign, "workbench_opinions_publish", pk=computed.pk))
    assert response.status_code == 403
    assert OpinionGroups.objects.published_for(campaign) is None


def test_the_dashboard_query_count_is_pinned_and_does_not_grow(
    campaign, moderator, django_assert_num_queries
):
    vote_in_camps(campaign)
    recompute_opinion_groups(campaign, force=True)
    client = logged_in(moderator)
    client.get(url(campaign))  # the session is warm
    # session, user, campaign, its phases, roles (campaign menu and workbench, once), the kept
    # computations, the shown one, its statements, the site menu's campaigns
    with django_assert_num_queries(11):  # +2: staff gate, role and second-factor device
        assert client.get(url(campaign)).status_code == 200
    vote_in_camps(campaign, camps=3, per_camp=30, prefix="Autre")
    for _ in range(4):
        recompute_opinion_groups(campaign, force=True)
    with django_assert_num_queries(11):  # +2: staff gate, role and second-factor device
        assert client.get(url(campaign)).status_code == 200
    with django_assert_num_queries(10):  # no site menu in the fragment; +2: staff gate
        assert client.get(url(campaign, "workbench_opinions_content")).status_code == 200


# --- what it shows ---------------------------------------------------------------------------


def test_the_map_draws_one_centre_per_group_and_its_table(campaign, moderator):
    vote_in_camps(campaign, camps=3, per_camp=12)
    stored = recompute_opinion_groups(campaign, force=True)
    assert stored.groups_count == 3
    html = logged_in(moderator).get(url(campaign)).content.decode()
    assert html.count(CENTRE) == 3
    for letter in "ABC":
        assert f">{letter}</text>" in html
    assert '<svg class="results-chart__svg" role="img"' in html
    table = html.split("Groupes d'opinion : taille, marque sur la carte et centre", 1)[1]
    table = table.split("</table>", 1)[0]
    assert re.findall(r'<th scope="row">(Groupe .)</th>\s*<td>(\d+)</td>', table) == [
        ("Groupe A", "12"),
        ("Groupe B", "12"),
        ("Groupe C", "12"),
    ]
    assert "rond bleu" in table and "carré rouge" in table and "triangle vert" in table


def test_the_figures_and_each_groups_statements_with_their_share_and_count(
    campaign, moderator, computed
):
    html = logged_in(moderator).get(url(campaign)).content.decode()
    figures = re.findall(r'<p class="fr-h3 fr-mb-0">([^<]+)</p>\s*<p>([^<]+)</p>', html)
    assert ("20", "personnes ont voté") in figures
    assert ("180", "votes") in figures
    assert ("2", "groupes") in figures
    assert f"{computed.duration_ms} ms" in html
    group_a = html.split("Groupe A : affirmations représentatives", 1)[1].split("</table>")[0]
    assert "« Affirmation numéro 3 »" in group_a
    assert re.search(r"d'accord</td>\s*<td>90 %</td>\s*<td>9 / 10</td>", group_a)
    consensus = html.split("D'accord dans tous les groupes", 1)[1].split("</ul>", 1)[0]
    assert "« Affirmation numéro 8 »" in consensus
    assert "indice 0,84" in consensus  # (10 + 1) / (10 + 2), squared
    assert html.count("Dernier calcul :") == 1


def test_hidden_and_pending_statements_are_marked_for_moderators_and_link_to_the_queue(
    campaign, moderator, computed
):
    hidden = Statement.objects.get(campaign=campaign, text="Affirmation numéro 3")
    pending = Statement.objects.get(campaign=campaign, text="Affirmation numéro 8")
    Statement.objects.filter(pk=hidden.pk).update(visibility=Visibility.HIDDEN)
    Statement.objects.filter(pk=pending.pk).update(visibility=Visibility.PENDING)
    html = logged_in(moderator).get(url(campaign)).content.decode()
    assert re.search(r"« Affirmation numéro 3 »</a> <span class=\"fr-badge[^\"]*\">Masquée", html)
    assert re.search(
        r"« Affirmation numéro 8 »</a> <span class=\"fr-badge[^\"]*\">En attente de modération",
        html,
    )
    queue = reverse("frontend:moderation", kwargs={"slug": campaign.slug})
    assert f'href="{queue}?kind=statement&amp;q=Affirmation+num%C3%A9ro+3#file-statement-' in html


def test_statement_text_is_escaped(campaign, moderator):
    rows = vote_in_camps(campaign)
    Statement.objects.filter(pk=rows[3].pk).update(text="<script>alert(1)</script> fossés")
    recompute_opinion_groups(campaign, force=True)
    html = logged_in(moderator).get(url(campaign)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; fossés" in html
    assert "<script>alert(1)" not in html


def test_without_any_computation_the_dashboard_says_so_and_offers_to_compute(campaign, moderator):
    html = logged_in(moderator).get(url(campaign)).content.decode()
    assert "Aucun calcul pour l&#x27;instant" in html or "Aucun calcul pour l'instant" in html
    assert "Recalculer maintenant" in html
    assert CENTRE not in html


def test_a_kept_computation_is_shown_on_request_and_unknown_ones_are_404(
    campaign, moderator, computed
):
    newer = recompute_opinion_groups(campaign, force=True)
    client = logged_in(moderator)
    html = client.get(url(campaign) + f"?calcul={computed.pk}").content.decode()
    assert f'data-computation="{computed.pk}"' in html
    assert 'data-follow="fixed"' in html and "Revenir au dernier calcul" in html
    assert f'data-computation="{newer.pk}"' in client.get(url(campaign)).content.decode()
    foreign = recompute_opinion_groups(factories.CampaignFactory(), force=True)
    for bad in ["abc", "-1", "99999999", str(foreign.pk), "1" * 30]:
        assert client.get(url(campaign) + f"?calcul={bad}").status_code == 404, bad
        content = url(campaign, "workbench_opinions_content") + f"?calcul={bad}"
        assert client.get(content).status_code == 404, bad


# --- buttons ---------------------------------------------------------------------------------


def test_a_moderator_recomputes_now(campaign, moderator, computed):
    response = logged_in(moderator).post(url(campaign, "workbench_opinions_recompute"), follow=True)
    assert response.redirect_chain[-1][0] == url(campaign)
    assert OpinionGroups.objects.filter(campaign=campaign).count() == 2
    html = response.content.decode()
    assert "Groupes d&#x27;opinion recalculés : 2 groupes, 20 personnes classées sur 20." in html


def test_only_organisers_see_the_publication_buttons(campaign, moderator, organiser, computed):
    as_moderator = logged_in(moderator).get(url(campaign)).content.decode()
    assert "Publier ces groupes" not in as_moderator
    assert re.search("revient à l(&#x27;|')équipe organisatrice", as_moderator)
    as_organiser = logged_in(organiser).get(url(campaign)).content.decode()
    assert "Publier ces groupes" in as_organiser and "Retirer la publication" not in as_organiser


def test_an_organiser_publishes_then_withdraws(campaign, organiser, computed):
    client = logged_in(organiser)
    response = client.post(url(campaign, "workbench_opinions_publish", pk=computed.pk), follow=True)
    assert OpinionGroups.objects.published_for(campaign) == computed
    html = response.content.decode()
    assert "Ces groupes d&#x27;opinion sont publiés" in html
    assert "Retirer la publication" in html and "publié par Préfecture (organisation)" in html
    response = client.post(
        url(campaign, "workbench_opinions_unpublish", pk=computed.pk), follow=True
    )
    assert OpinionGroups.objects.published_for(campaign) is None
    assert "La publication est retirée" in response.content.decode()


def test_a_moderator_posting_a_publication_is_refused_with_a_reason(campaign, moderator, computed):
    response = logged_in(moderator).post(
        url(campaign, "workbench_opinions_publish", pk=computed.pk), follow=True
    )
    assert response.status_code == 200
    assert (
        "Seule l&#x27;équipe organisatrice peut publier ou retirer les groupes d&#x27;opinion."
        in response.content.decode()
    )
    assert OpinionGroups.objects.published_for(campaign) is None


def test_bad_publication_requests_change_nothing(campaign, organiser, computed):
    client = logged_in(organiser)
    foreign = recompute_opinion_groups(factories.CampaignFactory(), force=True)
    for pk in [999_999, foreign.pk]:
        assert client.post(url(campaign, "workbench_opinions_publish", pk=pk)).status_code == 404
        assert client.post(url(campaign, "workbench_opinions_unpublish", pk=pk)).status_code == 404
    response = client.post(
        url(campaign, "workbench_opinions_unpublish", pk=computed.pk), follow=True
    )
    assert "Ce calcul n&#x27;est pas publié." in response.content.decode()
    empty = OpinionGroups.objects.create(
        campaign=campaign,
        participants_count=0,
        clustered_count=0,
        statements_count=0,
        votes_count=0,
        groups_count=0,
        duration_ms=1,
        result={"participants": {"ids": [], "x": [], "y": [], "group": []}, "groups": []},
    )
    response = client.post(url(campaign, "workbench_opinions_publish", pk=empty.pk), follow=True)
    assert "Ce calcul n&#x27;a trouvé aucun groupe" in response.content.decode()
    assert OpinionGroups.objects.published_for(campaign) is None
    assert OpinionGroups.objects.published_for(foreign.campaign) is None


# --- the map on its own ----------------------------------------------------------------------


def planted_result(n: int, groups: int = 3) -> dict:
    import numpy as np

    rng = np.random.default_rng(7)
    labels = rng.integers(0, groups, n)
    centres = np.array([[-2.0, 0.0], [2.0, 0.5], [0.0, 2.5], [1.0, -2.0], [-1.5, -2.0]])[:groups]
    points = centres[labels] + rng.normal(0, 0.4, (n, 2))
    group = [None if i % 50 == 0 else int(g) for i, g in enumerate(labels)]
    return {
        "participants": {
            "ids": list(range(n)),
            "x": points[:, 0].tolist(),
            "y": points[:, 1].tolist(),
            "group": group,
        },
        "groups": [
            {"id": g, "members": int((labels == g).sum()), "center": centres[g].tolist()}
            for g in range(groups)
        ],
    }


def marks(drawn) -> int:
    return sum(layer.path.count("Z") for layer in drawn.layers)


def test_up_to_the_limit_every_participant_is_one_mark():
    drawn = opinion_map(planted_result(MAP_DOT_LIMIT))
    assert not drawn.aggregated
    assert drawn.drawn == MAP_DOT_LIMIT
    assert marks(drawn) == MAP_DOT_LIMIT
    assert [c.letter for c in drawn.centres] == ["A", "B", "C"]
    # unclustered people (group None) are drawn hollow, in their own layer
    assert [layer.hollow for layer in drawn.layers] == [False, False, False, True]


def test_beyond_the_limit_people_are_gathered_so_the_page_stays_light():
    drawn = opinion_map(planted_result(50_000, groups=5))
    assert drawn.aggregated and drawn.drawn == 50_000
    assert marks(drawn) < 48 * 32 * 6  # at most one mark per cell and group
    assert sum(len(layer.path) for layer in drawn.layers) < 250_000
    assert len(drawn.centres) == 5


def test_the_map_is_light_when_rendered_past_the_limit(campaign, moderator):
    stored = recompute_opinion_groups(campaign, force=True)
    OpinionGroups.objects.filter(pk=stored.pk).update(
        result=planted_result(20_000), groups_count=3, participants_count=20_000
    )
    html = logged_in(moderator).get(url(campaign)).content.decode()
    assert "les personnes proches sont réunies en une marque" in html
    assert len(html) < 400_000
    assert html.count(CENTRE) == 3


# --- the public results page -----------------------------------------------------------------


@pytest.fixture
def closed(campaign):
    campaign.status = Campaign.Status.CLOSED
    campaign.results_visibility = "after_close"
    campaign.save()
    return campaign


def results(campaign) -> str:
    return Client().get(reverse("frontend:results", args=[campaign.slug])).content.decode()


def test_the_public_sees_the_published_computation_not_the_latest(closed, organiser):
    vote_in_camps(closed, camps=3, per_camp=12)
    three = recompute_opinion_groups(closed, force=True)
    assert "Les groupes d'opinion</h2>" not in results(closed)  # computed, not published
    publish_opinion_groups(organiser, three)
    StatementVote.objects.all().delete()
    vote_in_camps(closed, camps=2, per_camp=10, prefix="Nouvelle")
    two = recompute_opinion_groups(closed, force=True)
    assert two.groups_count == 2

    html = results(closed)
    assert "Les groupes d'opinion</h2>" in html
    assert html.count(CENTRE) == 3  # the published computation's three groups
    assert "Carte des participant·es et des groupes d'opinion" in html
    table = html.split("Groupes d'opinion : taille, marque sur la carte et centre", 1)[1]
    assert len(re.findall(r'<th scope="row">Groupe .</th>', table.split("</table>")[0])) == 3

    publish_opinion_groups(organiser, two)
    assert results(closed).count(CENTRE) == 2


def test_hidden_and_pending_statements_never_reach_the_public_page(closed, organiser):
    vote_in_camps(closed)
    computed = recompute_opinion_groups(closed, force=True)
    publish_opinion_groups(organiser, computed)
    before = results(closed)
    assert "« Affirmation numéro 3 »" in before and "« Affirmation numéro 8 »" in before
    Statement.objects.filter(text="Affirmation numéro 3").update(visibility=Visibility.HIDDEN)
    Statement.objects.filter(text="Affirmation numéro 8").update(visibility=Visibility.PENDING)
    html = results(closed)
    assert "Les groupes d'opinion</h2>" in html
    assert "Affirmation numéro 3" not in html and "Affirmation numéro 8" not in html
    assert "« Affirmation numéro 2 »" in html


def test_the_public_map_says_nothing_of_who_voted(closed, organiser):
    vote_in_camps(closed)
    computed = recompute_opinion_groups(closed, force=True)
    publish_opinion_groups(organiser, computed)
    html = results(closed)
    svg = html.split('aria-labelledby="carte-groupes-svg-titre', 1)[1].split("</svg>", 1)[0]
    # One path per group, and per centre its cross (two paths) and labelled circle: no
    # element per person that could carry an id or a name.
    assert svg.count("<path") == 3 * computed.groups_count
    assert svg.count("<circle") == computed.groups_count
    voters = User.objects.filter(statement_votes__statement__campaign=closed).distinct()
    for email, name in voters.values_list("email", "display_name"):
        assert email not in html and name not in html


def test_the_pdf_report_carries_the_published_map(closed, organiser):
    vote_in_camps(closed)
    publish_opinion_groups(organiser, recompute_opinion_groups(closed, force=True))
    response = Client().get(reverse("frontend:results_pdf", args=[closed.slug]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    from tests.frontend.test_results import outline, pdf_objects

    titles = outline(pdf_objects(response.content))
    assert "Les groupes d'opinion" in titles
    assert "Carte des participant·es et des groupes d'opinion" in titles


def test_the_dashboard_and_the_map_speak_english_when_chosen(
    settings, campaign, organiser, computed
):
    client = logged_in(organiser)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("fr"):  # the request activates English: French again after it
        html = client.get(url(campaign)).content.decode()
    for text in [
        "Opinion groups",
        "Recompute now",
        "Publish these groups",
        "Map of participants and opinion groups",
        "Group A: blue circle",
        "people voted",
        "Opinion groups: size, mark on the map and centre",
    ]:
        assert text in html, text
    assert "Recalculer maintenant" not in html
