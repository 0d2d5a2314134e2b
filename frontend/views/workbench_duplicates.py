"""Duplicates: the suggested pairs, merging one contribution into another, and the merges done
(each of which can be undone)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from consultation.actions.merges import duplicate_suggestions, merge_contributions, undo_merge
from consultation.errors import ActionRefused
from consultation.models import Campaign, Contribution, Merge
from frontend.forms_workbench import MergeForm
from frontend.views._common import refusal_to_form, run_action
from frontend.views.workbench import workbench_breadcrumb, workbench_context, workbench_page

SUGGESTIONS_SHOWN = 50
MERGES_PER_PAGE = 20


def duplicates_url(campaign: Campaign) -> str:
    return reverse("frontend:workbench_duplicates", kwargs={"slug": campaign.slug})


def _suggested_pairs(campaign: Campaign) -> list[dict]:
    suggestions = duplicate_suggestions(campaign, limit=SUGGESTIONS_SHOWN)
    ids = {c.pk for s in suggestions for c in (s.first, s.second)}
    # One query for the counts of every contribution shown (the suggestions load texts only).
    counts = {
        row.pk: row
        for row in Contribution.objects.filter(pk__in=ids)
        .with_counts()
        .only("pk", "kind", "campaign_id")
    }
    return [
        {
            "first": s.first,
            "second": s.second,
            "percent": round(s.score * 100),
            "first_counts": counts[s.first.pk],
            "second_counts": counts[s.second.pk],
        }
        for s in suggestions
    ]


def _render(request, campaign, form, status=200):
    merges = (
        Merge.objects.filter(campaign=campaign)
        .select_related("result", "merged", "moderator", "undone_by")
        .order_by("-created_at", "-pk")
    )
    page_obj = Paginator(merges, MERGES_PER_PAGE).get_page(request.GET.get("page"))
    context = workbench_context(
        campaign,
        "duplicates",
        pairs=_suggested_pairs(campaign),
        form=form,
        page_obj=page_obj,
        breadcrumb_data=workbench_breadcrumb(campaign, _("Doublons")),
    )
    return render(request, "frontend/workbench/duplicates.html", context, status=status)


@require_GET
@workbench_page
def duplicates(request, campaign):
    return _render(request, campaign, MergeForm(campaign=campaign))


def _merge_data(post):
    """A suggested pair's two buttons say which of the pair is kept; the form typed by hand
    names both contributions itself."""
    keep = post.get("keep")
    if keep not in ("first", "second"):
        return post
    data = post.copy()
    other = "second" if keep == "first" else "first"
    data["result"], data["merged"] = post.get(keep, ""), post.get(other, "")
    return data


def _merged_message(merged: Merge) -> str:
    added = len(merged.added_supports)
    supports = ngettext("%(count)s soutien ajouté.", "%(count)s soutiens ajoutés.", added) % {
        "count": added
    }
    return _("« %(merged)s » est fusionnée dans « %(result)s » : %(supports)s") % {
        "merged": merged.merged.title,
        "result": merged.result.title,
        "supports": supports,
    }


@require_POST
@workbench_page
def merge(request, campaign):
    from_pair = request.POST.get("keep") in ("first", "second")
    form = MergeForm(_merge_data(request.POST), campaign=campaign)
    if form.is_valid():
        try:
            (done,) = merge_contributions(
                request.user,
                campaign,
                result=form.cleaned_data["result"],
                merged=[form.cleaned_data["merged"]],
                note=form.cleaned_data["note"],
            )
        except ActionRefused as refusal:
            refusal_to_form(form, refusal)
        else:
            messages.success(request, _merged_message(done))
            return redirect(duplicates_url(campaign) + "#fusions")
    if from_pair:
        # The pair's buttons carry no field to show an error on: say it at the top.
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(duplicates_url(campaign))
    return _render(request, campaign, form, status=400)


@require_POST
@workbench_page
def unmerge(request, campaign, pk: int):
    done = get_object_or_404(
        Merge.objects.select_related("campaign", "merged", "result"), pk=pk, campaign=campaign
    )
    text = _("La fusion est annulée : « %(merged)s » est de nouveau une contribution à part.")
    run_action(
        request, undo_merge, request.user, done, success=text % {"merged": done.merged.title}
    )
    return redirect(duplicates_url(campaign) + "#fusions")
