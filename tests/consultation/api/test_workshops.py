from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from consultation.models import Campaign, Registration
from tests import factories

URL = "/api/v1/workshops/"


def _registration(workshop):
    return f"{URL}{workshop.pk}/registration/"


def test_it_lists_workshops_with_places_and_my_registration(api_as, workshop, resident):
    workshop.registrations.create(user=factories.UserFactory(), status="confirmed")
    workshop.registrations.create(user=resident, status="confirmed")
    workshop.registrations.create(user=factories.UserFactory(), status="waiting")
    workshop.registrations.create(user=factories.UserFactory(), status="cancelled")

    (row,) = api_as(resident).get(URL, {"campaign": workshop.campaign.slug}).json()["results"]

    assert row["confirmed_count"] == 2
    assert row["waiting_count"] == 1
    assert row["places_left"] == 0
    assert row["my_registration"] == "confirmed"
    assert row["commune"] == {"insee_code": "62588", "name": "Montreuil-sur-Mer"}


def test_anonymous_visitors_have_no_registration(api, workshop):
    assert api.get(f"{URL}{workshop.pk}/").json()["my_registration"] is None


def test_the_campaign_filter_keeps_other_campaigns_out(api, workshop, other_campaign, commune):
    factories.WorkshopFactory(campaign=other_campaign, commune=commune, title="Atelier d'Arras")

    rows = api.get(URL, {"campaign": other_campaign.slug}).json()["results"]

    assert [row["title"] for row in rows] == ["Atelier d'Arras"]


def test_registering_gives_a_place_then_the_waiting_list(api_as, workshop, resident):
    workshop.registrations.create(user=factories.UserFactory(), status="confirmed")
    first = api_as(resident).post(_registration(workshop))
    late = api_as(factories.UserFactory()).post(_registration(workshop))

    assert first.status_code == 201
    assert first.json()["status"] == "confirmed"
    assert first.json()["workshop"]["places_left"] == 0
    assert first.json()["workshop"]["my_registration"] == "confirmed"
    assert late.status_code == 201
    assert late.json()["status"] == "waiting"
    assert late.json()["workshop"]["waiting_count"] == 1


def test_registering_twice_is_200_with_the_same_place(api_as, workshop, resident):
    client = api_as(resident)
    client.post(_registration(workshop))

    again = client.post(_registration(workshop))

    assert again.status_code == 200
    assert again.json()["status"] == "confirmed"
    assert Registration.objects.filter(user=resident).count() == 1


def test_cancelling_frees_the_place_for_the_first_waiting(
    api_as, workshop, resident, django_capture_on_commit_callbacks
):
    workshop.registrations.create(user=factories.UserFactory(), status="confirmed")
    api_as(resident).post(_registration(workshop))
    waiting = factories.UserFactory(email="en-attente@exemple.fr")
    api_as(waiting).post(_registration(workshop))

    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(resident).delete(_registration(workshop))

    assert response.status_code == 204
    assert Registration.objects.get(user=waiting).status == "confirmed"
    assert Registration.objects.get(user=resident).status == "cancelled"
    assert [message.to for message in mail.outbox] == [["en-attente@exemple.fr"]]


def test_a_full_workshop_without_waiting_list_refuses_in_french(api_as, workshop, resident):
    workshop.waiting_list = False
    workshop.save()
    for _ in range(2):
        workshop.registrations.create(user=factories.UserFactory(), status="confirmed")

    response = api_as(resident).post(_registration(workshop))

    assert response.status_code == 400
    assert response.json() == {"detail": "Cet atelier est complet.", "code": "full"}
    assert not Registration.objects.filter(user=resident).exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"registrations_open": False},
        {
            "starts_at": timezone.now() - timedelta(days=2),
            "ends_at": timezone.now() - timedelta(days=2) + timedelta(hours=3),
        },
    ],
)
def test_closed_or_past_workshops_refuse_registrations(api_as, workshop, resident, changes):
    for name, value in changes.items():
        setattr(workshop, name, value)
    workshop.save()

    response = api_as(resident).post(_registration(workshop))

    assert response.status_code == 403
    assert response.json()["detail"] == "Les inscriptions à cet atelier sont fermées."
    assert not Registration.objects.exists()
    assert api_as(resident).get(f"{URL}{workshop.pk}/").json()["takes_registrations"] is False


def test_anonymous_registrations_are_401(api, workshop):
    assert api.post(_registration(workshop)).status_code == 401
    assert api.delete(_registration(workshop)).status_code == 401
    assert not Registration.objects.exists()


def test_workshops_of_a_draft_campaign_are_404(api_as, campaign, workshop, resident):
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)

    assert api_as(resident).get(URL).json()["count"] == 0
    assert api_as(resident).post(_registration(workshop)).status_code == 404
    assert api_as(resident).post(f"{URL}999999/registration/").status_code == 404
    assert not Registration.objects.exists()


@pytest.mark.parametrize("rows", [5, 50])
def test_the_list_costs_the_same_queries_for_5_or_50_rows(
    api_as, campaign, commune, resident, django_assert_num_queries, rows
):
    workshops = factories.WorkshopFactory.create_batch(rows, campaign=campaign, commune=commune)
    for workshop in workshops:
        workshop.registrations.create(user=resident, status="waiting")
    client = api_as(resident)

    # 1 count for the paginator, 1 page with campaigns, communes, counts and my registration.
    with django_assert_num_queries(2):
        response = client.get(URL, {"campaign": campaign.slug, "page_size": 100})

    assert len(response.json()["results"]) == rows
