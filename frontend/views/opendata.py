"""A campaign's open data: the page that lists the files, and the files themselves (built by
consultation.opendata). Same visibility as the results page."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from consultation.opendata import LICENCE, RESOURCES, build_file
from frontend.views._common import breadcrumb
from frontend.views.results import get_results_campaign

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
}


@require_GET
def open_data(request: HttpRequest, slug: str):
    campaign, public = get_results_campaign(request, slug)
    context = {
        "campaign": campaign,
        "public": public,
        "resources": list(RESOURCES.values()),
        "licence": LICENCE,
        "breadcrumb_data": breadcrumb(
            _("Données ouvertes"),
            campaign=campaign,
            links=[(reverse("frontend:results", args=[campaign.slug]), _("Résultats"))],
        ),
    }
    return render(request, "frontend/results/open_data.html", context)


@require_GET
def open_data_file(request: HttpRequest, slug: str, name: str):
    campaign, _public = get_results_campaign(request, slug)
    content = build_file(campaign, name)
    if content is None:
        raise Http404("Fichier inconnu.")
    response = HttpResponse(content, content_type=CONTENT_TYPES[name.rsplit(".", 1)[-1]])
    response["Content-Disposition"] = f'inline; filename="{campaign.slug}-{name}"'
    return response
