"""Legal pages every public French website must have (RGAA, RGPD, LCEN)."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET

from consultation.models import Campaign


def contact_email() -> str:
    return getattr(settings, "CONTACT_EMAIL", settings.DEFAULT_FROM_EMAIL)


@require_GET
def accessibility(request):
    context = {"contact_email": contact_email()}
    return render(request, "frontend/legal/accessibility.html", context)


@require_GET
def legal_notice(request):
    # Who hosts the platform depends on the administration that deploys it.
    context = {"hosting": getattr(settings, "LEGAL_HOSTING", ""), "contact_email": contact_email()}
    return render(request, "frontend/legal/legal_notice.html", context)


@require_GET
def personal_data(request):
    context = {
        "dpo_contact": getattr(settings, "DPO_CONTACT", ""),
        "contact_email": contact_email(),
    }
    return render(request, "frontend/legal/personal_data.html", context)


@require_GET
def sitemap(request):
    campaigns = Campaign.objects.public().only("slug", "title")
    return render(request, "frontend/legal/sitemap.html", {"campaigns": campaigns})
