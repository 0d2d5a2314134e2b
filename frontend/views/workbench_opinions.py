"""The moderators' opinion-groups dashboard: figures of the latest computation (or of a kept
one, ?calcul=ID), the map of participants and groups with its table, each group's
representative statements, the consensus, the statements people pass on, the silhouettes per
number of groups tried; « Recalculer maintenant » for moderators, publication and withdrawal
for organisers (POST forms, no script needed).

With JavaScript (frontend/static/frontend/js/opinions.js), the page keeps a websocket to
realtime.dashboards and fetches its fragment (`dashboard_content`) again when a computation
is stored, published or withdrawn. Moderators see every statement, hidden or pending ones
marked as such; the public results page never shows them."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from consultation.actions.opinions import (
    publish_opinion_groups,
    request_recomputation,
    unpublish_opinion_groups,
)
from consultation.errors import ActionRefused
from consultation.models import Campaign, OpinionGroups
from frontend.views import opinions
from frontend.views._common import refusal_to_message, run_action
from frontend.views.workbench import workbench_breadcrumb, workbench_context, workbench_page

COMPUTATION = "calcul"  # ?calcul=ID shows a kept computation instead of the latest


def dashboard_url(campaign: Campaign, computation: int | None = None) -> str:
    url = reverse("frontend:workbench_opinions", kwargs={"slug": campaign.slug})
    return f"{url}?{COMPUTATION}={computation}" if computation else url


def moderation_url(campaign: Campaign, statement: opinions.StatementLine) -> str:
    """The moderation queue, filtered down to this statement (no page of its own)."""
    query = urlencode({"kind": "statement", "q": " ".join(statement.text.split()[:10])})
    queue = reverse("frontend:moderation", kwargs={"slug": campaign.slug})
    return f"{queue}?{query}#file-statement-{statement.id}"


def _chosen_pk(request) -> int | None:
    """The computation asked for in the address; 404 for anything but a plain number."""
    value = request.GET.get(COMPUTATION)
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 18:
        raise Http404(_("Calcul introuvable."))
    return int(value)


def dashboard_context(request, campaign: Campaign) -> dict:
    kept = list(
        OpinionGroups.objects.filter(campaign=campaign)
        .select_related("published_by")
        .defer("result")
        .order_by("-computed_at", "-id")
    )
    wanted = _chosen_pk(request)
    if wanted is not None and wanted not in {c.pk for c in kept}:
        raise Http404(_("Calcul introuvable : seuls les plus récents et celui publié sont gardés."))
    chosen_pk = wanted or (kept[0].pk if kept else None)
    computation = OpinionGroups.objects.get(pk=chosen_pk) if chosen_pk else None
    context = workbench_context(
        campaign,
        "opinions",
        kept=kept,
        computation=computation,
        latest=kept[0] if kept else None,
        following_latest=wanted is None,
        published=next((c for c in kept if c.published_at), None),
        can_publish=request.user.has_perm("consultation.publish_opinion_groups", campaign),
        breadcrumb_data=workbench_breadcrumb(campaign, _("Groupes d'opinion")),
    )
    if computation is not None:
        context.update(_computation_context(campaign, computation))
    return context


def _computation_context(campaign: Campaign, computation: OpinionGroups) -> dict:
    result = computation.result
    statements = opinions.load_statements(campaign, result, public=False)
    for line in statements.values():
        line.moderation_url = moderation_url(campaign, line)
    return {
        "opinion_map": opinions.opinion_map(result),
        "groups": opinions.group_views(result, statements),
        "unclustered": opinions.unclustered_count(computation),
        "consensus_agree": opinions.consensus_lines(result, statements, "agree"),
        "consensus_disagree": opinions.consensus_lines(result, statements, "disagree"),
        "uncertain": opinions.uncertain_lines(result, statements),
        "silhouettes": opinions.silhouettes(result, computation.groups_count),
        "base_clusters": result.get("base_clusters", 0),
    }


@require_GET
@workbench_page
def dashboard(request, campaign):
    context = dashboard_context(request, campaign)
    return render(request, "frontend/workbench/opinions.html", context)


@require_GET
@workbench_page
def dashboard_content(request, campaign):
    """The part of the page the script swaps in when a computation arrives."""
    context = dashboard_context(request, campaign)
    return render(request, "frontend/workbench/opinions_content.html", context)


@require_POST
@workbench_page
def recompute(request, campaign):
    try:
        stored = request_recomputation(request.user, campaign)
    except ActionRefused as refusal:
        refusal_to_message(request, refusal)
        return redirect(dashboard_url(campaign))
    if stored is None:
        messages.info(
            request,
            _("Calcul demandé : cette page se mettra à jour dès qu'il sera terminé."),
        )
    else:
        messages.success(
            request,
            ngettext(
                "Groupes d'opinion recalculés : %(count)s groupe, %(clustered)s personnes "
                "classées sur %(participants)s.",
                "Groupes d'opinion recalculés : %(count)s groupes, %(clustered)s personnes "
                "classées sur %(participants)s.",
                stored.groups_count,
            )
            % {
                "count": stored.groups_count,
                "clustered": stored.clustered_count,
                "participants": stored.participants_count,
            },
        )
    return redirect(dashboard_url(campaign))


def _computation(campaign: Campaign, pk: int) -> OpinionGroups:
    computation = get_object_or_404(OpinionGroups.objects.defer("result"), pk=pk, campaign=campaign)
    computation.campaign = campaign  # the permission checks read its roles
    return computation


@require_POST
@workbench_page
def publish(request, campaign, pk: int):
    computation = _computation(campaign, pk)
    done = _(
        "Ces groupes d'opinion sont publiés : la page des résultats les montre à la place des "
        "précédents."
    )
    run_action(request, publish_opinion_groups, request.user, computation, success=done)
    return redirect(dashboard_url(campaign, pk))


@require_POST
@workbench_page
def unpublish(request, campaign, pk: int):
    computation = _computation(campaign, pk)
    done = _("La publication est retirée : la page des résultats ne montre plus de groupes.")
    run_action(request, unpublish_opinion_groups, request.user, computation, success=done)
    return redirect(dashboard_url(campaign, pk))
