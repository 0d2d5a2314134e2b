"""Automatic themes: regroup the contributions, then curate the themes (rename, move checked
contributions, split them into a new theme, merge a theme into another). The moderators' edits
survive a later regrouping (consultation/actions/topics.py)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from consultation.actions.topics import (
    merge_topics,
    move_to_topic,
    rename_topic,
    request_regroup,
    split_topic,
)
from consultation.errors import ActionRefused
from consultation.models import Campaign, Contribution, Topic
from consultation.models.contributions import Visibility
from frontend.forms_workbench import (
    MergeTopicForm,
    RegroupForm,
    TopicContributionsForm,
    TopicLabelForm,
)
from frontend.views._common import apply_form, refusal_to_form
from frontend.views.workbench import workbench_breadcrumb, workbench_context, workbench_page

CONTRIBUTIONS_PER_PAGE = 50


def themes_url(campaign: Campaign) -> str:
    return reverse("frontend:workbench_themes", kwargs={"slug": campaign.slug})


def topic_url(topic: Topic, campaign: Campaign) -> str:
    return reverse("frontend:workbench_theme", kwargs={"slug": campaign.slug, "pk": topic.pk})


def _with_typical(campaign: Campaign, topics: list[Topic]) -> list[Topic]:
    """Attach `typical_rows` to each theme: one query for every theme's typical contributions."""
    ids = {pk for topic in topics for pk in topic.typical}
    rows = Contribution.objects.filter(campaign=campaign, pk__in=ids).only("pk", "title")
    by_id = {row.pk: row for row in rows}
    for topic in topics:
        topic.typical_rows = [by_id[pk] for pk in topic.typical if pk in by_id]
    return topics


def _render_list(request, campaign, form, status=200):
    topics = list(
        Topic.objects.filter(campaign=campaign)
        .annotate(contributions_n=Count("contributions"))
        .order_by("position", "pk")
    )
    context = workbench_context(
        campaign,
        "themes",
        topics=_with_typical(campaign, topics),
        form=form,
        unplaced=Contribution.objects.filter(
            campaign=campaign, topic__isnull=True, visibility=Visibility.PUBLISHED, merged_into=None
        ).count(),
        breadcrumb_data=workbench_breadcrumb(campaign, _("Thèmes automatiques")),
    )
    return render(request, "frontend/workbench/themes.html", context, status=status)


@require_GET
@workbench_page
def topic_list(request, campaign):
    return _render_list(request, campaign, RegroupForm())


@require_POST
@workbench_page
def regroup(request, campaign):
    form = RegroupForm(request.POST)
    if not form.is_valid():
        return _render_list(request, campaign, form, status=400)
    try:
        done = request_regroup(request.user, campaign, **form.cleaned_data)
    except ActionRefused as refusal:
        refusal_to_form(form, refusal)
        return _render_list(request, campaign, form, status=400)
    if done is None:
        messages.info(
            request,
            _("Regroupement lancé : les thèmes seront à jour dans quelques instants."),
        )
        return redirect(themes_url(campaign))
    messages.success(
        request,
        ngettext(
            "%(contributions)s contributions regroupées en %(count)s thème.",
            "%(contributions)s contributions regroupées en %(count)s thèmes.",
            done.topics,
        )
        % {"contributions": done.contributions, "count": done.topics},
    )
    return redirect(themes_url(campaign))


# --- one theme -------------------------------------------------------------------------------


def _get_topic(campaign: Campaign, pk: int) -> Topic:
    topic = get_object_or_404(Topic, pk=pk, campaign=campaign)
    topic.campaign = campaign  # the actions' permission check reads its phases and roles
    return topic


def _render_topic(request, campaign, topic, status=200, **forms):
    contributions = (
        Contribution.objects.filter(topic=topic)
        .with_counts()
        .only("pk", "title", "kind", "visibility", "merged_into_id", "topic_pinned", "campaign_id")
        .order_by("pk")
    )
    page_obj = Paginator(contributions, CONTRIBUTIONS_PER_PAGE).get_page(request.GET.get("page"))
    edit_form = forms.get("edit_form") or TopicContributionsForm(topic=topic)
    context = workbench_context(
        campaign,
        "themes",
        topic=_with_typical(campaign, [topic])[0],
        page_obj=page_obj,
        rename_form=forms.get("rename_form") or TopicLabelForm(initial={"label": topic.label}),
        edit_form=edit_form,
        checked={str(v) for v in (edit_form["contributions"].value() or [])},
        merge_form=forms.get("merge_form") or MergeTopicForm(topic=topic),
        breadcrumb_data=workbench_breadcrumb(
            campaign, topic.label, links=[(themes_url(campaign), _("Thèmes automatiques"))]
        ),
    )
    return render(request, "frontend/workbench/theme.html", context, status=status)


@require_GET
@workbench_page
def topic_detail(request, campaign, pk: int):
    return _render_topic(request, campaign, _get_topic(campaign, pk))


@require_POST
@workbench_page
def rename(request, campaign, pk: int):
    topic = _get_topic(campaign, pk)
    form = TopicLabelForm(request.POST)
    if apply_form(form, rename_topic, request.user, topic) is None:
        return _render_topic(request, campaign, topic, status=400, rename_form=form)
    messages.success(
        request, _("Le thème s'appelle désormais « %(label)s ».") % {"label": topic.label}
    )
    return redirect(topic_url(topic, campaign))


def _apply_edit(user, topic: Topic, data: dict) -> str:
    """Move or split the checked contributions; the sentence that says what was done."""
    rows = list(data["contributions"])
    if data["operation"] == TopicContributionsForm.SPLIT:
        new = split_topic(user, topic, rows, data["label"])
        return ngettext(
            "%(count)s contribution placée dans le nouveau thème « %(label)s ».",
            "%(count)s contributions placées dans le nouveau thème « %(label)s ».",
            len(rows),
        ) % {"count": len(rows), "label": new.label}
    moved = move_to_topic(user, rows, data["target"])
    return ngettext(
        "%(count)s contribution déplacée vers « %(label)s ».",
        "%(count)s contributions déplacées vers « %(label)s ».",
        moved,
    ) % {"count": moved, "label": data["target"].label}


@require_POST
@workbench_page
def contributions(request, campaign, pk: int):
    topic = _get_topic(campaign, pk)
    form = TopicContributionsForm(request.POST, topic=topic)
    if form.is_valid():
        try:
            done = _apply_edit(request.user, topic, form.cleaned_data)
        except ActionRefused as refusal:
            refusal_to_form(form, refusal)
        else:
            messages.success(request, done)
            return redirect(topic_url(topic, campaign))
    return _render_topic(request, campaign, topic, status=400, edit_form=form)


@require_POST
@workbench_page
def merge(request, campaign, pk: int):
    topic = _get_topic(campaign, pk)
    form = MergeTopicForm(request.POST, topic=topic)
    if form.is_valid():
        target = form.cleaned_data["target"]
        target.campaign = campaign
        try:
            merge_topics(request.user, topic, target)
        except ActionRefused as refusal:
            refusal_to_form(form, refusal)
        else:
            messages.success(
                request,
                _("Le thème « %(source)s » est fusionné dans « %(target)s ».")
                % {"source": topic.label, "target": target.label},
            )
            return redirect(topic_url(target, campaign))
    return _render_topic(request, campaign, topic, status=400, merge_form=form)
