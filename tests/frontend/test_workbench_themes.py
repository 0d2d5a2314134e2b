"""Automatic themes pages: regrouping, the list of themes, a theme's page and the moderators'
edits (rename, move, split, merge); bad input; escaping; query counts."""

import pytest
from django.test import Client
from django.urls import reverse

from consultation.models import Contribution, Topic
from tests import factories
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

SUBJECTS = {
    "fossés": "Curer les fossés et les buses le long des routes avant l'hiver",
    "alerte": "Une sirène et un SMS d'alerte quand la rivière monte la nuit",
    "haies": "Planter des haies et des talus pour freiner le ruissellement des champs",
}


@pytest.fixture
def client(moderator):
    client = Client()
    sign_in(client, moderator)
    return client


def url(campaign, name, **kwargs) -> str:
    return reverse(f"frontend:workbench_{name}", kwargs={"slug": campaign.slug, **kwargs})


@pytest.fixture
def texts(campaign):
    rows = []
    for subject, sentence in SUBJECTS.items():
        for i in range(4):
            rows.append(
                factories.ContributionFactory(
                    campaign=campaign,
                    title=f"{subject.capitalize()} ({i})",
                    body=f"{sentence}, {i}.",
                )
            )
    return rows


@pytest.fixture
def topics(campaign, texts):
    """Two themes made by hand: fossés (4 contributions) and alerte (4); haies unplaced."""
    ditches = Topic.objects.create(campaign=campaign, label="Fossés", terms=["fossés", "curer"])
    alert = Topic.objects.create(campaign=campaign, label="Alerte", position=1)
    Contribution.objects.filter(pk__in=[c.pk for c in texts[:4]]).update(topic=ditches)
    Contribution.objects.filter(pk__in=[c.pk for c in texts[4:8]]).update(topic=alert)
    ditches.typical = [texts[0].pk, texts[1].pk]
    ditches.save()
    return ditches, alert


def test_regrouping_makes_themes_from_the_texts(client, campaign, texts):
    response = client.post(url(campaign, "regroup"), {"k": "3"}, follow=True)
    assert "12 contributions regroupées en 3 thèmes." in response.content.decode()
    assert Topic.objects.filter(campaign=campaign).count() == 3
    # Contributions on the same subject land together.
    by_subject = {
        subject: {
            c.topic_id for c in Contribution.objects.filter(title__startswith=subject.capitalize())
        }
        for subject in SUBJECTS
    }
    assert all(len(ids) == 1 for ids in by_subject.values())
    html = response.content.decode()
    for topic in Topic.objects.all():
        assert topic.label in html.replace("&#x27;", "'")
        assert "4 contributions" in html


@pytest.mark.parametrize("k", ["1", "31", "trois"])
def test_a_bad_number_of_themes_is_refused_on_its_field(client, campaign, texts, k):
    response = client.post(url(campaign, "regroup"), {"k": k})
    assert response.status_code == 400
    assert response.context["form"].errors["k"]
    assert not Topic.objects.exists()


def test_the_list_shows_label_lock_words_count_and_typical_contributions(
    client, campaign, texts, topics
):
    ditches, _alert = topics
    ditches.label_locked = True
    ditches.save()
    html = client.get(url(campaign, "themes")).content.decode()
    assert "Intitulé choisi par la modération" in html
    assert "fossés, curer" in html
    assert f"n° {texts[0].pk} — Fossés (0)" in html
    assert "4 contributions publiées ne sont encore dans aucun thème." in html


def test_a_theme_page_lists_its_contributions_with_checkboxes(client, campaign, texts, topics):
    ditches, _alert = topics
    html = client.get(url(campaign, "theme", pk=ditches.pk)).content.decode()
    for row in texts[:4]:
        assert f'name="contributions" value="{row.pk}"' in html
    assert f'value="{texts[4].pk}"' not in html


