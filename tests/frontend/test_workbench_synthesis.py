"""The synthesis pages: sections, the editor (draft from the data, saving versions, refusals on
the field with the typed text kept, preview), versions (view, line diff), publication by the
organisers only; escaping; query counts."""

import html as html_lib
import re

import pytest
from django.test import Client
from django.urls import reverse

from consultation.actions.synthesis import create_section, publish_version, save_version
from consultation.models import Contribution, SynthesisSection, SynthesisVersion, Topic
from consultation.models.contributions import Visibility
from frontend.views.workbench_synthesis import line_diff
from tests import factories
from tests.staff import sign_in

pytestmark = pytest.mark.django_db


def url(campaign, name, **kwargs) -> str:
    return reverse(f"frontend:workbench_{name}", kwargs={"slug": campaign.slug, **kwargs})


def logged_in(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


@pytest.fixture
def client(moderator):
    return logged_in(moderator)


@pytest.fixture
def topic(campaign, proposal):
    topic = Topic.objects.create(campaign=campaign, label="Entretien des fossés")
    Contribution.objects.filter(pk=proposal.pk).update(topic=topic)
    return topic


@pytest.fixture
def section(moderator, campaign, topic):
    return create_section(moderator, campaign, title="Entretien des fossés", topic=topic)


def textarea(response) -> str:
    match = re.search(r"<textarea[^>]*>(.*?)</textarea>", response.content.decode(), re.S)
    return html_lib.unescape(match.group(1)).lstrip("\n")


# --- sections ---------------------------------------------------------------------------------


def test_a_section_is_created_with_a_title_and_a_theme(client, campaign, topic):
    response = client.post(url(campaign, "synthesis"), {"title": "Les fossés", "topic": topic.pk})
    section = SynthesisSection.objects.get()
    assert response["Location"] == url(campaign, "section", pk=section.pk)
    assert (section.title, section.topic, section.campaign) == ("Les fossés", topic, campaign)
    listing = client.get(url(campaign, "synthesis")).content.decode()
    assert "Les fossés" in listing and "Non publiée" in listing


def test_a_bad_section_is_refused_on_its_field(client, campaign):
    foreign = Topic.objects.create(campaign=factories.CampaignFactory(), label="Ailleurs")
    cases = [
        ({"title": ""}, "title"),
        ({"title": "ab"}, "title"),
        ({"title": "Les fossés", "topic": foreign.pk}, "topic"),
        ({"title": "Les fossés", "topic": "abc"}, "topic"),
    ]
    for data, field in cases:
        response = client.post(url(campaign, "synthesis"), data)
        assert response.status_code == 400
        assert response.context["form"].errors[field], data
    assert not SynthesisSection.objects.exists()


def test_a_section_title_with_markup_is_shown_as_text(client, campaign):
    client.post(url(campaign, "synthesis"), {"title": "<script>alert(1)</script>"})
    section = SynthesisSection.objects.get()
    for page in [url(campaign, "synthesis"), url(campaign, "section", pk=section.pk)]:
        html = client.get(page).content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_another_campaigns_section_is_a_404(client, campaign):
    elsewhere = factories.CampaignFactory()
    section = SynthesisSection.objects.create(campaign=elsewhere, title="Ailleurs")
    assert client.get(url(campaign, "section", pk=section.pk)).status_code == 404
    response = client.post(url(campaign, "section_save", pk=section.pk), {"body": "Texte [#1]"})
    assert response.status_code == 404


# --- the editor -------------------------------------------------------------------------------


def test_the_editor_shows_the_format_and_the_themes_contributions_to_cite(
    client, campaign, section, proposal
):
    outside = factories.ContributionFactory(campaign=campaign, title="Hors du thème")
    html = client.get(url(campaign, "section", pk=section.pk)).content.decode()
    for example in ["[#123]", "[#c45]", "[#a12]", "[#k7]", "<code>##</code>"]:
        assert example in html
    assert f"<code>[#{proposal.pk}]</code>" in html
    assert f"[#{outside.pk}]" not in html
    assert textarea(client.get(url(campaign, "section", pk=section.pk))) == ""


def test_starting_from_the_data_fills_the_editor_and_saves_nothing(
    client, campaign, section, proposal
):
    response = client.get(url(campaign, "section", pk=section.pk) + "?brouillon=donnees")
    draft = textarea(response)
    assert draft.startswith("## Entretien des fossés : 1 contribution (")
    assert f"« {proposal.title} » : 0 soutien, 0 commentaire [#{proposal.pk}]" in draft
    assert not SynthesisVersion.objects.exists()
    # The draft is valid as it stands: saving it makes version 1.
    client.post(url(campaign, "section_save", pk=section.pk), {"body": draft})
    assert SynthesisVersion.objects.get().body == draft.strip()


def test_saving_makes_a_version_and_shows_it_rendered_with_links(
    client, campaign, moderator, section, proposal
):
    body = f"## Ce que disent les habitants\nLes fossés débordent [#{proposal.pk}]."
    response = client.post(
        url(campaign, "section_save", pk=section.pk), {"body": body}, follow=True
    )
    version = SynthesisVersion.objects.get()
    assert (version.number, version.author, version.body) == (1, moderator, body)
    assert response.redirect_chain[-1][0].endswith("?version=1#version-affichee")
    html = response.content.decode()
    assert "Version 1 enregistrée." in html
    assert f'<a class="citation" href="{proposal.get_absolute_url()}">[#{proposal.pk}]</a>' in html
    assert "<h3>Ce que disent les habitants</h3>" in html
    assert textarea(response) == body  # the editor starts from the latest version


def test_an_uncited_paragraph_is_refused_on_the_field_and_the_text_kept(
    client, campaign, section, proposal
):
    body = f"Une phrase sourcée [#{proposal.pk}].\n\nUne affirmation sans source."
    response = client.post(url(campaign, "section_save", pk=section.pk), {"body": body})
    assert response.status_code == 400
    [error] = response.context["form"].errors["body"]
    assert "ligne 3 ne cite aucune source" in error
    assert textarea(response) == body
    assert "aria-describedby" in response.content.decode()
    assert not SynthesisVersion.objects.exists()


def test_line_numbers_in_a_refusal_match_the_text_shown_again(client, campaign, section, proposal):
    # Runs of blank lines and Windows newlines: the text comes back as the check numbered it.
    body = f"\r\n\r\nSourcée [#{proposal.pk}].\r\n\r\n\r\n\r\nSans source."
    response = client.post(url(campaign, "section_save", pk=section.pk), {"body": body})
    [error] = response.context["form"].errors["body"]
    shown = textarea(response)
    line = int(re.search(r"ligne (\d+)", error).group(1))
    assert shown.split("\n")[line - 1] == "Sans source."


@pytest.mark.parametrize("state", ["hidden", "foreign", "missing"])
def test_a_hidden_foreign_or_missing_source_is_refused(client, campaign, section, state):
    source = {
        "hidden": lambda: (
            factories.ContributionFactory(campaign=campaign, visibility=Visibility.HIDDEN).pk
        ),
        "foreign": lambda: factories.ContributionFactory().pk,
        "missing": lambda: 987654,
    }[state]()
    body = f"Les fossés débordent [#{source}]."
    response = client.post(url(campaign, "section_save", pk=section.pk), {"body": body})
    assert response.status_code == 400
    [error] = response.context["form"].errors["body"]
    assert f"[#{source}] n'existe pas dans cette campagne" in error
    assert textarea(response) == body
    assert not SynthesisVersion.objects.exists()


def test_an_empty_text_is_refused(client, campaign, section):
    for body in ["", "   "]:
        response = client.post(url(campaign, "section_save", pk=section.pk), {"body": body})
        assert response.status_code == 400
        assert response.context["form"].errors["body"]
    assert not SynthesisVersion.objects.exists()


def test_markup_typed_in_the_text_is_shown_as_text(client, campaign, section, proposal):
    body = f'<script>alert(1)</script> <a href="javascript:x">lien</a> [#{proposal.pk}]'
    response = client.post(
        url(campaign, "section_save", pk=section.pk), {"body": body}, follow=True
    )
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert '<a href="javascript:x"' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert textarea(response) == body


def test_the_preview_renders_the_typed_text_without_saving_it(client, campaign, section, proposal):
    body = f"- Une puce sourcée [#{proposal.pk}]"
    response = client.post(
        url(campaign, "section_save", pk=section.pk), {"body": body, "apercu": "1"}
    )
    assert response.status_code == 200
    assert response.context["preview"] == (
        f'<ul><li>Une puce sourcée <a class="citation" href="{proposal.get_absolute_url()}">'
        f"[#{proposal.pk}]</a></li></ul>"
    )
    assert textarea(response) == body
    assert not SynthesisVersion.objects.exists()
    refused = client.post(
        url(campaign, "section_save", pk=section.pk), {"body": "Sans source.", "apercu": "1"}
    )
    assert refused.status_code == 400 and refused.context["preview"] is None


# --- versions ---------------------------------------------------------------------------------


def test_versions_can_be_viewed_and_compared_with_the_previous_one(
    client, campaign, moderator, section, proposal
):
    save_version(
        moderator, section, f"Premier jet [#{proposal.pk}].\n\n- Une puce [#{proposal.pk}]"
    )
    save_version(
        moderator, section, f"Deuxième jet [#{proposal.pk}].\n\n- Une puce [#{proposal.pk}]"
    )
    page = url(campaign, "section", pk=section.pk)
    first = client.get(page + "?version=1").content.decode()
    assert "Version 1, par Équipe de modération" in first and "<p>Premier jet" in first
    response = client.get(page + "?comparer=2")
    assert response.context["diff"] == [
        ("removed", f"Premier jet [#{proposal.pk}]."),
        ("added", f"Deuxième jet [#{proposal.pk}]."),
        ("same", ""),
    ]
    html = response.content.decode()
    assert "Changements de la version 2" in html and "Retiré :" in html and "Ajouté :" in html
    # A version that does not exist shows nothing rather than an error.
    assert client.get(page + "?version=9&comparer=abc").status_code == 200


def test_line_diff_marks_removed_and_added_lines():
    assert line_diff("a\nb\nc", "a\nB\nc") == [
        ("same", "a"), ("removed", "b"), ("added", "B"), ("same", "c"),
    ]  # fmt: skip
    assert line_diff("même", "même") == []


# --- publication ------------------------------------------------------------------------------


@pytest.fixture
def version(moderator, section, proposal):
    return save_version(moderator, section, f"Les fossés débordent [#{proposal.pk}].")


def test_only_organisers_see_the_publish_button(client, campaign, organiser, section, version):
    page = url(campaign, "section", pk=section.pk)
    assert "Publier cette version" not in client.get(page).content.decode()
    assert "Publier cette version" in logged_in(organiser).get(page).content.decode()


def test_the_organiser_publishes_a_version_and_can_unpublish(campaign, organiser, section, version):
    organiser_client = logged_in(organiser)
    publish = url(campaign, "version_publish", pk=section.pk, number=1)
    response = organiser_client.post(publish, follow=True)
    assert "La version 1 est publiée." in response.content.decode()
    section.refresh_from_db()
    assert (section.published_version, section.published_by) == (version, organiser)
    assert "Dépublier cette partie" in response.content.decode()

    organiser_client.post(url(campaign, "section_unpublish", pk=section.pk))
    section.refresh_from_db()
    assert section.published_version is None


def test_a_moderator_cannot_publish_nor_unpublish(client, campaign, organiser, section, version):
    response = client.post(url(campaign, "version_publish", pk=section.pk, number=1), follow=True)
    assert "Seule l&#x27;équipe organisatrice peut gérer la campagne." in response.content.decode()
    section.refresh_from_db()
    assert section.published_version is None

    publish_version(organiser, version)
    client.post(url(campaign, "section_unpublish", pk=section.pk))
    section.refresh_from_db()
    assert section.published_version == version


def test_a_version_whose_source_was_hidden_since_is_not_published(
    campaign, organiser, section, version, proposal
):
    Contribution.objects.filter(pk=proposal.pk).update(visibility=Visibility.HIDDEN)
    response = logged_in(organiser).post(
        url(campaign, "version_publish", pk=section.pk, number=1), follow=True
    )
    assert (
        "n&#x27;existe pas dans cette campagne, n&#x27;est pas publiée" in response.content.decode()
    )
    section.refresh_from_db()
    assert section.published_version is None


def test_a_forged_version_number_is_a_404(campaign, organiser, moderator, section, version):
    other = create_section(moderator, campaign, title="Autre partie")
    for pk, number in [(section.pk, 2), (other.pk, 1)]:
        response = logged_in(organiser).post(url(campaign, "version_publish", pk=pk, number=number))
        assert response.status_code == 404
    section.refresh_from_db()
    assert section.published_version is None


# --- query counts -----------------------------------------------------------------------------


def test_the_pages_cost_the_same_queries_however_many_sections_and_versions(
    client, campaign, moderator, section, proposal, django_assert_num_queries
):
    def grow(n):
        for i in range(n):
            create_section(moderator, campaign, title=f"Partie {i}")
            save_version(moderator, section, f"Version {i} [#{proposal.pk}].")

    grow(1)
    factories.ContributionFactory.create_batch(2, campaign=campaign, topic=section.topic)
    page = url(campaign, "section", pk=section.pk)
    # Session, user, campaign, phases, roles, menu's campaigns, sections with their version
    # counts, the themes offered by the new section's form.
    with django_assert_num_queries(10):  # +2: staff gate, role and second-factor device
        client.get(url(campaign, "synthesis"))
    # Session, user, campaign, phases, the section, its versions, their bodies shown, roles
    # (publish button), contributions to cite, menu's campaigns.
    with django_assert_num_queries(12):  # +2: staff gate, role and second-factor device
        client.get(page + "?comparer=1")
    grow(6)
    factories.ContributionFactory.create_batch(8, campaign=campaign, topic=section.topic)
    with django_assert_num_queries(10):  # +2: staff gate, role and second-factor device
        response = client.get(url(campaign, "synthesis"))
    assert len(response.context["sections"]) == 8
    with django_assert_num_queries(12):  # +2: staff gate, role and second-factor device
        response = client.get(page + "?comparer=7")
    assert len(response.context["versions"]) == 7 and len(response.context["sources"]) == 11
