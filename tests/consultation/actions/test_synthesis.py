import uuid

import pytest

from consultation.actions.boards import promote_cards, run_command
from consultation.actions.supports import add_support
from consultation.actions.synthesis import (
    create_section,
    draft_from_data,
    publish_version,
    save_version,
)
from consultation.actions.topics import regroup_contributions
from consultation.errors import ActionRefused, PermissionRefused
from consultation.models import SynthesisVersion
from consultation.models.contributions import Visibility
from consultation.synthesis import blocks_of, render
from tests import factories


@pytest.fixture
def section(moderator, campaign):
    return create_section(moderator, campaign, title="Entretien des fossés")


def test_blocks_are_headings_paragraphs_and_bullets():
    body = "## Titre\nUne phrase\nsur deux lignes [#1].\n\n- une puce [#2]\n* une autre [#3]"
    assert [(b.kind, b.line) for b in blocks_of(body)] == [
        ("heading", 1), ("paragraph", 2), ("bullet", 5), ("bullet", 6),
    ]  # fmt: skip
    assert blocks_of(body)[1].text == "Une phrase sur deux lignes [#1]."


def test_a_version_keeps_its_sources_and_renders_links(moderator, section, proposal, statement):
    comment = factories.CommentFactory(contribution=proposal)
    body = (
        "## Ce que disent les habitant·es\n"
        f"Les fossés débordent faute d'entretien [#{proposal.pk}] [#c{comment.pk}].\n\n"
        f"- Une large majorité est d'accord [#a{statement.pk}]"
    )
    version = save_version(moderator, section, body)
    assert version.number == 1
    assert {(c["kind"], c["id"]) for c in version.citations} == {
        ("contribution", proposal.pk), ("comment", comment.pk), ("statement", statement.pk),
    }  # fmt: skip
    html = render(version.body, version.citations)
    assert f'href="{proposal.get_absolute_url()}"' in html
    assert f"#commentaire-{comment.pk}" in html and f"#affirmation-{statement.pk}" in html
    assert "<h3>" in html and "<ul><li>" in html


def test_versions_are_kept(moderator, section, proposal):
    save_version(moderator, section, f"Premier jet de la synthèse [#{proposal.pk}].")
    second = save_version(moderator, section, f"Deuxième jet, plus précis [#{proposal.pk}].")
    assert second.number == 2
    assert SynthesisVersion.objects.filter(section=section).count() == 2


def test_a_claim_without_a_source_is_refused(moderator, section, proposal):
    body = f"Une phrase sourcée [#{proposal.pk}].\n\nUne affirmation sans source."
    with pytest.raises(ActionRefused) as refused:
        save_version(moderator, section, body)
    assert refused.value.code == "uncited" and "ligne 3" in refused.value.message
    assert SynthesisVersion.objects.count() == 0


def test_a_hidden_or_foreign_or_missing_source_is_refused(moderator, section, campaign):
    hidden = factories.ContributionFactory(campaign=campaign, visibility=Visibility.HIDDEN)
    foreign = factories.ContributionFactory()
    for ref in [f"#{hidden.pk}", f"#{foreign.pk}", "#999999", "#c999999", "#a999999", "#k1"]:
        with pytest.raises(ActionRefused) as refused:
            save_version(moderator, section, f"Une phrase [{ref}].")
        assert refused.value.code == "bad_citation"
        assert f"[{ref}]" in refused.value.message


def test_html_typed_in_a_synthesis_is_shown_as_text(moderator, section, proposal):
    body = f'<script>alert(1)</script> <a href="javascript:x">lien</a> [#{proposal.pk}]'
    version = save_version(moderator, section, body)
    html = render(version.body, version.citations)
    assert "<script" not in html and html.count("<a ") == 1  # the citation only
    assert "&lt;script&gt;" in html


def test_a_promoted_card_can_be_cited(moderator, section, live_session, facilitator, guest):
    board = live_session.boards.get()
    message = {
        "type": "card.add",
        "id": str(uuid.uuid4()),
        "column": board.columns.first().pk,
        "text": "Les buses sous la route sont bouchées",
    }
    card = run_command(guest, board, message)["result"]["card"]["id"]
    with pytest.raises(ActionRefused):
        save_version(moderator, section, f"Constat d'atelier [#k{card}].")
    [made] = promote_cards(facilitator, live_session, cards=[card])
    version = save_version(moderator, section, f"Constat d'atelier [#k{card}].")
    assert version.citations[0]["url"] == made.get_absolute_url()


def test_only_the_organiser_publishes(moderator, organiser, section, proposal):
    version = save_version(moderator, section, f"Texte prêt [#{proposal.pk}].")
    with pytest.raises(PermissionRefused):
        publish_version(moderator, version)
    published = publish_version(organiser, version)
    assert published.published_version == version and published.published_by == organiser


def test_publishing_checks_the_sources_again(moderator, organiser, section, proposal):
    version = save_version(moderator, section, f"Texte prêt [#{proposal.pk}].")
    proposal.visibility = Visibility.HIDDEN
    proposal.save()
    with pytest.raises(ActionRefused):
        publish_version(organiser, version)


@pytest.mark.parametrize("persona", ["resident", "facilitator", "anonymous"])
def test_only_moderators_write(request, persona, section, proposal):
    with pytest.raises(PermissionRefused):
        save_version(request.getfixturevalue(persona), section, f"Texte [#{proposal.pk}].")


def test_the_draft_quotes_sources_and_is_accepted_as_it_is(moderator, campaign, resident):
    rows = [
        factories.ContributionFactory(
            campaign=campaign, title=f"Curer les fossés du secteur {n}", body="Les fossés " * 5
        )
        for n in range(4)
    ]
    add_support(resident, rows[2])
    regroup_contributions(moderator, campaign, k=1)
    topic = rows[0].__class__.objects.get(pk=rows[0].pk).topic
    section = create_section(moderator, campaign, title=topic.label, topic=topic)
    draft = draft_from_data(section)
    assert draft.splitlines()[0].endswith(
        "4 contributions (4 en ligne, 0 en atelier, 0 sur papier)"
    )
    assert f"« {rows[2].title} » : 1 soutien, 0 commentaire [#{rows[2].pk}]" in draft
    version = save_version(moderator, section, draft)  # every line it wrote cites a source
    assert len(version.citations) == 4
