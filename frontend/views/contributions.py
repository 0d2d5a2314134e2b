"""A contribution's page and what people do there: submit, support, follow, comment, reply,
and, for organisers, answer officially. Each POST calls one action."""

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from consultation.actions.answers import answer_contribution
from consultation.actions.comments import MAX_DEPTH, post_comment
from consultation.actions.contributions import submit_contribution
from consultation.actions.follows import follow, unfollow
from consultation.actions.supports import add_support, remove_support
from consultation.errors import ActionRefused, PermissionRefused
from consultation.models import Comment, Follow, Support
from consultation.models.contributions import Visibility
from consultation.rules import check_permission
from frontend.forms import AnswerForm, CommentForm, ContributionForm
from frontend.views._common import (
    apply_form,
    breadcrumb,
    get_campaign,
    get_contribution,
    login_required_redirect,
    may,
    refusal_to_form,
    refusal_to_message,
    run_action,
)


def _thread(comments: list[Comment]) -> list[Comment]:
    """Attach each comment's replies as `.children` (already fetched: no query per comment)."""
    by_parent: dict[int | None, list[Comment]] = {}
    for comment in comments:
        by_parent.setdefault(comment.parent_id, []).append(comment)
    known = {comment.pk for comment in comments}
    for comment in comments:
        comment.children = by_parent.get(comment.pk, [])
    # A reply whose parent is not shown (hidden by moderation) stays visible at the top level.
    return [c for c in comments if c.parent_id is None or c.parent_id not in known]


def _depths(roots: list[Comment]) -> None:
    stack = [(comment, 0) for comment in roots]
    while stack:
        comment, depth = stack.pop()
        comment.depth = depth
        comment.can_reply = depth < MAX_DEPTH
        stack.extend((child, depth + 1) for child in comment.children)


def _visible_comments(request, contribution):
    comments = Comment.objects.filter(contribution=contribution).select_related("author")
    if request.user.is_authenticated:
        return comments.filter(
            Q(visibility=Visibility.PUBLISHED)
            | Q(visibility=Visibility.PENDING, author=request.user)
        )
    return comments.filter(visibility=Visibility.PUBLISHED)


def _render_contribution(
    request, campaign, contribution, *, comment_form=None, answer_form=None, status=200
):
    user = request.user
    roots = _thread(list(_visible_comments(request, contribution)))
    _depths(roots)
    answer = getattr(contribution, "answer", None)
    can_answer = user.has_perm("consultation.answer", contribution)
    if can_answer and answer_form is None:
        initial = {"status": answer.status, "body": answer.body} if answer else None
        answer_form = AnswerForm(prefix="answer", initial=initial)
    context = {
        "campaign": campaign,
        "contribution": contribution,
        "breadcrumb_data": breadcrumb(contribution.title, campaign=campaign),
        "answer": answer,
        "comments": roots,
        "comment_form": comment_form or CommentForm(prefix="comment"),
        "answer_form": answer_form,
        "can_answer": can_answer,
        "can_comment": may(user, "comment", contribution),
        # A refused comment comes back with its text and the reason, even if now closed.
        "show_comment_form": user.is_authenticated
        and (comment_form is not None or user.has_perm("consultation.comment", contribution)),
        "can_support": may(user, "support", contribution),
        "supported": user.is_authenticated
        and Support.objects.filter(contribution=contribution, user=user).exists(),
        "following": user.is_authenticated
        and Follow.objects.filter(contribution=contribution, user=user).exists(),
    }
    return render(request, "frontend/contribution.html", context, status=status)


def _refusal_reason(user, campaign) -> str | None:
    """Why the person may not contribute now (phase, campaign closed), said before they type."""
    try:
        check_permission(user, "contribute", campaign)
    except PermissionRefused as refusal:
        return refusal.message
    return None


@require_GET
def contribution(request, slug: str, pk: int):
    campaign = get_campaign(request, slug)
    return _render_contribution(request, campaign, get_contribution(request, campaign, pk))


def submit(request, slug: str):
    campaign = get_campaign(request, slug)
    if (response := login_required_redirect(request, request.path)) is not None:
        return response
    form = ContributionForm(request.POST if request.method == "POST" else None, campaign=campaign)
    status = 200
    if request.method == "POST":
        created = apply_form(form, submit_contribution, request.user, campaign)
        if created is not None:
            if created.visibility == Visibility.PENDING:
                messages.success(
                    request,
                    _(
                        "Merci ! Votre contribution est enregistrée : elle sera publiée après "
                        "validation par l'équipe de modération."
                    ),
                )
            else:
                messages.success(request, _("Merci ! Votre contribution est publiée."))
            return redirect(created.get_absolute_url())
        status = 400
    context = {
        "campaign": campaign,
        "form": form,
        "closed_reason": None if form.is_bound else _refusal_reason(request.user, campaign),
        "breadcrumb_data": breadcrumb(_("Contribuer"), campaign=campaign),
    }
    return render(request, "frontend/submit.html", context, status=status)


