from django.db import transaction

from consultation.errors import ActionRefused
from consultation.models import Registration, User, Workshop
from consultation.rules import check_permission
from consultation.tasks import notify_promoted_registration

Status = Registration.Status


def register(user: User, workshop: Workshop) -> Registration:
    """Take a place, or a place on the waiting list when the workshop is full.

    The workshop row is locked while places are counted, so two people never get the last
    place; registering twice returns the existing registration.
    """
    check_permission(user, "register_workshop", workshop)
    with transaction.atomic():
        locked = Workshop.objects.select_for_update().get(pk=workshop.pk)
        existing = Registration.objects.filter(workshop=locked, user=user).first()
        if existing and existing.status != Status.CANCELLED:
            return existing
        confirmed = locked.registrations.filter(status=Status.CONFIRMED).count()
        if confirmed < locked.capacity:
            status = Status.CONFIRMED
        elif locked.waiting_list:
            status = Status.WAITING
        else:
            raise ActionRefused("Cet atelier est complet.", code="full")
        if existing:
            existing.status = status
            existing.save(update_fields=["status", "updated_at"])
            return existing
        return Registration.objects.create(workshop=locked, user=user, status=status)


def cancel_registration(user: User, workshop: Workshop) -> Registration | None:
    """Give up one's place; the first person waiting gets it and is emailed after commit."""
    with transaction.atomic():
        locked = Workshop.objects.select_for_update().get(pk=workshop.pk)
        registration = (
            Registration.objects.filter(workshop=locked, user=user)
            .exclude(status=Status.CANCELLED)
            .first()
        )
        if registration is None:
            return None
        freed_a_place = registration.status == Status.CONFIRMED
        registration.status = Status.CANCELLED
        registration.save(update_fields=["status", "updated_at"])
        if freed_a_place:
            _promote_first_waiting(locked)
    return registration


def _promote_first_waiting(workshop: Workshop) -> None:
    """Call while holding the workshop's row lock."""
    waiting = workshop.registrations.filter(status=Status.WAITING).order_by("created_at", "id")
    promoted = waiting.first()
    if promoted is None:
        return
    promoted.status = Status.CONFIRMED
    promoted.save(update_fields=["status", "updated_at"])
    transaction.on_commit(lambda: notify_promoted_registration.enqueue(promoted.pk))
