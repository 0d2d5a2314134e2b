"""Moderation pages: a resident reports a piece of content; the campaign's moderators and
organisers work through one queue of everything people wrote, decide in bulk, and read the log.

The queue lists contributions, comments and statements together: one UNION query of
(kind, id, date, open reports) pages through the three tables, then one query per kind loads
the page's rows, so the page costs the same number of queries whatever its length."""

from collections import Counter
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import (
    CharField,
    Count,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from consultation.actions.moderation import moderate, report_content
from consultation.errors import PermissionRefused
from consultation.models import (
    Campaign,
    Comment,
    Contribution,
    ModerationDecision,
    Report,
    Statement,
)
from consultation.models.accounts import DELETED_PARTICIPANT
from consultation.models.contributions import Provenance, Visibility
from consultation.models.moderation import ModerationReason, TargetKind
from consultation.rules import check_permission
from frontend.forms_moderation import (
    HIDDEN,
    PENDING,
    PUBLISHED,
    REPORTED,
    BulkDecisionForm,
    LogFilterForm,
    QueueFilterForm,
    ReportForm,
    seen_value,
)
from frontend.views._common import (
    apply_form,
    breadcrumb,
    get_campaign,
    login_required_redirect,
    run_action,
)

ROWS_PER_PAGE = 50
LOG_PER_PAGE = 50

# The kind as written in the report page's address, in French.
KIND_SLUGS = {
    "contribution": TargetKind.CONTRIBUTION,
    "commentaire": TargetKind.COMMENT,
    "affirmation": TargetKind.STATEMENT,
}


def content_url(campaign: Campaign, kind: str, pk: int, contribution_id: int | None = None):
    """Where a piece of content is read: its contribution's page, or the statements page."""
    if kind == TargetKind.CONTRIBUTION:
        return reverse("frontend:contribution", kwargs={"slug": campaign.slug, "pk": pk})
    if kind == TargetKind.COMMENT:
        page = reverse(
            "frontend:contribution", kwargs={"slug": campaign.slug, "pk": contribution_id}
        )
        return f"{page}#commentaire-{pk}"
    return reverse("frontend:statements", kwargs={"slug": campaign.slug}) + f"#affirmation-{pk}"


def signature_of(target) -> str:
    if target.author_id:
        return target.author.public_name
    if isinstance(target, Statement):  # written by the team or imported, without an account
        return _("Sans compte")
    return target.author_label or str(DELETED_PARTICIPANT)


# --- reporting ------------------------------------------------------------------------------


def _report_target(campaign: Campaign, kind: str, pk: int):
    """The content of this campaign named in the address, whatever its state (the action
    refuses hidden content with a sentence); 404 for an unknown kind or another campaign."""
    if kind == TargetKind.CONTRIBUTION:
        target = get_object_or_404(
            Contribution.objects.select_related("author"), pk=pk, campaign=campaign
        )
    elif kind == TargetKind.COMMENT:
        target = get_object_or_404(
            Comment.objects.select_related("author", "contribution"),
            pk=pk,
            contribution__campaign=campaign,
            contribution__visibility=Visibility.PUBLISHED,
        )
        target.contribution.campaign = campaign
        return target
    else:
        target = get_object_or_404(
            Statement.objects.select_related("author"), pk=pk, campaign=campaign
        )
    target.campaign = campaign
    return target


def _readable_by(user, target) -> bool:
    """Whether the report page may quote the content: never hidden or pending text of others."""
    return target.visibility == Visibility.PUBLISHED or (
        user.is_authenticated and target.author_id == user.pk
    )


def _why_not(user, kind: str, target) -> str | None:
    """Why the person may not report this, said before they choose a reason (the action
    says it again if they post anyway)."""
    try:
        check_permission(user, "report", target)
    except PermissionRefused as refusal:
        return refusal.message
    if target.author_id == user.pk:
        return _("Vous ne pouvez pas signaler votre propre contenu.")
    if Report.objects.filter(reporter=user, **{SOURCES[kind]["report"]: target}).exists():
        return _("Vous avez déjà signalé ce contenu.")
    return None


def _after_report_url(campaign: Campaign, kind: str, target) -> str:
    """Back to the content, or, if this report hid it, to the page that listed it."""
    if target.visibility == Visibility.PUBLISHED:
        return content_url(campaign, kind, target.pk, getattr(target, "contribution_id", None))
    if kind == TargetKind.COMMENT:
        return content_url(campaign, TargetKind.CONTRIBUTION, target.contribution_id)
    if kind == TargetKind.STATEMENT:
        return reverse("frontend:statements", kwargs={"slug": campaign.slug})
    return campaign.get_absolute_url()


def report(request, slug: str, kind: str, pk: int):
    """GET shows the content and the form; POST reports it and goes back to the content."""
    campaign = get_campaign(request, slug)
    kind = KIND_SLUGS.get(kind)
    if kind is None:
        raise Http404("Type de contenu inconnu.")
    target = _report_target(campaign, kind, pk)
    if (response := login_required_redirect(request, request.path)) is not None:
        return response
    form = ReportForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if apply_form(form, report_content, request.user, target) is not None:
            target.refresh_from_db(fields=["visibility"])
            if target.visibility == Visibility.PUBLISHED:
                messages.success(
                    request, _("Merci : votre signalement est transmis à l'équipe de modération.")
                )
            else:
                messages.success(
                    request,
                    _(
                        "Merci : ce contenu est masqué en attendant la décision de l'équipe de "
                        "modération."
                    ),
                )
            return redirect(_after_report_url(campaign, kind, target))
        status = 400
    context = {
        "campaign": campaign,
        "kind": kind,
        "kind_label": TargetKind(kind).label,
        "target": target,
        "readable": _readable_by(request.user, target),
        "signature": signature_of(target),
        "refused": None if form.is_bound else _why_not(request.user, kind, target),
        "back_url": _after_report_url(campaign, kind, target),
        "form": form,
        "breadcrumb_data": breadcrumb(_("Signaler un contenu"), campaign=campaign),
    }
    return render(request, "frontend/moderation/report.html", context, status=status)


# --- the queue ------------------------------------------------------------------------------


def get_moderated_campaign(request, slug: str) -> Campaign:
    """The campaign, for its moderators and organisers only: 404 for anyone else, as if the
    page did not exist."""
    campaign = get_campaign(request, slug)
    if not request.user.has_perm("consultation.moderate", campaign):
        raise Http404("Page introuvable.")
    return campaign


def _open_reports(field_name: str):
    rows = (
        Report.objects.filter(**{field_name: OuterRef("pk")}, resolved_at__isnull=True)
        .order_by()
        .values(field_name)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(rows), Value(0))


def _words(text: str, *fields: str) -> Q:
    query = Q()
    for word in text.split()[:10]:
        matches = Q()
        for name in fields:
            matches |= Q(**{f"{name}__icontains": word})
        query &= matches
    return query


# Per kind: its rows in a campaign, its text columns, its theme, its report column.
SOURCES = {
    TargetKind.CONTRIBUTION: {
        "rows": lambda campaign: Contribution.objects.filter(campaign=campaign),
        "text": ("title", "body"),
        "theme": "theme__slug",
        "report": "contribution",
    },
    TargetKind.COMMENT: {
        "rows": lambda campaign: Comment.objects.filter(contribution__campaign=campaign),
        "text": ("body",),
        # A comment has no theme of its own: it follows its contribution's.
        "theme": "contribution__theme__slug",
        "report": "comment",
    },
    TargetKind.STATEMENT: {
        "rows": lambda campaign: Statement.objects.filter(campaign=campaign),
        "text": ("text",),
        "theme": "theme__slug",
        "report": "statement",
    },
}


def _provenance(kind: str, rows, provenance: str):
    """Contributions carry their provenance; comments and statements are written online,
    unless they came in through an import (they then keep their external reference)."""
    if kind == TargetKind.CONTRIBUTION:
        return rows.filter(provenance=provenance)
    if provenance == Provenance.ONLINE:
        return rows.filter(external_ref="")
    if provenance == Provenance.IMPORT:
        return rows.exclude(external_ref="")
    return rows.none()


def _kind_rows(campaign: Campaign, kind: str, filters: dict):
    source = SOURCES[kind]
    rows = source["rows"](campaign).annotate(
        row_kind=Value(kind, output_field=CharField()),
        row_id=F("pk"),
        row_date=F("created_at"),
        row_reports=_open_reports(source["report"]),
    )
    state = filters.get("state")
    if state in (PENDING, HIDDEN, PUBLISHED):
        rows = rows.filter(visibility=state)
    elif state == REPORTED:
        rows = rows.filter(row_reports__gt=0)
    if filters.get("theme"):
        rows = rows.filter(**{source["theme"]: filters["theme"]})
    if filters.get("provenance"):
        rows = _provenance(kind, rows, filters["provenance"])
    if filters.get("q"):
        rows = rows.filter(_words(filters["q"], *source["text"]))
    return rows.order_by().values_list("row_kind", "row_id", "row_date", "row_reports")


def queue_keys(campaign: Campaign, filters: dict):
    """(kind, id, date, open reports) of every matching row, newest first; most reported
    first when the moderator looks at the reported ones. One query, sliced by the paginator."""
    kinds = [filters["kind"]] if filters.get("kind") else list(SOURCES)
    first, *others = [_kind_rows(campaign, kind, filters) for kind in kinds]
    rows = first.union(*others, all=True) if others else first
    if filters.get("state") == REPORTED:
        return rows.order_by("-row_reports", "-row_date", "-row_id")
    return rows.order_by("-row_date", "-row_id")


@dataclass
class QueueRow:
    kind: str
    target: object
    reasons: Counter = field(default_factory=Counter)

    @property
    def kind_label(self) -> str:
        return str(TargetKind(self.kind).label)

    @property
    def reports_count(self) -> int:
        return sum(self.reasons.values())

    @property
    def reason_labels(self) -> list[str]:
        return [
            f"{ModerationReason(reason).label} ({count})"
            for reason, count in self.reasons.most_common()
        ]


def _load_targets(ids: dict[str, list[int]]) -> dict[tuple[str, int], object]:
    """The page's rows, one query per kind present (plus the contributions' tags)."""
    loaders = {
        TargetKind.CONTRIBUTION: Contribution.objects.select_related(
            "author", "theme", "workshop"
        ).prefetch_related("tags"),
        TargetKind.COMMENT: Comment.objects.select_related("author", "contribution"),
        TargetKind.STATEMENT: Statement.objects.select_related("author", "theme"),
    }
    loaded = {}
    for kind, pks in ids.items():
        if pks:
            loaded.update({(kind, row.pk): row for row in loaders[kind].filter(pk__in=pks)})
    return loaded


def _open_reasons(ids: dict[str, list[int]]) -> dict[tuple[str, int], Counter]:
    """Open reports' reasons of the page's rows, in one query."""
    wanted = Q()
    for kind, pks in ids.items():
        if pks:
            wanted |= Q(**{f"{SOURCES[kind]['report']}_id__in": pks})
    reasons: dict[tuple[str, int], Counter] = {}
    if not wanted:
        return reasons
    columns = ("contribution_id", "comment_id", "statement_id", "reason")
    rows = Report.objects.filter(wanted, resolved_at__isnull=True).order_by()
    for contribution_id, comment_id, statement_id, reason in rows.values_list(*columns):
        key = next(
            (kind, pk)
            for kind, pk in zip(SOURCES, (contribution_id, comment_id, statement_id), strict=True)
            if pk is not None
        )
        reasons.setdefault(key, Counter())[reason] += 1
    return reasons


def queue_rows(campaign: Campaign, keys) -> list[QueueRow]:
    ids: dict[str, list[int]] = {kind: [] for kind in SOURCES}
    for kind, pk, _date, _reports in keys:
        ids[kind].append(pk)
    targets = _load_targets(ids)
    reasons = _open_reasons(ids)
    rows = []
    for kind, pk, _date, _reports in keys:
        target = targets.get((kind, pk))
        if target is None:  # deleted between the two queries
            continue
        row = QueueRow(kind, target, reasons.get((kind, pk), Counter()))
        row.value = seen_value(kind, pk, target.visibility)
        row.url = content_url(campaign, kind, pk, getattr(target, "contribution_id", None))
        row.signature = signature_of(target)
        row.provenance = _provenance_label(kind, target)
        rows.append(row)
    return rows


def _provenance_label(kind: str, target) -> str:
    if kind == TargetKind.CONTRIBUTION:
        return target.get_provenance_display()
    return str(Provenance.IMPORT.label if target.external_ref else Provenance.ONLINE.label)


def _render_queue(request, campaign, form, status=200):
    filters = QueueFilterForm(request.GET, campaign=campaign)
    filters.is_valid()  # errors are shown on their fields; the valid filters still apply
    page = Paginator(queue_keys(campaign, filters.values), ROWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    page.pages_list = list(page.paginator.get_elided_page_range(page.number))
    ticked = set(form.data.getlist("targets")) if form.is_bound else set()
    rows = queue_rows(campaign, list(page.object_list))
    for row in rows:
        row.ticked = row.value in ticked
    context = {
        "campaign": campaign,
        "breadcrumb_data": breadcrumb(_("Modération"), campaign=campaign),
        "filters": filters,
        "filtered": bool(filters.values),
        "page_obj": page,
        "rows": rows,
        "form": form,
        "here": request.get_full_path(),
    }
    return render(request, "frontend/moderation/queue.html", context, status=status)


def queue(request, slug: str):
    """GET shows the queue; POST applies one decision to the ticked rows, then comes back to
    the same filtered page."""
    if (response := login_required_redirect(request, request.get_full_path())) is not None:
        return response
    campaign = get_moderated_campaign(request, slug)
    prefetch_related_objects([campaign], "themes")  # read by the filters and the bulk form
    if request.method != "POST":
        return _render_queue(request, campaign, BulkDecisionForm(campaign=campaign))
    form = BulkDecisionForm(request.POST, campaign=campaign)
    if not form.is_valid():
        return _render_queue(request, campaign, form, status=400)
    targets = form.cleaned_data["targets"]
    decisions = run_action(
        request, moderate, request.user, campaign, targets, **form.action_kwargs()
    )
    if decisions is not None:
        count = len(decisions)
        messages.success(
            request,
            ngettext("%(count)d décision enregistrée.", "%(count)d décisions enregistrées.", count)
            % {"count": count},
        )
    return redirect(request.get_full_path())


# --- the log --------------------------------------------------------------------------------


def _log_urls(campaign: Campaign, decisions) -> None:
    """Each decision's link to its content; comments need their contribution (one query)."""
    comment_ids = [d.target_id for d in decisions if d.target_kind == TargetKind.COMMENT]
    parents = dict(Comment.objects.filter(pk__in=comment_ids).values_list("pk", "contribution_id"))
    for decision in decisions:
        kind, pk = decision.target_kind, decision.target_id
        if kind == TargetKind.COMMENT and pk not in parents:
            decision.url = None  # the comment was deleted since
            continue
        decision.url = content_url(campaign, kind, pk, parents.get(pk))


@require_GET
def log(request, slug: str):
    if (response := login_required_redirect(request, request.get_full_path())) is not None:
        return response
    campaign = get_moderated_campaign(request, slug)
    filters = LogFilterForm(request.GET)
    filters.is_valid()
    decisions = ModerationDecision.objects.filter(campaign=campaign).select_related("moderator")
    if action := getattr(filters, "cleaned_data", {}).get("action"):
        decisions = decisions.filter(action=action)
    page = Paginator(decisions, LOG_PER_PAGE).get_page(request.GET.get("page"))
    page.pages_list = list(page.paginator.get_elided_page_range(page.number))
    page.object_list = list(page.object_list)
    _log_urls(campaign, page.object_list)
    context = {
        "campaign": campaign,
        "breadcrumb_data": breadcrumb(
            _("Journal de modération"),
            campaign=campaign,
            links=[(reverse("frontend:moderation", kwargs={"slug": slug}), _("Modération"))],
        ),
        "filters": filters,
        "page_obj": page,
    }
    return render(request, "frontend/moderation/log.html", context)
