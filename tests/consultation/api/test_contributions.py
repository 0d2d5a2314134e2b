import pytest

from consultation.models import Campaign, Contribution, Follow, OfficialAnswer
from consultation.models.contributions import Provenance, Visibility
from tests import factories
from tests.consultation.api.conftest import close_phases

URL = "/api/v1/contributions/"


def _new(target, **fields):
    return {
        "campaign": target.slug,
        "kind": "proposal",
        "title": "Recréer des haies contre le ruissellement",
        "body": "Planter des haies le long des champs en pente pour freiner l'eau.",
        **fields,
    }


def _titles(response):
    return [row["title"] for row in response.json()["results"]]


# --- Reading -------------------------------------------------------------------------------


def test_it_lists_published_contributions_with_exact_counts(api, campaign, proposal):
    for person in factories.UserFactory.create_batch(3):
        proposal.supports.create(user=person)
    factories.CommentFactory.create_batch(2, contribution=proposal)
    factories.CommentFactory(contribution=proposal, visibility=Visibility.HIDDEN)

    response = api.get(URL, {"campaign": campaign.slug})

    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["title"] == proposal.title
    assert row["supports_count"] == 3
    assert row["comments_count"] == 2  # the hidden comment is not counted
    assert row["author"] == "Dominique"
    assert row["answer"] is None


def test_the_detail_includes_the_official_answer(api, proposal):
    factories.OfficialAnswerFactory(contribution=proposal, status="accepted")

    body = api.get(f"{URL}{proposal.pk}/").json()

    assert body["answer"]["status"] == "accepted"
    assert body["answer"]["body"].startswith("La préfecture étudie")


def test_pending_contributions_are_seen_only_by_their_author_and_staff(
    api, api_as, campaign, resident, other_resident, moderator
):
    pending = factories.ContributionFactory(
        campaign=campaign, author=resident, visibility=Visibility.PENDING, title="En attente"
    )

    assert "En attente" in _titles(api_as(resident).get(URL))
    assert "En attente" in _titles(api_as(moderator).get(URL))
    assert "En attente" not in _titles(api_as(other_resident).get(URL))
    assert "En attente" not in _titles(api.get(URL))
    assert api.get(f"{URL}{pending.pk}/").status_code == 404
    assert api_as(other_resident).get(f"{URL}{pending.pk}/").status_code == 404
    assert api_as(resident).get(f"{URL}{pending.pk}/").json()["visibility"] == "pending"


def test_hidden_contributions_never_reach_participants(api_as, campaign, resident):
    hidden = factories.ContributionFactory(
        campaign=campaign, author=resident, visibility=Visibility.HIDDEN, title="Masquée"
    )

    assert "Masquée" not in _titles(api_as(resident).get(URL))
    response = api_as(resident).get(f"{URL}{hidden.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_draft_campaign_and_its_contributions_are_404_for_non_staff(
    api, api_as, campaign, resident, organiser, proposal
):
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)

    assert api.get(URL).json()["count"] == 0
    assert api_as(resident).get(f"{URL}{proposal.pk}/").status_code == 404
    assert api_as(organiser).get(f"{URL}{proposal.pk}/").status_code == 200


def test_unknown_ids_are_404_in_french(api, db):
    response = api.get(f"{URL}999999/")

    assert response.status_code == 404
    assert "n'existe pas" in response.json()["detail"]


# --- Filters -------------------------------------------------------------------------------


@pytest.fixture
def spread(campaign, other_campaign, commune):
    """Contributions spread over kinds, themes, places, answers and provenances."""
    water = factories.ThemeFactory(campaign=campaign, slug="eau")
    liane = factories.AreaFactory(slug="liane", name="Bassin de la Liane")
    boulogne = factories.CommuneFactory(area=liane, insee_code="62160", name="Boulogne")
    rows = {
        "haies": factories.ContributionFactory(
            campaign=campaign, title="Haies bocagères", theme=water, commune=commune
        ),
        "digue": factories.ContributionFactory(
            campaign=campaign, kind="question", title="Qui entretient la digue ?", commune=boulogne
        ),
        "souvenir": factories.ContributionFactory(
            campaign=campaign,
            kind="testimony",
            title="La nuit du 2 novembre",
            provenance=Provenance.WORKSHOP,
            author=None,
            author_label="Atelier de Montreuil",
        ),
        "voisine": factories.ContributionFactory(campaign=other_campaign, title="Ailleurs"),
    }
    factories.OfficialAnswerFactory(contribution=rows["digue"], status="already_done")
    return rows


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "question"}, ["Qui entretient la digue ?"]),
        ({"theme": "eau"}, ["Haies bocagères"]),
        ({"area": "liane"}, ["Qui entretient la digue ?"]),
        ({"commune": "62588"}, ["Haies bocagères"]),
        ({"answer_status": "already_done"}, ["Qui entretient la digue ?"]),
        ({"provenance": "workshop"}, ["La nuit du 2 novembre"]),
        ({"q": "DIGUE entretient"}, ["Qui entretient la digue ?"]),
        ({"q": "introuvable"}, []),
    ],
)
def test_each_filter_narrows_the_list(api, campaign, spread, params, expected):
    response = api.get(URL, {"campaign": campaign.slug, **params})

    assert response.status_code == 200
    assert _titles(response) == expected


