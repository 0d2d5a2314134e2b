"""The duplicates page: suggested pairs, merging (by a pair's buttons or by numbers typed by
hand), the merges done and their undo; bad input; escaping; query counts."""

import pytest
from django.test import Client
from django.urls import reverse

from consultation.actions.merges import merge_contributions
from consultation.models import Contribution, Merge, ModerationDecision, Support
from tests import factories
from tests.staff import sign_in

pytestmark = pytest.mark.django_db


def proposal_in(campaign, title, body):
    return factories.ContributionFactory(campaign=campaign, kind="proposal", title=title, body=body)


@pytest.fixture
def pair(campaign):
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
    proposal_in(campaign, "Un numéro unique d'alerte", "Une ligne téléphonique pour les crues.")
    return result, copy


@pytest.fixture
def client(moderator):
    client = Client()
    sign_in(client, moderator)
    return client


def page_url(campaign) -> str:
    return reverse("frontend:workbench_duplicates", kwargs={"slug": campaign.slug})


def merge_url(campaign) -> str:
    return reverse("frontend:workbench_merge", kwargs={"slug": campaign.slug})


def unmerge_url(campaign, merge) -> str:
    return reverse("frontend:workbench_unmerge", kwargs={"slug": campaign.slug, "pk": merge.pk})


def support(contribution, *users):
    for user in users:
        Support.objects.create(contribution=contribution, user=user)


def test_the_page_shows_the_suggested_pair_with_score_counts_and_links(client, campaign, pair):
    result, copy = pair
    support(result, *factories.UserFactory.create_batch(2))
    response = client.get(page_url(campaign))
    html = response.content.decode()
    [shown] = response.context["pairs"]
    assert {shown["first"].pk, shown["second"].pk} == {result.pk, copy.pk}
    assert f"Ressemblance : {shown['percent']} %" in html
    assert 45 <= shown["percent"] <= 100
    assert "Curer les fossés avant l&#x27;hiver" in html and "Curage des fossés" in html
    assert "2 soutiens" in html and "0 soutien" in html
    assert f'href="{result.get_absolute_url()}"' in html
    assert "Un numéro unique d&#x27;alerte" not in html  # not a duplicate of anything
    assert f"Fusionner n° {shown['first'].pk} dans n° {shown['second'].pk}" in html


