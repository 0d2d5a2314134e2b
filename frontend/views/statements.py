"""The statements of a campaign: vote agree / disagree / pass, propose a new one."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consultation.actions.statements import cast_vote, propose_statement
from consultation.models import Statement, StatementVote
from consultation.models.contributions import Visibility
from frontend.forms import StatementForm, VoteForm
from frontend.views._common import (
    apply_form,
    breadcrumb,
    get_campaign,
    login_required_redirect,
    may,
    run_action,
)


def statements(request, slug: str):
    """GET lists the statements; POST proposes one (re-rendered with the text on refusal)."""
    campaign = get_campaign(request, slug)
    form = StatementForm(request.POST if request.method == "POST" else None, prefix="statement")
    status = 200
    if request.method == "POST":
        if (response := login_required_redirect(request, request.path)) is not None:
            return response
        proposed = apply_form(form, propose_statement, request.user, campaign)
        if proposed is not None:
            if proposed.visibility == Visibility.PUBLISHED:
                messages.success(request, _("Merci ! Votre affirmation est publiée."))
            else:
                messages.success(
                    request,
                    _("Merci ! Votre affirmation sera publiée après validation par la modération."),
                )
            return redirect(request.path)
        status = 400
    items = list(
        Statement.objects.filter(campaign=campaign)
        .published()
        .with_vote_counts()
        .order_by("created_at", "id")
    )
    my_votes = {}
    if request.user.is_authenticated:
        my_votes = dict(
            StatementVote.objects.filter(
                user=request.user, statement__campaign=campaign
            ).values_list("statement_id", "choice")
        )
    for item in items:
        item.my_vote = my_votes.get(item.pk)
        item.voted = item.pk in my_votes
        item.my_vote_label = StatementVote.Choice(item.my_vote).label if item.voted else ""
    context = {
        "campaign": campaign,
        "statements": items,
        "breadcrumb_data": breadcrumb(_("Affirmations"), campaign=campaign),
        "form": form,
        "votes_open": may(request.user, "propose_statement", campaign),
    }
    return render(request, "frontend/statements.html", context, status=status)


@require_POST
def vote(request, slug: str, pk: int):
    campaign = get_campaign(request, slug)
    statement = get_object_or_404(Statement.objects.filter(campaign=campaign).published(), pk=pk)
    statement.campaign = campaign
    page = reverse("frontend:statements", kwargs={"slug": campaign.slug})
    if (response := login_required_redirect(request, page)) is not None:
        return response
    form = VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choisissez « D'accord », « Pas d'accord » ou « Je passe »."))
    else:
        done = _("Votre vote est enregistré.")
        run_action(request, cast_vote, request.user, statement, form.cleaned_choice(), success=done)
    return redirect(f"{page}#affirmation-{statement.pk}")
