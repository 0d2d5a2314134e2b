import pytest
from sklearn.metrics import adjusted_rand_score

from consultation.actions.topics import (
    merge_topics,
    move_to_topic,
    regroup_contributions,
    rename_topic,
    request_regroup,
    split_topic,
)
from consultation.errors import ActionRefused, PermissionRefused
from consultation.models import Topic
from consultation.themes import group_texts, label_from
from tests import factories

DITCHES = [
    "Curer les fossés le long des routes avant l'hiver",
    "Les fossés ne sont plus curés, l'eau déborde sur la route",
    "Un curage régulier des fossés et des buses",
    "Entretenir les fossés communaux tous les ans",
    "Les fossés bouchés par les feuilles inondent la route",
    "Remettre en état les fossés et les buses sous les routes",
    "Programme de curage des fossés par le département",
    "Fossés pleins de terre : la route devient une rivière",
]
ALERTS = [
    "Une alerte par SMS quand la rivière monte",
    "Sirène d'alerte dans chaque village de la vallée",
    "Recevoir l'alerte crue sur le téléphone la nuit",
    "L'alerte est arrivée trop tard, le matin, par SMS",
    "Un système d'alerte par téléphone pour les personnes âgées",
    "Tester la sirène d'alerte une fois par mois",
    "Alerte SMS de la mairie avant la crue",
    "Prévenir par téléphone et par sirène en cas d'alerte crue",
]
HEDGES = [
    "Replanter des haies en travers des pentes agricoles",
    "Aider les agriculteurs à entretenir les haies",
    "Des haies et des bandes enherbées pour freiner le ruissellement",
    "Les haies arrachées accélèrent le ruissellement des champs",
    "Planter des haies avec les agriculteurs du bassin",
    "Subventionner la plantation de haies et de fascines",
    "Haies, talus et fascines contre le ruissellement agricole",
    "Couvrir les sols agricoles et replanter des haies",
]
TRUTH = [0] * len(DITCHES) + [1] * len(ALERTS) + [2] * len(HEDGES)


def test_three_subjects_are_found_and_labelled_with_their_words():
    grouping = group_texts(DITCHES + ALERTS + HEDGES, k=3)
    assert adjusted_rand_score(TRUTH, grouping.labels) == 1.0
    labels = {label_from(terms) for terms in grouping.terms}
    assert any("fossés" in label.lower() for label in labels)
    assert any("alerte" in label.lower() for label in labels)
    assert any("haies" in label.lower() for label in labels)
    for theme, typical in enumerate(grouping.typical):
        assert {grouping.labels[i] for i in typical} == {theme}
    assert set(grouping.timings) >= {"tf-idf", "lsa", "k-moyennes", "intitulés"}


def test_the_number_of_themes_is_chosen_when_not_given():
    grouping = group_texts(DITCHES + ALERTS + HEDGES)
    assert grouping.size == 3
    assert adjusted_rand_score(TRUTH, grouping.labels) == 1.0


def test_grouping_is_deterministic_and_handles_tiny_inputs():
    texts = DITCHES + ALERTS + HEDGES
    assert list(group_texts(texts, k=3).labels) == list(group_texts(texts, k=3).labels)
    assert group_texts([]).size == 0
    assert group_texts(["Une seule contribution sur les fossés"]).size == 1


@pytest.fixture
def contributions(campaign):
    return [
        factories.ContributionFactory(campaign=campaign, title=text[:60], body=text + ".")
        for text in DITCHES + ALERTS + HEDGES
    ]


def topic_of(contribution):
    contribution.refresh_from_db()
    return contribution.topic


def test_a_moderator_groups_a_campaign_into_themes(moderator, campaign, contributions):
    result = regroup_contributions(moderator, campaign, k=3)
    assert (result.topics, result.contributions, result.created) == (3, 24, 3)
    topics = {topic_of(c).pk for c in contributions}
    assert len(topics) == 3
    assert topic_of(contributions[0]) == topic_of(contributions[1])
    topic = topic_of(contributions[0])
    assert "Fossés" in topic.label and set(topic.typical) <= {c.pk for c in contributions[:8]}


def test_a_rerun_keeps_renamed_themes_and_placed_contributions(moderator, campaign, contributions):
    regroup_contributions(moderator, campaign, k=3)
    ditches = topic_of(contributions[0])
    alerts = topic_of(contributions[8])
    rename_topic(moderator, ditches, "Entretien des fossés")
    move_to_topic(moderator, [contributions[20]], ditches)  # a hedge card, placed by hand
    for text in ["Curer aussi les fossés des chemins ruraux", "Nouveaux fossés à curer"]:
        factories.ContributionFactory(campaign=campaign, title=text, body=text + " vite.")
    result = regroup_contributions(None, campaign, k=3)
    assert result.created == 0 and result.contributions == 26
    ditches.refresh_from_db()
    assert ditches.label == "Entretien des fossés"
    assert topic_of(contributions[20]) == ditches
    assert topic_of(contributions[8]) == alerts
    assert ditches.contributions.filter(title__startswith="Nouveaux fossés").exists()


def test_merge_and_split_are_kept_by_a_rerun(moderator, campaign, contributions):
    regroup_contributions(moderator, campaign, k=3)
    alerts, hedges = topic_of(contributions[8]), topic_of(contributions[16])
    merged = merge_topics(moderator, alerts, hedges)
    assert not Topic.objects.filter(pk=alerts.pk).exists()
    assert merged.contributions.count() == 16
    sirens = split_topic(moderator, merged, contributions[9:10], "Sirènes")
    regroup_contributions(None, campaign, k=3)
    assert topic_of(contributions[9]) == sirens
    assert topic_of(contributions[8]) == merged


@pytest.mark.parametrize("label", ["", "x", "y" * 121, None])
def test_a_bad_label_is_refused(moderator, campaign, contributions, label):
    regroup_contributions(moderator, campaign, k=3)
    topic = Topic.objects.first()
    with pytest.raises(ActionRefused):
        rename_topic(moderator, topic, label)
    topic.refresh_from_db()
    assert not topic.label_locked


def test_foreign_contributions_and_topics_are_refused(moderator, campaign, contributions):
    regroup_contributions(moderator, campaign, k=3)
    topic = Topic.objects.first()
    foreign = factories.ContributionFactory()
    with pytest.raises(ActionRefused):
        move_to_topic(moderator, [foreign], topic)
    with pytest.raises(ActionRefused):
        merge_topics(moderator, topic, topic)
    with pytest.raises(ActionRefused):
        move_to_topic(moderator, [], topic)


@pytest.mark.parametrize("persona", ["resident", "facilitator", "anonymous"])
def test_only_moderators_curate_themes(request, persona, campaign, contributions):
    with pytest.raises(PermissionRefused):
        regroup_contributions(request.getfixturevalue(persona), campaign)


def test_a_worker_that_defers_gets_the_regrouping_as_a_task(
    moderator, campaign, contributions, settings, django_capture_on_commit_callbacks
):
    assert request_regroup(moderator, campaign, k=3).topics == 3  # immediate backend: at once
    # The database backend of production can defer; so can the dummy one, used here.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        assert request_regroup(moderator, campaign, k=3) is None
    with pytest.raises(PermissionRefused):
        request_regroup(factories.UserFactory(), campaign)
