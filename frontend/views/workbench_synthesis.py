"""The synthesis editor: sections, the text of each with its citations, kept versions, a line
diff between versions, and publication (the organisers' deliberate act)."""

import difflib
from dataclasses import asdict

from django.contrib import messages
from django.db.models import Count
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from consultation.actions.synthesis import (
    create_section,
    draft_from_data,
    publish_version,
    save_version,
    unpublish_section,
)
from consultation.errors import ActionRefused
from consultation.models import Campaign, Contribution, SynthesisSection, SynthesisVersion
from consultation.models.contributions import Visibility
from consultation.synthesis import check_citations
from consultation.synthesis import render as render_synthesis
from consultation.text import clean_plain_text
from frontend.forms_workbench import SectionForm, SynthesisTextForm
from frontend.views._common import apply_form, refusal_to_form, run_action
from frontend.views.workbench import workbench_breadcrumb, workbench_context, workbench_page

SOURCES_SHOWN = 100
DRAFT = "donnees"  # ?brouillon=donnees: the editor starts from draft_from_data


def synthesis_url(campaign: Campaign) -> str:
    return reverse("frontend:workbench_synthesis", kwargs={"slug": campaign.slug})


def section_url(section: SynthesisSection, campaign: Campaign) -> str:
    return reverse("frontend:workbench_section", kwargs={"slug": campaign.slug, "pk": section.pk})


def safe_render(body: str, citations: list[dict]):
    # consultation.synthesis.render escapes the text and passes the HTML through nh3: it is the
    # only HTML of these pages that is not escaped by the template.
    return mark_safe(render_synthesis(body, citations))  # noqa: S308


# --- the list of sections --------------------------------------------------------------------


@workbench_page
def section_list(request, campaign):
    form = SectionForm(request.POST if request.method == "POST" else None, campaign=campaign)
    status = 200
    if request.method == "POST":
        created = apply_form(form, create_section, request.user, campaign)
        if created is not None:
            messages.success(
                request, _("La partie « %(title)s » est créée.") % {"title": created.title}
            )
            return redirect(section_url(created, campaign))
        status = 400
    sections = (
        SynthesisSection.objects.filter(campaign=campaign)
        .select_related("topic", "published_version")
        .annotate(versions_n=Count("versions"))
        .order_by("position", "pk")
    )
    context = workbench_context(
        campaign,
        "synthesis",
        sections=sections,
        form=form,
        breadcrumb_data=workbench_breadcrumb(campaign, _("Synthèse")),
    )
    return render(request, "frontend/workbench/synthesis.html", context, status=status)


# --- one section: the editor -----------------------------------------------------------------


def _get_section(campaign: Campaign, pk: int) -> SynthesisSection:
    section = get_object_or_404(
        SynthesisSection.objects.select_related("topic", "published_version__author"),
        pk=pk,
        campaign=campaign,
    )
    section.campaign = campaign  # the actions' permission checks read its roles
    return section


def _sources(campaign: Campaign, section: SynthesisSection):
    """The contributions a moderator may cite here, most supported first, with their [#id]."""
    rows = Contribution.objects.filter(
        campaign=campaign, visibility=Visibility.PUBLISHED, merged_into__isnull=True
    )
    if section.topic_id:
        rows = rows.filter(topic=section.topic_id)
    return (
        rows.with_counts()
        .only("pk", "title", "campaign_id")
        .order_by("-supports_count", "pk")[:SOURCES_SHOWN]
    )


def line_diff(before: str, after: str) -> list[tuple[str, str]]:
    """The lines that changed, with a little context: ("added" | "removed" | "same", line)."""
    kinds = {"+": "added", "-": "removed", " ": "same"}
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), n=1, lineterm="")
    return [
        (kinds[line[0]], line[1:])
        for line in lines
        if line[:1] in kinds and not line.startswith(("+++", "---"))
    ]


def _number(value) -> int | None:
    return int(value) if value and str(value).isdigit() and len(str(value)) < 10 else None


