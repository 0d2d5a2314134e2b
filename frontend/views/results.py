"""A campaign's results, public when the campaign's setting says so: figures (each chart
followed by its data table, the accessible alternative), the published synthesis, the opinion
groups, the official answers; the same content as a PDF report (WeasyPrint).

Every figure is an aggregate: the number of queries does not grow with the contributions."""

from dataclasses import dataclass

from django.contrib.staticfiles import finders
from django.db.models import Count, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from consultation.models import (
    Campaign,
    Comment,
    Contribution,
    OfficialAnswer,
    OpinionGroups,
    Participant,
    Statement,
    StatementVote,
    Support,
    SynthesisSection,
    Topic,
    Workshop,
)
from consultation.models.contributions import Provenance, Visibility
from consultation.models.workshops import Registration
from consultation.rules import is_campaign_staff, is_organiser, results_are_public
from consultation.synthesis import render as render_synthesis
from frontend.views import opinions
from frontend.views._common import breadcrumb, get_campaign
from frontend.views.pages import campaign_figures

PRINT_CSS = "frontend/results/print.css"
REPRESENTATIVE_PER_GROUP = 5
CONSENSUS_SHOWN = 5

# --- Who sees the results --------------------------------------------------------------------


def get_results_campaign(request: HttpRequest, slug: str) -> tuple[Campaign, bool]:
    """The campaign and whether its results are public. Before they are, only the campaign's
    staff see them (as a preview); for everyone else they do not exist (404)."""
    campaign = get_campaign(request, slug)
    public = results_are_public(campaign)
    if not public and not is_campaign_staff.test(request.user, campaign):
        raise Http404("Résultats non publiés.")
    return campaign, public


# --- Bar charts drawn on the server ----------------------------------------------------------

CHART_WIDTH = 640
BAR_MAX_WIDTH = 540
ROW_HEIGHT = 44


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    share: int  # percent of the chart's total, rounded
    width: int  # SVG units
    label_y: int
    bar_y: int

    @property
    def value_x(self) -> int:
        return self.width + 8


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart (SVG) and the table that says the same in words."""

    id: str
    title: str
    label_header: str
    bars: list[Bar]

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars)

    @property
    def height(self) -> int:
        return ROW_HEIGHT * len(self.bars) + 8


def bar_chart(id: str, title: str, label_header: str, data: list[tuple[str, int]]) -> BarChart:
    biggest = max((value for _label, value in data), default=0) or 1
    total = sum(value for _label, value in data) or 1
    bars = [
        Bar(
            label=str(label),
            value=value,
            share=round(100 * value / total),
            width=max(round(BAR_MAX_WIDTH * value / biggest), 1 if value else 0),
            label_y=ROW_HEIGHT * row + 16,
            bar_y=ROW_HEIGHT * row + 22,
        )
        for row, (label, value) in enumerate(data)
    ]
    return BarChart(id=id, title=title, label_header=label_header, bars=bars)


# --- The figures -----------------------------------------------------------------------------


def _published_contributions(campaign: Campaign):
    return Contribution.objects.filter(campaign=campaign, visibility=Visibility.PUBLISHED)


def contribution_charts(campaign: Campaign) -> list[BarChart]:
    """By channel, by the organisers' theme, by territory (river basin): one query each."""
    published = _published_contributions(campaign).order_by()
    by_channel = dict(published.values_list("provenance").annotate(n=Count("pk")))
    by_theme = list(
        published.values_list("theme__name", "theme__position")
        .annotate(n=Count("pk"))
        .order_by("theme__position", "theme__name")
    )
    by_area = list(
        published.values_list("commune__area__name")
        .annotate(n=Count("pk"))
        .order_by("commune__area__name")
    )
    unknown = _("Non renseigné")
    return [
        bar_chart(
            "graphique-canaux",
            _("Contributions par canal"),
            _("Canal"),
            [(label, by_channel.get(value, 0)) for value, label in Provenance.choices],
        ),
        bar_chart(
            "graphique-themes",
            _("Contributions par thème"),
            _("Thème"),
            [(name or _("Sans thème"), n) for name, _position, n in by_theme],
        ),
        bar_chart(
            "graphique-territoires",
            _("Contributions par territoire (bassin versant)"),
            _("Territoire"),
            [(name or unknown, n) for name, n in by_area],
        ),
    ]


def participation_figures(campaign: Campaign) -> dict:
    figures = campaign_figures(campaign)  # contributions, participants, workshops
    published = _published_contributions(campaign)
    figures["merged"] = published.filter(merged_into__isnull=False).count()
    figures["supports"] = Support.objects.filter(contribution__in=published).count()
    figures["comments"] = Comment.objects.filter(
        contribution__in=published, visibility=Visibility.PUBLISHED
    ).count()
    figures["statements"] = Statement.objects.filter(campaign=campaign).published().count()
    figures["workshop_registrations"] = Registration.objects.filter(
        workshop__campaign=campaign, status=Registration.Status.CONFIRMED
    ).count()
    figures["workshop_participants"] = Participant.objects.filter(
        session__workshop__campaign=campaign, role=Participant.Role.PARTICIPANT
    ).count()
    return figures


def vote_chart(campaign: Campaign) -> BarChart:
    votes = dict(
        StatementVote.objects.filter(
            statement__campaign=campaign, statement__visibility=Visibility.PUBLISHED
        )
        .order_by()
        .values_list("choice")
        .annotate(n=Count("pk"))
    )
    return bar_chart(
        "graphique-votes",
        _("Votes sur les affirmations"),
        _("Vote"),
        [(label, votes.get(value, 0)) for value, label in StatementVote.Choice.choices],
    )


