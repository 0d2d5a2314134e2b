from datetime import timedelta

import pytest
from django.utils import timezone

from consultation.actions.comments import post_comment
from consultation.errors import ActionRefused, PermissionRefused
from consultation.models import Comment
from consultation.models.contributions import Visibility
from tests import factories


def test_a_resident_comments_for_and_replies(resident, other_resident, proposal):
    first = post_comment(resident, proposal, body="Bonne idée pour Beutin.", alignment=1)
    reply = post_comment(
        other_resident, proposal, body="Mais qui entretient ?", alignment=-1, parent=first
    )
    assert first.alignment == Comment.Alignment.FOR
    assert reply.parent == first and reply.alignment == Comment.Alignment.AGAINST


def test_threads_stop_at_three_levels(resident, proposal):
    parent = None
    for depth in range(4):
        parent = post_comment(resident, proposal, body=f"Niveau {depth}", parent=parent)
    with pytest.raises(ActionRefused, match="trop imbriquée"):
        post_comment(resident, proposal, body="Niveau 4", parent=parent)
    assert Comment.objects.count() == 4


def test_it_refuses_a_parent_from_another_contribution(resident, proposal, campaign):
    elsewhere = factories.CommentFactory(
        contribution=factories.ContributionFactory(campaign=campaign)
    )
    with pytest.raises(ActionRefused, match="n'appartient pas à cette contribution"):
        post_comment(resident, proposal, body="Réponse", parent=elsewhere)


def test_it_refuses_replies_to_hidden_comments(resident, proposal):
    hidden = factories.CommentFactory(contribution=proposal, visibility=Visibility.HIDDEN)
    with pytest.raises(ActionRefused, match="masqué"):
        post_comment(resident, proposal, body="Réponse", parent=hidden)


@pytest.mark.parametrize(
    ("body", "alignment", "message"),
    [
        ("", 0, "obligatoire"),
        ("x" * 2001, 0, "2000 caractères"),
        ("Ok ok", 2, "Position"),
        ("Ok ok", "pour", "Position"),
        (["liste"], 0, "un texte est attendu"),
    ],
)
def test_it_rejects_bad_input(resident, proposal, body, alignment, message):
    with pytest.raises(ActionRefused, match=message):
        post_comment(resident, proposal, body=body, alignment=alignment)
    assert not Comment.objects.exists()


def test_it_refuses_comments_on_hidden_contributions(resident, proposal):
    proposal.visibility = Visibility.HIDDEN
    proposal.save()
    with pytest.raises(PermissionRefused, match="n'est pas publié"):
        post_comment(resident, proposal, body="Bonjour")


def test_it_refuses_comments_when_the_phase_is_over(resident, proposal, campaign):
    campaign.phases.update(
        starts_at=timezone.now() + timedelta(days=1), ends_at=timezone.now() + timedelta(days=2)
    )
    with pytest.raises(PermissionRefused, match="ne permet pas de commenter"):
        post_comment(resident, proposal, body="Bonjour")


def test_comments_count_against_the_limit_once_written(
    resident, proposal, settings, django_capture_on_commit_callbacks
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "comment": "2/h"}
    with pytest.raises(ActionRefused, match="Commentaire"):
        post_comment(resident, proposal, body="x")  # too short: refused, not counted
    for body in ("Premier avis", "Second avis"):
        with django_capture_on_commit_callbacks(execute=True):
            post_comment(resident, proposal, body=body)

    with pytest.raises(ActionRefused, match="Trop de demandes"):
        post_comment(resident, proposal, body="Troisième avis")
    assert Comment.objects.count() == 2