def _shown_versions(section, versions, query):
    """The version to show (?version=N, else the latest) and the one to compare (?comparer=N
    against N - 1); a number that does not exist shows nothing rather than an error."""
    by_number = {v.number: v for v in versions}
    wanted = _number(query.get("version"))
    shown = by_number.get(wanted) if wanted else (versions[0] if versions else None)
    compared = by_number.get(_number(query.get("comparer")) or 0)
    previous = by_number.get(compared.number - 1) if compared else None
    latest = versions[0] if versions else None
    needed = [v.pk for v in (latest, shown, compared, previous) if v is not None]
    bodies = dict(SynthesisVersion.objects.filter(pk__in=needed).values_list("pk", "body"))
    return shown, compared, previous, bodies


def _render_section(request, campaign, section, form=None, *, preview=None, status=200):
    versions = list(section.versions.select_related("author").defer("body").order_by("-number"))
    shown, compared, previous, bodies = _shown_versions(section, versions, request.GET)
    if form is None:
        if request.GET.get("brouillon") == DRAFT:
            initial = draft_from_data(section)
        else:
            initial = bodies[versions[0].pk] if versions else ""
        form = SynthesisTextForm(initial={"body": initial})
    context = workbench_context(
        campaign,
        "synthesis",
        section=section,
        form=form,
        versions=versions,
        shown=shown,
        shown_html=shown and safe_render(bodies[shown.pk], shown.citations),
        compared=compared,
        previous=previous,
        diff=compared and previous and line_diff(bodies[previous.pk], bodies[compared.pk]),
        preview=preview,
        sources=_sources(campaign, section),
        can_publish=request.user.has_perm("consultation.manage_campaign", campaign),
        draft_requested=request.GET.get("brouillon") == DRAFT,
        breadcrumb_data=workbench_breadcrumb(
            campaign, section.title, links=[(synthesis_url(campaign), _("Synthèse"))]
        ),
    )
    return render(request, "frontend/workbench/section.html", context, status=status)


@require_GET
@workbench_page
def section_detail(request, campaign, pk: int):
    return _render_section(request, campaign, _get_section(campaign, pk))


def _kept_as_checked(form, data: QueryDict) -> None:
    """Show the text again as the checks numbered its lines (Unix newlines, no runs of blank
    lines, trimmed), so that « ligne 3 » in a refusal is the third line on screen."""
    form.data = data.copy()
    form.data["body"] = clean_plain_text(data.get("body", ""))


@require_POST
@workbench_page
def save(request, campaign, pk: int):
    section = _get_section(campaign, pk)
    form = SynthesisTextForm(request.POST)
    if not form.is_valid():
        return _render_section(request, campaign, section, form, status=400)
    body = form.cleaned_data["body"]
    try:
        if "apercu" in request.POST:
            sources = check_citations(campaign, clean_plain_text(body))
            preview = safe_render(clean_plain_text(body), [asdict(s) for s in sources])
            return _render_section(request, campaign, section, form, preview=preview)
        version = save_version(request.user, section, body)
    except ActionRefused as refusal:
        _kept_as_checked(form, request.POST)
        refusal_to_form(form, refusal)
        return _render_section(request, campaign, section, form, status=400)
    messages.success(request, _("Version %(number)s enregistrée.") % {"number": version.number})
    return redirect(f"{section_url(section, campaign)}?version={version.number}#version-affichee")


@require_POST
@workbench_page
def publish(request, campaign, pk: int, number: int):
    section = _get_section(campaign, pk)
    version = get_object_or_404(SynthesisVersion, section=section, number=number)
    version.section = section
    done = _("La version %(number)s est publiée.") % {"number": version.number}
    run_action(request, publish_version, request.user, version, success=done)
    return redirect(section_url(section, campaign))


@require_POST
@workbench_page
def unpublish(request, campaign, pk: int):
    section = _get_section(campaign, pk)
    done = _("La partie « %(title)s » n'est plus publiée.") % {"title": section.title}
    run_action(request, unpublish_section, request.user, section, success=done)
    return redirect(section_url(section, campaign))