def _count(queryset, field: str):
    """A correlated COUNT subquery: one query for all workshops, and no join fan-out (three
    joined counts would multiply registrations by participants by contributions)."""
    rows = (
        queryset.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(rows), Value(0))


def workshop_rows(campaign: Campaign) -> list[Workshop]:
    return list(
        Workshop.objects.filter(campaign=campaign)
        .select_related("commune")
        .annotate(
            registered=_count(
                Registration.objects.filter(status=Registration.Status.CONFIRMED), "workshop"
            ),
            live_participants=_count(
                Participant.objects.filter(role=Participant.Role.PARTICIPANT), "session__workshop"
            ),
            contributions_count=_count(
                Contribution.objects.filter(visibility=Visibility.PUBLISHED), "workshop"
            ),
        )
        .order_by("starts_at", "pk")
    )


# --- Synthesis, opinion groups, official answers ---------------------------------------------


def synthesis_sections(campaign: Campaign) -> list[dict]:
    sections = (
        SynthesisSection.objects.filter(campaign=campaign, published_version__isnull=False)
        .select_related("published_version")
        .order_by("position", "pk")
    )
    return [
        {
            "id": section.pk,
            "title": section.title,
            "published_at": section.published_at,
            # render() escapes the typed text and nh3-cleans the result: the only HTML
            # of the page that is not escaped by the template.
            "html": mark_safe(  # noqa: S308
                render_synthesis(
                    section.published_version.body, section.published_version.citations
                )
            ),
        }
        for section in sections
    ]


def opinion_groups(campaign: Campaign) -> dict | None:
    """The computation an organiser published, with its map and the text of its published
    statements; None when none is published (the latest computation is the moderators'
    work in progress, never shown here). Hidden or pending statements are never shown."""
    published = OpinionGroups.objects.published_for(campaign)
    if published is None or not published.groups_count:
        return None
    result = published.result
    statements = opinions.load_statements(campaign, result, public=True)
    return {
        "computed_at": published.computed_at,
        "published_at": published.published_at,
        "participants": published.participants_count,
        "clustered": published.clustered_count,
        "unclustered": opinions.unclustered_count(published),
        "map": opinions.opinion_map(result),
        "groups": opinions.group_views(result, statements, limit=REPRESENTATIVE_PER_GROUP),
        "consensus": opinions.consensus_lines(result, statements, "agree", CONSENSUS_SHOWN),
        "consensus_disagree": opinions.consensus_lines(
            result, statements, "disagree", CONSENSUS_SHOWN
        ),
    }


def official_answers(campaign: Campaign) -> dict:
    answers = OfficialAnswer.objects.filter(
        contribution__campaign=campaign, contribution__visibility=Visibility.PUBLISHED
    )
    by_status = dict(answers.order_by().values_list("status").annotate(n=Count("pk")))
    rows = answers.order_by("contribution__title", "contribution_id").values_list(
        "contribution_id", "contribution__title", "status", "updated_at"
    )
    labels = dict(OfficialAnswer.Status.choices)
    return {
        "chart": bar_chart(
            "graphique-reponses",
            _("Réponses officielles par statut"),
            _("Statut"),
            [(label, by_status.get(value, 0)) for value, label in OfficialAnswer.Status.choices],
        ),
        "total": sum(by_status.values()),
        "list": [
            {
                "url": reverse("frontend:contribution", args=[campaign.slug, pk]),
                "title": title,
                "status": status,
                "status_label": labels.get(status, status),
                "updated_at": updated_at,
            }
            for pk, title, status, updated_at in rows
        ],
    }


def topics_to_answer(campaign: Campaign) -> list[Topic]:
    published = Q(
        contributions__visibility=Visibility.PUBLISHED, contributions__merged_into__isnull=True
    )
    return list(
        Topic.objects.filter(campaign=campaign)
        .annotate(n=Count("contributions", filter=published))
        .order_by("position", "pk")
    )


def results_context(request: HttpRequest, campaign: Campaign, public: bool) -> dict:
    organiser = is_organiser.test(request.user, campaign)
    figures = participation_figures(campaign)
    workshops = workshop_rows(campaign)
    figures["workshop_contributions"] = sum(w.contributions_count for w in workshops)
    return {
        "campaign": campaign,
        "public": public,
        "figures": figures,
        "contribution_charts": contribution_charts(campaign),
        "vote_chart": vote_chart(campaign),
        "workshops": workshops,
        "synthesis": synthesis_sections(campaign),
        "opinion": opinion_groups(campaign),
        "answers": official_answers(campaign),
        "topics_to_answer": topics_to_answer(campaign) if organiser else None,
    }


# --- Views -----------------------------------------------------------------------------------


@require_GET
def results(request: HttpRequest, slug: str):
    campaign, public = get_results_campaign(request, slug)
    context = results_context(request, campaign, public)
    context["breadcrumb_data"] = breadcrumb(_("Résultats"), campaign=campaign)
    return render(request, "frontend/results/page.html", context)


def _no_fetching(url: str, *args, **kwargs):
    # The report embeds everything it shows: WeasyPrint never fetches a URL (no request back
    # to this server, which could wait on itself, and nothing a text could point it to).
    raise ValueError(f"Ressource externe refusée : {url}")


@require_GET
def results_pdf(request: HttpRequest, slug: str):
    from weasyprint import CSS, HTML  # loads Pango: only when a report is asked for

    campaign, public = get_results_campaign(request, slug)
    context = results_context(request, campaign, public)
    context["site_url"] = request.build_absolute_uri("/")
    html = render_to_string("frontend/results/report.html", context, request=request)
    document = HTML(string=html, base_url=context["site_url"], url_fetcher=_no_fetching)
    pdf = document.write_pdf(stylesheets=[CSS(filename=finders.find(PRINT_CSS))])
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="resultats-{campaign.slug}.pdf"'
    return response