def test_renaming_locks_the_label(client, campaign, topics):
    ditches, _alert = topics
    response = client.post(url(campaign, "theme_rename", pk=ditches.pk), {"label": "Entretien"})
    assert response.status_code == 302
    ditches.refresh_from_db()
    assert (ditches.label, ditches.label_locked) == ("Entretien", True)


def test_a_label_too_short_is_refused_and_kept(client, campaign, topics):
    ditches, _alert = topics
    response = client.post(url(campaign, "theme_rename", pk=ditches.pk), {"label": "x"})
    assert response.status_code == 400
    assert response.context["rename_form"].errors["label"]
    assert Topic.objects.get(pk=ditches.pk).label == "Fossés"


def test_a_label_with_markup_is_shown_as_text(client, campaign, topics):
    ditches, _alert = topics
    client.post(
        url(campaign, "theme_rename", pk=ditches.pk), {"label": "<script>alert(1)</script>"}
    )
    for page in [url(campaign, "themes"), url(campaign, "theme", pk=ditches.pk)]:
        html = client.get(page).content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_checked_contributions_move_to_another_theme_and_stay_there(
    client, campaign, texts, topics
):
    ditches, alert = topics
    moved = texts[:2]
    response = client.post(
        url(campaign, "theme_contributions", pk=ditches.pk),
        {"contributions": [c.pk for c in moved], "operation": "deplacer", "target": alert.pk},
        follow=True,
    )
    assert "2 contributions déplacées vers « Alerte »." in response.content.decode()
    for row in moved:
        row.refresh_from_db()
        assert (row.topic_id, row.topic_pinned) == (alert.pk, True)
    assert Contribution.objects.filter(topic=ditches).count() == 2


def test_checked_contributions_split_into_a_new_theme(client, campaign, texts, topics):
    ditches, _alert = topics
    response = client.post(
        url(campaign, "theme_contributions", pk=ditches.pk),
        {"contributions": [texts[3].pk], "operation": "scinder", "label": "Buses bouchées"},
        follow=True,
    )
    new = Topic.objects.get(label="Buses bouchées")
    assert new.label_locked and new.campaign == campaign
    assert list(new.contributions.all()) == [texts[3]]
    assert "1 contribution placée dans le nouveau thème « Buses bouchées »." in (
        response.content.decode().replace("&#x27;", "'")
    )


def test_bad_edits_are_refused_on_their_fields(client, campaign, texts, topics):
    ditches, alert = topics
    foreign_topic = Topic.objects.create(campaign=factories.CampaignFactory(), label="Ailleurs")
    foreign = factories.ContributionFactory()
    edit = url(campaign, "theme_contributions", pk=ditches.pk)
    mine = texts[0].pk
    cases = [
        ({"operation": "deplacer", "target": alert.pk}, "contributions", "Cochez au moins"),
        ({"contributions": [texts[5].pk], "operation": "deplacer", "target": alert.pk},
         "contributions", "n'est pas dans ce thème"),
        ({"contributions": [foreign.pk], "operation": "deplacer", "target": alert.pk},
         "contributions", "n'est pas dans ce thème"),
        ({"contributions": ["abc"], "operation": "deplacer", "target": alert.pk},
         "contributions", "n'est pas un numéro"),
        # Beyond what the database can hold (SQLite raised OverflowError: a 500).
        ({"contributions": ["9" * 21], "operation": "deplacer", "target": alert.pk},
         "contributions", "n'est pas dans ce thème"),
        ({"contributions": [mine], "operation": "deplacer", "target": "9" * 21},
         "target", "n'existe pas dans cette campagne"),
        ({"contributions": [mine], "operation": "deplacer"}, "target", "Choisissez le thème"),
        ({"contributions": [mine], "operation": "deplacer", "target": foreign_topic.pk},
         "target", "n'existe pas dans cette campagne"),
        ({"contributions": [mine], "operation": "deplacer", "target": ditches.pk},
         "target", "n'existe pas dans cette campagne"),
        ({"contributions": [mine], "operation": "scinder"}, "label", "Donnez un intitulé"),
        ({"contributions": [mine], "operation": "scinder", "label": "x"}, "label", "2 caractères"),
        ({"contributions": [mine], "operation": "effacer"}, "operation", "effacer"),
    ]  # fmt: skip
    for data, field, message in cases:
        response = client.post(edit, data)
        assert response.status_code == 400, data
        errors = response.context["edit_form"].errors
        assert any(message in e for e in errors.get(field, [])), (data, errors)
    # The checked boxes stay checked when the page comes back.
    assert f'value="{mine}" id="cocher-{mine}" checked' in response.content.decode()
    assert Contribution.objects.filter(topic=ditches).count() == 4
    assert Topic.objects.filter(campaign=campaign).count() == 2
    assert not Contribution.objects.filter(topic_pinned=True).exists()


