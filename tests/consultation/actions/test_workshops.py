import pytest
from django.core import mail

from consultation.actions.workshops import cancel_registration, register
from consultation.errors import ActionRefused, PermissionRefused
from consultation.models import Registration
from tests import factories

Status = Registration.Status


def test_places_then_waiting_list_then_promotion(workshop, django_capture_on_commit_callbacks):
    first, second, third = (factories.UserFactory() for _ in range(3))
    assert register(first, workshop).status == Status.CONFIRMED
    assert register(second, workshop).status == Status.CONFIRMED
    assert register(third, workshop).status == Status.WAITING

    with django_capture_on_commit_callbacks(execute=True):
        cancel_registration(first, workshop)

    assert Registration.objects.get(user=third).status == Status.CONFIRMED
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [third.email]
    assert "Une place s'est libérée" in mail.outbox[0].subject


def test_registering_twice_keeps_one_registration(resident, workshop):
    register(resident, workshop)
    register(resident, workshop)
    assert Registration.objects.filter(user=resident).count() == 1


def test_a_cancelled_person_can_register_again(resident, workshop):
    register(resident, workshop)
    cancel_registration(resident, workshop)
    assert register(resident, workshop).status == Status.CONFIRMED
    assert Registration.objects.filter(user=resident).count() == 1


def test_a_full_workshop_without_waiting_list_refuses(workshop):
    workshop.waiting_list = False
    workshop.capacity = 1
    workshop.save()
    register(factories.UserFactory(), workshop)
    with pytest.raises(ActionRefused, match="complet"):
        register(factories.UserFactory(), workshop)


def test_cancelling_a_waiting_place_promotes_nobody(workshop):
    a, b, c = (factories.UserFactory() for _ in range(3))
    for person in (a, b, c):
        register(person, workshop)
    cancel_registration(c, workshop)
    assert list(
        workshop.registrations.filter(status=Status.CONFIRMED).values_list("user", flat=True)
    ) == [a.pk, b.pk]
    assert not mail.outbox


def test_closed_registrations_are_refused(resident, workshop):
    workshop.registrations_open = False
    workshop.save()
    with pytest.raises(PermissionRefused, match="inscriptions à cet atelier sont fermées"):
        register(resident, workshop)
