"""Workshops of a campaign: dates, places left, registration and waiting list."""

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from consultation.actions.workshops import cancel_registration, register
from consultation.errors import ActionRefused
from consultation.models import Registration, Workshop
from frontend.views._common import (
    breadcrumb,
    get_campaign,
    login_required_redirect,
    may,
    refusal_to_message,
    run_action,
)

Status = Registration.Status


def _workshops(campaign):
    return (
        Workshop.objects.filter(campaign=campaign)
        .select_related("commune")
        .with_registration_counts()
        .order_by("starts_at", "id")
    )


def _annotate_for(user, workshops: list[Workshop]) -> None:
    """Places left, and the person's registration with their waiting-list position."""
    mine = {}
    if user.is_authenticated:
        mine = {
            r.workshop_id: r
            for r in Registration.objects.filter(
                user=user, workshop__in=[w.pk for w in workshops]
            ).exclude(status=Status.CANCELLED)
        }
    for workshop in workshops:
        workshop.places_left = max(workshop.capacity - workshop.confirmed_count, 0)
        workshop.my_registration = mine.get(workshop.pk)
        registration = workshop.my_registration
        if registration and registration.status == Status.WAITING:
            # Position among the people waiting, first come first served.
            when = registration.created_at
            ahead = workshop.registrations.filter(
                Q(created_at__lt=when) | Q(created_at=when, id__lt=registration.pk),
                status=Status.WAITING,
            )
            registration.position = ahead.count() + 1


@require_GET
def workshop_list(request, slug: str):
    campaign = get_campaign(request, slug)
    workshops = list(_workshops(campaign))
    _annotate_for(request.user, workshops)
    return render(
        request,
        "frontend/workshops.html",
        {
            "campaign": campaign,
            "workshops": workshops,
            "breadcrumb_data": breadcrumb(_("Ateliers"), campaign=campaign),
        },
    )


@require_GET
def workshop_detail(request, slug: str, pk: int):
    campaign = get_campaign(request, slug)
    workshop = get_object_or_404(_workshops(campaign), pk=pk)
    workshop.campaign = campaign
    _annotate_for(request.user, [workshop])
    context = {
        "campaign": campaign,
        "workshop": workshop,
        "breadcrumb_data": breadcrumb(
            workshop.title,
            campaign=campaign,
            links=[(reverse("frontend:workshops", kwargs={"slug": slug}), _("Ateliers"))],
        ),
        "can_register": may(request.user, "register_workshop", workshop),
    }
    return render(request, "frontend/workshop.html", context)


def _workshop_for_action(request, slug: str, pk: int) -> Workshop:
    campaign = get_campaign(request, slug)
    workshop = get_object_or_404(Workshop.objects.filter(campaign=campaign), pk=pk)
    workshop.campaign = campaign
    return workshop


@require_POST
def workshop_register(request, slug: str, pk: int):
    workshop = _workshop_for_action(request, slug, pk)
    page = workshop.get_absolute_url()
    if (response := login_required_redirect(request, page)) is not None:
        return response
    registration = run_action(request, register, request.user, workshop)
    if registration is not None:
        if registration.status == Status.WAITING:
            messages.info(
                request,
                _(
                    "L'atelier est complet : vous êtes sur la liste d'attente. Vous recevrez un "
                    "courriel si une place se libère."
                ),
            )
        else:
            messages.success(request, _("Votre inscription est confirmée."))
    return redirect(page + "#inscription")


@require_POST
def workshop_cancel(request, slug: str, pk: int):
    workshop = _workshop_for_action(request, slug, pk)
    page = workshop.get_absolute_url()
    if (response := login_required_redirect(request, page)) is not None:
        return response
    try:
        cancelled = cancel_registration(request.user, workshop)
    except ActionRefused as refusal:
        refusal_to_message(request, refusal)
    else:
        if cancelled is None:
            messages.info(request, _("Vous n'étiez pas inscrit·e à cet atelier."))
        else:
            messages.success(request, _("Votre inscription est annulée."))
    return redirect(page + "#inscription")