def test_a_theme_merges_into_another(client, campaign, texts, topics):
    ditches, alert = topics
    response = client.post(url(campaign, "theme_merge", pk=ditches.pk), {"target": alert.pk})
    assert response["Location"] == url(campaign, "theme", pk=alert.pk)
    assert not Topic.objects.filter(pk=ditches.pk).exists()
    assert Contribution.objects.filter(topic=alert).count() == 8


def test_a_theme_cannot_merge_into_another_campaigns(client, campaign, topics):
    ditches, _alert = topics
    foreign = Topic.objects.create(campaign=factories.CampaignFactory(), label="Ailleurs")
    for target in [foreign.pk, ditches.pk, "", "abc"]:
        response = client.post(url(campaign, "theme_merge", pk=ditches.pk), {"target": target})
        assert response.status_code == 400
        assert response.context["merge_form"].errors["target"]
    assert Topic.objects.filter(pk=ditches.pk).exists()


def test_another_campaigns_theme_is_a_404(client, campaign):
    foreign = Topic.objects.create(campaign=factories.CampaignFactory(), label="Ailleurs")
    assert client.get(url(campaign, "theme", pk=foreign.pk)).status_code == 404
    response = client.post(url(campaign, "theme_rename", pk=foreign.pk), {"label": "Piraté"})
    assert response.status_code == 404
    assert Topic.objects.get(pk=foreign.pk).label == "Ailleurs"


def _themes(campaign, n, per_topic):
    for i in range(n):
        topic = Topic.objects.create(campaign=campaign, label=f"Thème {i}", position=i)
        rows = factories.ContributionFactory.create_batch(per_topic, campaign=campaign, topic=topic)
        topic.typical = [row.pk for row in rows[:3]]
        topic.save()
    return topic


def test_the_pages_cost_the_same_queries_however_many_themes_and_contributions(
    client, campaign, django_assert_num_queries
):
    last = _themes(campaign, 2, 3)
    # Session, user, campaign, phases, roles, themes with counts, typical contributions,
    # unplaced count, the menu's campaigns.
    with django_assert_num_queries(11):  # +2: staff gate, role and second-factor device
        client.get(url(campaign, "themes"))
    # Session, user, campaign, phases, roles, the theme, its contributions count, its typical
    # contributions, the menu's campaigns, its page of contributions, the themes offered by the
    # move form and by the merge form.
    with django_assert_num_queries(14):  # +2: staff gate, role and second-factor device
        client.get(url(campaign, "theme", pk=last.pk))
    last = _themes(campaign, 6, 12)
    with django_assert_num_queries(11):  # +2: staff gate, role and second-factor device
        response = client.get(url(campaign, "themes"))
    assert len(response.context["topics"]) == 8
    with django_assert_num_queries(14):  # +2: staff gate, role and second-factor device
        response = client.get(url(campaign, "theme", pk=last.pk))
    assert len(response.context["page_obj"].object_list) == 12
