import pytest
from django.core import mail

from consultation.actions.merges import (
    duplicate_suggestions,
    merge_contributions,
    similarity,
    undo_merge,
)
from consultation.actions.supports import add_support
from consultation.errors import ActionRefused, PermissionRefused
from consultation.models import Contribution, Follow, ModerationDecision, Support
from consultation.textsim import french_terms
from tests import factories


def proposal_in(campaign, title, body=""):
    return factories.ContributionFactory(
        campaign=campaign,
        kind="proposal",
        title=title,
        body=body or f"{title}. Texte de la contribution, assez long pour être valide.",
    )


@pytest.fixture
def duplicates(campaign):
    result = proposal_in(
        campaign,
        "Curer les fossés avant l'hiver",
        "Les fossés le long des routes départementales ne sont plus curés ; l'eau déborde.",
    )
    copy = proposal_in(
        campaign,
        "Curage des fossés",
        "Il faut curer les fossés des routes avant l'hiver, sinon l'eau déborde sur la route.",
    )
    return result, copy


@pytest.fixture
def supporters(db):
    return factories.UserFactory.create_batch(3)


def test_french_terms_are_stemmed_without_stop_words():
    assert french_terms("Les inondations de l'hiver et l'inondation du village") == [
        "inond", "hiv", "inond", "villag",
    ]  # fmt: skip


def test_near_duplicates_are_suggested_best_first(campaign, duplicates):
    result, copy = duplicates
    proposal_in(campaign, "Un numéro unique d'alerte", "Une ligne téléphonique pour les crues.")
    [suggestion] = duplicate_suggestions(campaign)
    assert {suggestion.first, suggestion.second} == {result, copy}
    assert 0.45 <= suggestion.score <= 1
    assert similarity("curer les fossés", "le curage des fossés") < similarity(
        "curer les fossés", "curer des fossés"
    )


def test_merged_and_hidden_contributions_are_not_suggested(campaign, duplicates, moderator):
    result, copy = duplicates
    merge_contributions(moderator, campaign, result=result, merged=[copy])
    assert duplicate_suggestions(campaign) == []


@pytest.mark.django_db(transaction=True)
def test_a_merge_keeps_each_supporter_once_and_links_the_duplicate(
    campaign, duplicates, supporters, moderator
):
    result, copy = duplicates
    both, only_copy, only_result = supporters
    for user in (both, only_copy):
        add_support(user, copy)
    for user in (both, only_result):
        add_support(user, result)
    Follow.objects.create(contribution=copy, user=only_copy)
    [merge] = merge_contributions(
        moderator, campaign, result=result, merged=[copy], note="Même demande"
    )
    copy.refresh_from_db()
    assert copy.merged_into == result
    supporters_now = set(result.supports.values_list("user", flat=True))
    assert supporters_now == {both.pk, only_copy.pk, only_result.pk}
    assert result.supports.count() == 3  # `both` counts once
    assert copy.supports.count() == 2  # the duplicate keeps its own history
    assert len(merge.added_supports) == 1
    assert Follow.objects.filter(contribution=result, user=only_copy).exists()
    decision = ModerationDecision.objects.get(action="merge")
    assert decision.target_id == copy.pk and decision.data["result"] == result.pk
    assert decision.note == "Même demande"
    notified = {address for email in mail.outbox for address in email.to}
    assert notified >= {both.email, only_copy.email, copy.author.email}


def test_undo_removes_only_what_the_merge_added(campaign, duplicates, supporters, moderator):
    result, copy = duplicates
    loyal, moved = supporters[:2]
    add_support(loyal, result)
    add_support(moved, copy)
    add_support(loyal, copy)
    [merge] = merge_contributions(moderator, campaign, result=result, merged=[copy])
    undo_merge(moderator, merge, note="Pas la même chose finalement")
    copy.refresh_from_db()
    assert copy.merged_into is None
    assert list(result.supports.values_list("user", flat=True)) == [loyal.pk]
    assert copy.supports.count() == 2
    assert ModerationDecision.objects.filter(action="unmerge").count() == 1
    with pytest.raises(ActionRefused) as refused:
        undo_merge(moderator, merge)
    assert refused.value.code == "already_undone"


def test_a_support_given_again_after_the_merge_survives_the_undo(
    campaign, duplicates, supporters, moderator
):
    result, copy = duplicates
    person = supporters[0]
    add_support(person, copy)
    [merge] = merge_contributions(moderator, campaign, result=result, merged=[copy])
    Support.objects.filter(contribution=result, user=person).delete()
    add_support(person, result)  # withdrawn, then given by the person themselves
    undo_merge(moderator, merge)
    assert result.supports.filter(user=person).exists()


def test_a_merged_contribution_takes_no_more_supports_and_leaves_the_listing(
    client, campaign, duplicates, moderator, resident
):
    result, copy = duplicates
    merge_contributions(moderator, campaign, result=result, merged=[copy])
    copy.refresh_from_db()
    with pytest.raises(PermissionRefused) as refused:
        add_support(resident, copy)
    assert "fusionnée" in refused.value.message
    assert list(Contribution.objects.filter(campaign=campaign).unmerged()) == [result]


@pytest.mark.parametrize("case", ["self", "foreign", "already", "chain", "empty"])
def test_impossible_merges_are_refused_and_change_nothing(case, campaign, duplicates, moderator):
    result, copy = duplicates
    third = proposal_in(campaign, "Troisième contribution sur les fossés")
    if case == "self":
        merged = [result]
    elif case == "foreign":
        merged = [factories.ContributionFactory()]
    elif case == "already":
        merge_contributions(moderator, campaign, result=third, merged=[copy])
        merged = [copy]
    elif case == "chain":
        merge_contributions(moderator, campaign, result=copy, merged=[third])
        merged = [copy]
    else:
        merged = []
    before = ModerationDecision.objects.count()
    with pytest.raises(ActionRefused):
        merge_contributions(moderator, campaign, result=result, merged=merged)
    assert ModerationDecision.objects.count() == before
    result.refresh_from_db()
    assert result.merged_into is None


@pytest.mark.parametrize("persona", ["resident", "facilitator", "anonymous"])
def test_only_moderators_merge(request, persona, campaign, duplicates):
    result, copy = duplicates
    with pytest.raises(PermissionRefused):
        merge_contributions(
            request.getfixturevalue(persona), campaign, result=result, merged=[copy]
        )