@pytest.mark.parametrize("keep", ["first", "second"])
def test_a_pair_button_merges_in_the_direction_it_says(client, campaign, pair, keep):
    first, second = sorted(pair, key=lambda c: c.pk)
    kept, gone = (first, second) if keep == "first" else (second, first)
    supporters = factories.UserFactory.create_batch(2)
    support(gone, *supporters)
    support(kept, supporters[0])
    response = client.post(
        merge_url(campaign),
        {"first": first.pk, "second": second.pk, "keep": keep, "note": "Même demande"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == page_url(campaign) + "#fusions"
    gone.refresh_from_db()
    assert gone.merged_into_id == kept.pk
    merge = Merge.objects.get()
    assert (merge.result_id, merge.merged_id) == (kept.pk, gone.pk)
    # Each supporter counts once on the result: the one who supported both is not doubled.
    assert Support.objects.filter(contribution=kept).count() == 2
    assert ModerationDecision.objects.get(action="merge").note == "Même demande"
    assert "1 soutien ajouté" in response.content.decode()
    assert response.context["pairs"] == []  # the merged one left the suggestions


def test_a_merge_typed_by_number_merges_a_pair_the_suggestions_missed(client, campaign):
    a = proposal_in(campaign, "Des bassins de rétention", "Creuser des bassins en amont.")
    b = proposal_in(campaign, "Retenir l'eau plus haut", "Des zones d'expansion de crue.")
    response = client.post(merge_url(campaign), {"merged": a.pk, "result": b.pk, "note": ""})
    assert response.status_code == 302
    assert Contribution.objects.get(pk=a.pk).merged_into_id == b.pk
    assert Merge.objects.get().moderator.email == "moderator@prefecture.gouv.fr"


def _errors(response) -> dict:
    return {
        name: [str(e) for e in errors] for name, errors in response.context["form"].errors.items()
    }


def test_numbers_typed_by_hand_are_checked_on_their_fields(client, campaign, pair):
    result, copy = pair
    foreign = factories.ContributionFactory()  # another campaign's contribution
    cases = [
        (
            {"merged": foreign.pk, "result": result.pk},
            "merged",
            f"Aucune contribution n° {foreign.pk}",
        ),
        ({"merged": copy.pk, "result": 99999999}, "result", "Aucune contribution n° 99999999"),
        ({"merged": "12a", "result": result.pk}, "merged", "des chiffres uniquement"),
        ({"merged": "", "result": result.pk}, "merged", "obligatoire"),
        ({"merged": copy.pk, "result": copy.pk}, "result", "deux contributions différentes"),
        ({"merged": copy.pk, "result": result.pk, "note": "x" * 501}, "note", "501"),
    ]
    for data, field, message in cases:
        response = client.post(merge_url(campaign), data)
        assert response.status_code == 400, data
        assert any(message in error for error in _errors(response)[field]), (
            data,
            _errors(response),
        )
        # What was typed is shown again.
        assert f'value="{data["merged"]}"' in response.content.decode() or not data["merged"]
    assert not Merge.objects.exists()
    assert not Contribution.objects.filter(merged_into__isnull=False).exists()


def test_the_action_refusal_is_shown_above_the_form(client, campaign, moderator, pair):
    result, copy = pair
    other = proposal_in(campaign, "Autre chose", "Rien à voir avec les fossés.")
    merge_contributions(moderator, campaign, result=result, merged=[copy])
    response = client.post(merge_url(campaign), {"merged": copy.pk, "result": other.pk})
    assert response.status_code == 400
    assert "est déjà fusionnée" in response.content.decode()
    assert Merge.objects.count() == 1


def test_a_forged_pair_is_refused_with_a_message(client, campaign, pair):
    result, _copy = pair
    foreign = factories.ContributionFactory()
    response = client.post(
        merge_url(campaign),
        {"first": result.pk, "second": foreign.pk, "keep": "first"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == page_url(campaign)
    assert f"Aucune contribution n° {foreign.pk} dans cette campagne." in response.content.decode()
    assert not Merge.objects.exists()


def test_the_merges_done_are_listed_and_can_be_undone(client, campaign, moderator, pair):
    result, copy = pair
    supporter = factories.UserFactory()
    support(copy, supporter)
    merge = merge_contributions(moderator, campaign, result=result, merged=[copy])[0]
    html = client.get(page_url(campaign)).content.decode()
    assert f'id="fusion-{merge.pk}"' in html and "Équipe de modération" in html
    assert "Annuler la fusion" in html

    response = client.post(unmerge_url(campaign, merge), follow=True)
    assert "La fusion est annulée" in response.content.decode()
    merge.refresh_from_db()
    copy.refresh_from_db()
    assert merge.undone_at is not None and copy.merged_into_id is None
    assert not Support.objects.filter(contribution=result, user=supporter).exists()
    assert "Annulée par Équipe de modération" in response.content.decode()

    again = client.post(unmerge_url(campaign, merge), follow=True)
    assert "Cette fusion est déjà annulée." in again.content.decode()


def test_another_campaigns_merge_cannot_be_undone_from_here(client, campaign):
    elsewhere = factories.CampaignFactory()
    staff = factories.UserFactory()
    from consultation.models import CampaignRole

    CampaignRole.objects.create(campaign=elsewhere, user=staff, role=CampaignRole.Role.MODERATOR)
    a = proposal_in(elsewhere, "Un", "Premier texte assez long.")
    b = proposal_in(elsewhere, "Deux", "Second texte assez long.")
    merge = merge_contributions(staff, elsewhere, result=a, merged=[b])[0]
    assert client.post(unmerge_url(campaign, merge)).status_code == 404
    merge.refresh_from_db()
    assert merge.undone_at is None


def test_titles_with_markup_are_shown_as_text(client, campaign):
    for _ in range(2):
        proposal_in(
            campaign, "<script>alert(1)</script> fossés", "<b>Curer</b> les fossés bouchés."
        )
    html = client.get(page_url(campaign)).content.decode()
    assert "<script>alert(1)</script>" not in html and "<b>Curer" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; fossés" in html


def test_the_page_costs_the_same_queries_for_2_or_12_pairs_and_merges(
    client, campaign, moderator, django_assert_num_queries
):
    def add_pairs(n):
        for i in range(n):
            words = ["digue", "fossé", "alerte", "sirène", "bassin", "haie"][i % 6]
            a = proposal_in(campaign, f"Réparer la {words} {i}", f"Il faut réparer la {words} {i}.")
            b = proposal_in(campaign, f"Réparation {words} {i}", f"Réparer la {words} {i} vite.")
            c = proposal_in(campaign, f"Autre {i}", f"Une idée sans rapport, numéro {i}.")
            merge_contributions(moderator, campaign, result=a, merged=[c])
            support(b, factories.UserFactory())

    add_pairs(1)
    # Session, user, campaign, its phases, roles, merges count, suggestions' texts, their
    # counts, the menu's campaigns, the merges page.
    with django_assert_num_queries(12):  # +2: staff gate, role and second-factor device
        assert client.get(page_url(campaign)).status_code == 200
    add_pairs(5)
    with django_assert_num_queries(12):  # +2: staff gate, role and second-factor device
        response = client.get(page_url(campaign))
    assert len(response.context["pairs"]) >= 6
    assert len(response.context["page_obj"].object_list) == 6
