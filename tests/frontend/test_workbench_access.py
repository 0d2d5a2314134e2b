"""Who reaches the moderators' workbench: the campaign's moderators and organisers only.

Anonymous visitors are sent to the login page, everyone else gets a 404 (the pages do not exist
for them), whether they read a page or post to it; a POST without its CSRF token is refused."""

import pytest
from django.test import Client
from django.urls import reverse

from consultation.actions.merges import merge_contributions
from consultation.actions.synthesis import create_section, save_version
from consultation.models import CampaignRole, Merge, SynthesisSection, SynthesisVersion, Topic
from tests import factories
from tests.staff import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(campaign, moderator, proposal):
    other = factories.ContributionFactory(campaign=campaign, title="Un doublon de la proposition")
    merge = merge_contributions(moderator, campaign, result=proposal, merged=[other])[0]
    topic = Topic.objects.create(campaign=campaign, label="Entretien des fossés")
    section = create_section(moderator, campaign, title="Entretien des fossés", topic=topic)
    save_version(moderator, section, f"Les fossés débordent [#{proposal.pk}].")
    return {"merge": merge, "topic": topic, "section": section}


def _url(campaign, name: str, **kwargs) -> str:
    return reverse(f"frontend:workbench_{name}", kwargs={"slug": campaign.slug, **kwargs})


def pages(campaign, setting) -> dict[str, str]:
    topic, section = setting["topic"].pk, setting["section"].pk
    return {
        "duplicates": _url(campaign, "duplicates"),
        "themes": _url(campaign, "themes"),
        "theme": _url(campaign, "theme", pk=topic),
        "synthesis": _url(campaign, "synthesis"),
        "section": _url(campaign, "section", pk=section),
    }


def posts(campaign, setting) -> dict[str, str]:
    topic, section = setting["topic"].pk, setting["section"].pk
    return {
        "merge": _url(campaign, "merge"),
        "unmerge": _url(campaign, "unmerge", pk=setting["merge"].pk),
        "regroup": _url(campaign, "regroup"),
        "rename": _url(campaign, "theme_rename", pk=topic),
        "move": _url(campaign, "theme_contributions", pk=topic),
        "merge_topic": _url(campaign, "theme_merge", pk=topic),
        "create_section": _url(campaign, "synthesis"),
        "save": _url(campaign, "section_save", pk=section),
        "publish": _url(campaign, "version_publish", pk=section, number=1),
        "unpublish": _url(campaign, "section_unpublish", pk=section),
    }


@pytest.fixture
def other_moderator(db):
    """A moderator, but of another campaign."""
    user = factories.UserFactory(display_name="Modération d'ailleurs")
    CampaignRole.objects.create(
        campaign=factories.CampaignFactory(), user=user, role=CampaignRole.Role.MODERATOR
    )
    return user


def _client(user) -> Client:
    client = Client()
    if user is not None:
        sign_in(client, user)
    return client


@pytest.mark.parametrize("role", ["moderator", "organiser"])
def test_moderators_and_organisers_read_every_workbench_page(request, role, campaign, setting):
    client = _client(request.getfixturevalue(role))
    for name, url in pages(campaign, setting).items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert response.context["campaign"] == campaign


@pytest.mark.parametrize("role", ["resident", "facilitator", "other_moderator"])
def test_the_workbench_does_not_exist_for_anyone_else(request, role, campaign, setting):
    client = _client(request.getfixturevalue(role))
    for name, url in pages(campaign, setting).items():
        assert client.get(url).status_code == 404, name
    for name, url in posts(campaign, setting).items():
        data = {"label": "Piraté", "merged": 1, "result": 2, "body": "Texte [#1]"}
        assert client.post(url, data).status_code == 404, name
    # Nothing changed: the merge stands, the topic keeps its name, no version was added.
    assert Merge.objects.get().undone_at is None
    assert Topic.objects.get().label == "Entretien des fossés"
    assert SynthesisVersion.objects.count() == 1
    assert SynthesisSection.objects.get().published_version is None


def test_anonymous_visitors_are_sent_to_the_login_page(campaign, setting):
    client = Client()
    login = reverse("frontend:login")
    responses = [client.get(url) for url in pages(campaign, setting).values()]
    responses += [client.post(url) for url in posts(campaign, setting).values()]
    for response in responses:
        assert response.status_code == 302
        assert response["Location"].startswith(login)
    assert Merge.objects.get().undone_at is None


def test_an_unknown_campaign_is_a_404(moderator, setting):
    client = _client(moderator)
    url = reverse("frontend:workbench_duplicates", kwargs={"slug": "inconnue"})
    assert client.get(url).status_code == 404


def test_a_post_without_its_csrf_token_is_refused(campaign, moderator, setting):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, moderator)
    response = client.post(posts(campaign, setting)["unmerge"])
    assert response.status_code == 403
    assert Merge.objects.get().undone_at is None


def test_reading_pages_only_answer_get(campaign, moderator, setting):
    client = _client(moderator)
    for name in ["duplicates", "themes", "theme", "section"]:
        assert client.post(pages(campaign, setting)[name]).status_code == 405, name
    for name in ["merge", "unmerge", "regroup", "save", "publish"]:
        assert client.get(posts(campaign, setting)[name]).status_code == 405, name
