"""The organisers' grouped official answer: one status and text for every published
contribution of an automatic theme (answer_topic answers and notifies each one)."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from consultation.actions.answers import MAX_BULK_ANSWERS, answer_topic
from consultation.models import Topic
from consultation.models.contributions import Visibility
from consultation.rules import is_organiser
from frontend.forms import AnswerForm
from frontend.views._common import apply_form, breadcrumb, get_campaign


def _answered_contributions(topic: Topic):
    """What the grouped answer reaches: the same rows as answer_topic."""
    return (
        topic.contributions.filter(visibility=Visibility.PUBLISHED, merged_into__isnull=True)
        .select_related("answer", "campaign")
        .order_by("pk")
    )


@require_http_methods(["GET", "POST"])
def answer_topic_page(request: HttpRequest, slug: str, topic_pk: int):
    campaign = get_campaign(request, slug)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_organiser.test(request.user, campaign):
        # As for the other staff pages: to anyone else the page does not exist.
        raise Http404("Page réservée à l'équipe organisatrice.")
    topic = get_object_or_404(Topic.objects.filter(campaign=campaign), pk=topic_pk)
    form = AnswerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        answers = apply_form(form, answer_topic, request.user, topic)
        if answers is not None:
            messages.success(
                request,
                ngettext(
                    "La réponse officielle est publiée pour %(n)s contribution.",
                    "La réponse officielle est publiée pour %(n)s contributions.",
                    len(answers),
                )
                % {"n": len(answers)},
            )
            return redirect(request.path)
    contributions = list(_answered_contributions(topic)[: MAX_BULK_ANSWERS + 1])
    context = {
        "campaign": campaign,
        "topic": topic,
        "form": form,
        "contributions": contributions[:MAX_BULK_ANSWERS],
        "too_many": len(contributions) > MAX_BULK_ANSWERS,
        "max_answers": MAX_BULK_ANSWERS,
        "already_answered": sum(1 for c in contributions if hasattr(c, "answer")),
        "breadcrumb_data": breadcrumb(
            _("Réponse groupée"),
            campaign=campaign,
            links=[(reverse("frontend:results", args=[campaign.slug]), _("Résultats"))],
        ),
    }
    return render(
        request,
        "frontend/results/answer_topic.html",
        context,
        status=400 if form.is_bound else 200,
    )