@require_POST
def support(request, slug: str, pk: int):
    campaign = get_campaign(request, slug)
    contribution = get_contribution(request, campaign, pk)
    page = contribution.get_absolute_url()
    if (response := login_required_redirect(request, page)) is not None:
        return response
    if request.POST.get("retirer") == "1":
        action, done = remove_support, _("Votre soutien est retiré.")
    else:
        action, done = add_support, _("Merci pour votre soutien !")
    run_action(request, action, request.user, contribution, success=done)
    return redirect(page + "#soutien")


@require_POST
def follow_contribution(request, slug: str, pk: int):
    campaign = get_campaign(request, slug)
    contribution = get_contribution(request, campaign, pk)
    page = contribution.get_absolute_url()
    if (response := login_required_redirect(request, page)) is not None:
        return response
    if request.POST.get("arreter") == "1":
        action, done = unfollow, _("Vous ne suivez plus cette contribution.")
    else:
        action = follow
        done = _("Vous suivez cette contribution : vous serez averti·e de sa réponse.")
    run_action(request, action, request.user, contribution, success=done)
    return redirect(page + "#suivi")


def _comment_done(request, comment, contribution):
    if comment.visibility == Visibility.PENDING:
        messages.success(
            request, _("Merci ! Votre commentaire sera publié après validation par la modération.")
        )
    else:
        messages.success(request, _("Merci ! Votre commentaire est publié."))
    return redirect(f"{contribution.get_absolute_url()}#commentaire-{comment.pk}")


@require_POST
def comment(request, slug: str, pk: int):
    campaign = get_campaign(request, slug)
    contribution = get_contribution(request, campaign, pk)
    if (response := login_required_redirect(request, contribution.get_absolute_url())) is not None:
        return response
    form = CommentForm(request.POST, prefix="comment")
    created = apply_form(form, post_comment, request.user, contribution)
    if created is not None:
        return _comment_done(request, created, contribution)
    return _render_contribution(request, campaign, contribution, comment_form=form, status=400)


def reply(request, slug: str, pk: int, comment_pk: int):
    """A page of its own with the comment answered and the reply form: works without JS."""
    campaign = get_campaign(request, slug)
    contribution = get_contribution(request, campaign, pk)
    parent = get_object_or_404(
        Comment.objects.select_related("author"),
        pk=comment_pk,
        contribution=contribution,
        visibility=Visibility.PUBLISHED,
    )
    here = reverse(
        "frontend:reply", kwargs={"slug": slug, "pk": contribution.pk, "comment_pk": parent.pk}
    )
    if (response := login_required_redirect(request, here)) is not None:
        return response
    form = CommentForm(request.POST if request.method == "POST" else None, prefix="reply")
    status = 200
    if request.method == "POST":
        created = apply_form(form, post_comment, request.user, contribution, parent=parent)
        if created is not None:
            return _comment_done(request, created, contribution)
        status = 400
    context = {
        "campaign": campaign,
        "contribution": contribution,
        "parent": parent,
        "form": form,
        "breadcrumb_data": breadcrumb(
            _("Répondre à un commentaire"),
            campaign=campaign,
            links=[(contribution.get_absolute_url(), contribution.title)],
        ),
        "can_comment": may(request.user, "comment", contribution),
    }
    return render(request, "frontend/reply.html", context, status=status)


@require_POST
def answer(request, slug: str, pk: int):
    campaign = get_campaign(request, slug)
    contribution = get_contribution(request, campaign, pk)
    if (response := login_required_redirect(request, contribution.get_absolute_url())) is not None:
        return response
    form = AnswerForm(request.POST, prefix="answer")
    if form.is_valid():
        try:
            answer_contribution(request.user, contribution, **form.cleaned_data)
        except ActionRefused as refusal:
            if not request.user.has_perm("consultation.answer", contribution):
                refusal_to_message(request, refusal)
                return redirect(contribution.get_absolute_url())
            refusal_to_form(form, refusal)
        else:
            messages.success(request, _("La réponse officielle est publiée."))
            return redirect(f"{contribution.get_absolute_url()}#reponse-officielle")
    if not request.user.has_perm("consultation.answer", contribution):
        messages.warning(request, _("Seule l'équipe organisatrice peut répondre officiellement."))
        return redirect(contribution.get_absolute_url())
    return _render_contribution(request, campaign, contribution, answer_form=form, status=400)