def test_the_campaign_filter_keeps_other_campaigns_out(api, campaign, other_campaign, spread):
    assert _titles(api.get(URL, {"campaign": other_campaign.slug})) == ["Ailleurs"]
    assert "Ailleurs" not in _titles(api.get(URL, {"campaign": campaign.slug}))


def test_answer_status_none_lists_unanswered_contributions(api, campaign, spread):
    titles = _titles(api.get(URL, {"campaign": campaign.slug, "answer_status": "none"}))

    assert sorted(titles) == ["Haies bocagères", "La nuit du 2 novembre"]


def test_it_orders_by_supports_and_comments(api, campaign, spread):
    spread["souvenir"].supports.create(user=factories.UserFactory())
    factories.CommentFactory.create_batch(2, contribution=spread["digue"])
    factories.CommentFactory(contribution=spread["haies"])

    by_supports = _titles(api.get(URL, {"campaign": campaign.slug, "ordering": "-supports_count"}))
    by_comments = _titles(api.get(URL, {"campaign": campaign.slug, "ordering": "-comments_count"}))
    oldest_first = _titles(api.get(URL, {"campaign": campaign.slug, "ordering": "created_at"}))

    assert by_supports[0] == "La nuit du 2 novembre"
    assert by_comments[:2] == ["Qui entretient la digue ?", "Haies bocagères"]
    assert oldest_first == ["Haies bocagères", "Qui entretient la digue ?", "La nuit du 2 novembre"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "pétition"}, "kind"),
        ({"ordering": "title"}, "ordering"),
        ({"answer_status": "yes"}, "answer_status"),
        ({"commune": "6258899"}, "commune"),
    ],
)
def test_a_bad_filter_value_is_a_french_400(api, campaign, params, field):
    response = api.get(URL, params)

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["detail"].startswith(f"Paramètre « {field} » :")


# --- Pagination and query counts -----------------------------------------------------------


def test_it_pages_by_twenty(api, campaign):
    factories.ContributionFactory.create_batch(25, campaign=campaign)

    first = api.get(URL).json()
    second = api.get(URL, {"page": 2}).json()
    small = api.get(URL, {"page_size": 5}).json()

    assert first["count"] == 25
    assert len(first["results"]) == 20
    assert first["next"].endswith("page=2")
    assert len(second["results"]) == 5
    assert second["next"] is None
    assert len(small["results"]) == 5
    assert {row["id"] for row in first["results"]}.isdisjoint(r["id"] for r in second["results"])


def test_a_page_past_the_end_is_a_french_404(api, campaign):
    response = api.get(URL, {"page": 99})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("rows", [5, 50])
def test_the_list_costs_the_same_queries_for_5_or_50_rows(
    api_as, campaign, commune, theme, resident, django_assert_num_queries, rows
):
    for contribution in factories.ContributionFactory.create_batch(
        rows, campaign=campaign, theme=theme, commune=commune
    ):
        contribution.supports.create(user=resident)
        factories.CommentFactory(contribution=contribution)
        factories.OfficialAnswerFactory(contribution=contribution)
    client = api_as(resident)

    # 1 count for the paginator, 1 page of contributions with authors, themes, communes,
    # areas, answers, campaigns and both counts as subqueries.
    with django_assert_num_queries(2):
        response = client.get(URL, {"campaign": campaign.slug, "page_size": 100})

    assert len(response.json()["results"]) == rows


# --- Writing -------------------------------------------------------------------------------


def test_a_resident_submits_a_contribution(api_as, campaign, resident, theme, commune):
    payload = _new(campaign, theme=theme.slug, commune=commune.insee_code)

    response = api_as(resident).post(URL, payload, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["author"] == "Camille"
    assert body["theme"]["slug"] == theme.slug
    assert body["commune"]["insee_code"] == "62588"
    assert body["visibility"] == "published"
    assert body["supports_count"] == 0
    assert Follow.objects.filter(user=resident, contribution_id=body["id"]).exists()


def test_in_pre_moderation_a_new_contribution_waits(api, api_as, campaign, resident):
    Campaign.objects.filter(pk=campaign.pk).update(moderation_mode=Campaign.ModerationMode.PRE)

    response = api_as(resident).post(URL, _new(campaign), format="json")

    assert response.status_code == 201
    assert response.json()["visibility"] == "pending"
    assert api.get(URL).json()["count"] == 0


def test_html_is_stored_and_returned_as_plain_text(api_as, campaign, resident):
    script = "<script>alert('crue')</script> Il faut des bassins de rétention."

    response = api_as(resident).post(URL, _new(campaign, body=script), format="json")

    assert response.status_code == 201
    assert response.json()["body"] == script
    assert Contribution.objects.get().body == script
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"title": ""}, "title", "Titre :"),
        ({"title": "   "}, "title", "Titre :"),
        ({"title": "x" * 151}, "title", "150"),
        ({"body": "y" * 5001}, "body", "5000"),
        ({"body": "court"}, "body", "15 caractères au minimum"),
        ({"title": 12345}, "title", "Un texte est attendu"),
        ({"body": ["une", "liste"]}, "body", "Un texte est attendu"),
        ({"kind": "debate"}, "kind", "Type de contribution :"),
        ({"kind": None}, "kind", "Type de contribution :"),
        ({"theme": "inconnu"}, "theme", "n'est pas un thème de cette campagne"),
        ({"commune": "99999"}, "commune", "aucune commune"),
        ({"commune": "abc"}, "commune", "Code INSEE invalide"),
        ({"campaign": "nulle-part"}, "campaign", "est inconnue"),
    ],
)
def test_it_refuses_bad_input_in_french_and_writes_nothing(
    api_as, campaign, resident, changes, field, words
):
    response = api_as(resident).post(URL, _new(campaign, **changes), format="json")

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert words in response.json()["detail"]
    assert not Contribution.objects.exists()


