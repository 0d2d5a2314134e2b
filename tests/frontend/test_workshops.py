"""Workshop pages: places left, registration, waiting list with its position, cancellation."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from consultation.models import Registration
from tests import factories

pytestmark = pytest.mark.django_db

LOGIN = "/compte/connexion/"


def url(workshop, name="workshop"):
    return reverse(f"frontend:{name}", kwargs={"slug": workshop.campaign.slug, "pk": workshop.pk})


def test_the_list_shows_date_place_audience_and_places_left(client, workshop):
    response = client.get(reverse("frontend:workshops", kwargs={"slug": workshop.campaign.slug}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Atelier du bassin de la Canche" in page
    assert "Salle des fêtes" in page
    assert "Montreuil-sur-Mer" in page
    assert "Tout public" in page
    assert "2 places restantes sur 2" in page


def test_the_workshop_page_renders(client, workshop):
    response = client.get(url(workshop))
    assert response.status_code == 200
    assert "M'inscrire" in response.content.decode()


def test_a_resident_registers(client, resident, workshop):
    client.force_login(resident)
    response = client.post(url(workshop, "workshop_register"), follow=True)
    assert Registration.objects.get(user=resident).status == Registration.Status.CONFIRMED
    page = response.content.decode()
    assert "Votre inscription est confirmée." in page
    assert "Vous êtes inscrit·e" in page
    assert "1 place restante sur 2" in page


def test_a_full_workshop_puts_people_on_the_waiting_list_with_their_position(
    client, workshop, resident
):
    statuses = [Registration.Status.CONFIRMED] * 2 + [Registration.Status.WAITING]
    for status in statuses:
        Registration.objects.create(workshop=workshop, user=factories.UserFactory(), status=status)
    client.force_login(resident)
    response = client.post(url(workshop, "workshop_register"), follow=True)
    assert Registration.objects.get(user=resident).status == Registration.Status.WAITING
    page = response.content.decode()
    assert "vous êtes sur la liste d&#x27;attente" in page
    assert "Liste d'attente, position 2" in page


def test_cancelling_promotes_the_first_person_waiting(client, resident, other_resident, workshop):
    workshop.capacity = 1
    workshop.save()
    client.force_login(resident)
    client.post(url(workshop, "workshop_register"))
    client.force_login(other_resident)
    client.post(url(workshop, "workshop_register"))
    assert Registration.objects.get(user=other_resident).status == Registration.Status.WAITING
    client.force_login(resident)
    response = client.post(url(workshop, "workshop_cancel"), follow=True)
    assert "Votre inscription est annulée." in response.content.decode()
    assert Registration.objects.get(user=resident).status == Registration.Status.CANCELLED
    assert Registration.objects.get(user=other_resident).status == Registration.Status.CONFIRMED


def test_anonymous_visitors_are_sent_to_log_in_to_register(client, workshop):
    response = client.post(url(workshop, "workshop_register"))
    assert response["Location"] == f"{LOGIN}?next={url(workshop)}"
    assert not Registration.objects.exists()


def test_registration_is_refused_once_the_workshop_has_started(client, resident, workshop):
    workshop.starts_at = timezone.now() - timedelta(hours=1)
    workshop.save()
    client.force_login(resident)
    response = client.post(url(workshop, "workshop_register"), follow=True)
    assert "Les inscriptions à cet atelier sont fermées." in response.content.decode()
    assert not Registration.objects.exists()


def test_a_workshop_of_another_campaign_is_not_found_here(client, resident, campaign):
    elsewhere = factories.WorkshopFactory()
    client.force_login(resident)
    wrong = reverse(
        "frontend:workshop_register", kwargs={"slug": campaign.slug, "pk": elsewhere.pk}
    )
    assert client.post(wrong).status_code == 404
    assert not Registration.objects.exists()


def test_the_workshop_list_query_count_does_not_grow(
    client, resident, campaign, commune, django_assert_max_num_queries
):
    for n in range(10):
        factories.WorkshopFactory(campaign=campaign, commune=commune, title=f"Atelier {n}")
    client.force_login(resident)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("frontend:workshops", kwargs={"slug": campaign.slug}))
    assert len(response.context["workshops"]) == 10