def test_it_refuses_a_missing_field(api_as, campaign, resident):
    payload = _new(campaign)
    del payload["title"]

    response = api_as(resident).post(URL, payload, format="json")

    assert response.status_code == 400
    assert response.json()["detail"] == "Titre : Ce champ est obligatoire."


def test_it_refuses_a_theme_of_another_campaign(api_as, campaign, other_campaign, resident):
    foreign = factories.ThemeFactory(campaign=other_campaign, slug="agriculture")

    response = api_as(resident).post(URL, _new(campaign, theme=foreign.slug), format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Thème : « agriculture » n'est pas un thème de cette campagne.",
        "code": "foreign_theme",
        "field": "theme",
    }
    assert not Contribution.objects.exists()


def test_it_refuses_a_commune_outside_the_campaign_territory(api_as, campaign, resident, commune):
    campaign.areas.add(factories.AreaFactory(slug="aa", name="Bassin de l'Aa"))

    response = api_as(resident).post(URL, _new(campaign, commune="62588"), format="json")

    assert response.status_code == 400
    assert "territoire de la campagne" in response.json()["detail"]
    assert not Contribution.objects.exists()


def test_a_draft_campaign_is_unknown_to_residents(api_as, campaign, resident):
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)

    response = api_as(resident).post(URL, _new(campaign), format="json")

    assert response.status_code == 400
    assert response.json()["field"] == "campaign"


def test_it_refuses_contributions_once_the_phase_is_over(api_as, campaign, resident):
    close_phases(campaign)

    response = api_as(resident).post(URL, _new(campaign), format="json")

    assert response.status_code == 403
    assert "phase en cours" in response.json()["detail"]
    assert not Contribution.objects.exists()


def test_anonymous_visitors_must_log_in(api, campaign):
    response = api.post(URL, _new(campaign), format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert "Connectez-vous" in response.json()["detail"]
    assert not Contribution.objects.exists()


def test_a_malformed_json_body_is_a_french_400(api_as, campaign, resident):
    response = api_as(resident).post(URL, data='{"title": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Le corps de la requête n'est pas un JSON valide.",
        "code": "parse_error",
    }
    assert not Contribution.objects.exists()


def test_a_json_list_instead_of_an_object_is_a_french_400(api_as, resident):
    response = api_as(resident).post(URL, data="[1, 2]", content_type="application/json")

    assert response.status_code == 400
    assert "dictionnaire" in response.json()["detail"]


def test_it_refuses_too_many_contributions_with_429(
    api_as, campaign, resident, settings, django_capture_on_commit_callbacks
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "contribution": "2/h"}
    client = api_as(resident)
    statuses = []
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):  # counted once written
            statuses.append(client.post(URL, _new(campaign), format="json").status_code)

    assert statuses == [201, 201, 429]
    assert Contribution.objects.count() == 2


def test_answers_cannot_be_written_through_contribution_fields(api_as, campaign, resident):
    payload = _new(campaign, answer={"status": "accepted", "body": "Oui"}, visibility="published")

    response = api_as(resident).post(URL, payload, format="json")

    assert response.status_code == 201
    assert response.json()["answer"] is None
    assert not OfficialAnswer.objects.exists()


def test_an_unlisted_campaign_shows_only_when_named(
    api, campaign, proposal, statement, workshop, theme
):
    Campaign.objects.filter(pk=campaign.pk).update(visibility=Campaign.Visibility.UNLISTED)

    assert api.get(URL).json()["count"] == 0
    assert _titles(api.get(URL, {"campaign": campaign.slug})) == [proposal.title]
    assert api.get(f"{URL}{proposal.pk}/").status_code == 200
    for url in ["/api/v1/statements/", "/api/v1/workshops/", "/api/v1/themes/"]:
        assert api.get(url).json()["count"] == 0, url
        assert api.get(url, {"campaign": campaign.slug}).json()["count"] == 1, url
