"""Background work, run by the task worker in production (django-tasks `db_worker`).

Tasks receive ids, not objects, and reload rows: by the time a task runs, the row may have
changed or gone.
"""

from django.conf import settings
from django.core.mail import send_mail, send_mass_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks import task

from consultation.models import Contribution, OfficialAnswer, Registration, User


def _recipients_of(contribution: Contribution) -> list[str]:
    """Author and followers whose address is verified, and the workshop participants whose
    cards became this contribution and who left an email to hear what became of it (guests
    typed it in the room; a participant with an account is mailed only if the account may
    be). Each address once."""
    ids = set(contribution.follows.values_list("user_id", flat=True))
    if contribution.author_id:
        ids.add(contribution.author_id)
    accounts = set(User.objects.notifiable().filter(pk__in=ids).values_list("email", flat=True))
    workshop = set(
        contribution.source_cards.exclude(author__email="")
        .filter(
            Q(author__user__isnull=True)
            | Q(author__user__in=User.objects.notifiable().values("pk"))
        )
        .values_list("author__email", flat=True)
    )
    return sorted(accounts | workshop)


@task()
def notify_official_answer(answer_id: int) -> int:
    """Email the author and followers of a contribution that got an official answer."""
    answer = (
        OfficialAnswer.objects.select_related("contribution__campaign").filter(pk=answer_id).first()
    )
    if answer is None:
        return 0
    contribution = answer.contribution
    with translation.override("fr"):
        subject = f"Réponse de la préfecture : {contribution.title}"[:150]
        body = render_to_string(
            "emails/official_answer.txt",
            {"answer": answer, "contribution": contribution, "site_url": settings.SITE_URL},
        )
    messages = [
        (subject, body, settings.DEFAULT_FROM_EMAIL, [email])
        for email in _recipients_of(contribution)
    ]
    return send_mass_mail(messages, fail_silently=False)


@task()
def notify_promoted_registration(registration_id: int) -> int:
    """Tell a person on the waiting list that a place is now theirs."""
    registration = (
        Registration.objects.select_related("workshop__commune", "user", "workshop__campaign")
        .filter(pk=registration_id, status=Registration.Status.CONFIRMED)
        .first()
    )
    if (
        registration is None
        or not User.objects.notifiable().filter(pk=registration.user_id).exists()
    ):
        return 0
    with translation.override("fr"):
        body = render_to_string(
            "emails/registration_promoted.txt",
            {"registration": registration, "site_url": settings.SITE_URL},
        )
    subject = f"Une place s'est libérée : {registration.workshop.title}"[:150]
    return send_mass_mail([(subject, body, settings.DEFAULT_FROM_EMAIL, [registration.user.email])])


@task()
def notify_content_hidden(decision_id: int) -> int:
    """Tell the author that their content was hidden, and why (never who reported it)."""
    from consultation.actions.moderation import MODELS, hidden_notice
    from consultation.models import ModerationDecision

    decision = ModerationDecision.objects.select_related("campaign").filter(pk=decision_id).first()
    if decision is None:
        return 0
    target = MODELS[decision.target_kind].objects.filter(pk=decision.target_id).first()
    author = getattr(target, "author", None)
    if author is None or not User.objects.notifiable().filter(pk=author.pk).exists():
        return 0
    with translation.override("fr"):
        subject = f"Votre contenu a été masqué : {decision.campaign.title}"[:150]
        body = render_to_string(
            "emails/content_hidden.txt",
            {"notice": hidden_notice(decision), "site_url": settings.SITE_URL},
        )
    return send_mass_mail([(subject, body, settings.DEFAULT_FROM_EMAIL, [author.email])])


@task()
def notify_merge(merge_id: int) -> int:
    """Tell the supporters, followers and author of a merged contribution where it went."""
    from consultation.models import Merge

    merge = Merge.objects.select_related("merged__campaign", "result").filter(pk=merge_id).first()
    if merge is None or merge.undone_at is not None:
        return 0
    merged = merge.merged
    ids = set(merged.supports.values_list("user_id", flat=True))
    ids |= set(merged.follows.values_list("user_id", flat=True))
    if merged.author_id:
        ids.add(merged.author_id)
    emails = User.objects.notifiable().filter(pk__in=ids).values_list("email", flat=True)
    with translation.override("fr"):
        subject = f"Contribution fusionnée : {merged.title}"[:150]
        body = render_to_string(
            "emails/merged.txt", {"merge": merge, "site_url": settings.SITE_URL}
        )
    return send_mass_mail(
        [(subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in emails]
    )


@task()
def regroup_task(campaign_id: int, k: int | None = None) -> int:
    """Recompute a campaign's automatic themes (moderators asked for it)."""
    from consultation.actions.topics import regroup_contributions
    from consultation.models import Campaign

    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        return 0
    return regroup_contributions(None, campaign, k=k).topics


@task()
def send_verification_link(user_id: int) -> int:
    """Send the link that verifies the address awaiting it (the new address during a change,
    else the sign-up address). The link is made now, from the account as it is now."""
    from consultation.identity.email_verification import address_to_verify, link_path_args

    user = User.objects.filter(pk=user_id, is_active=True, deleted_at__isnull=True).first()
    address = address_to_verify(user) if user is not None else ""
    if not address:
        return 0
    link = settings.SITE_URL + reverse("frontend:verify_email", kwargs=link_path_args(user))
    with translation.override("fr"):
        body = render_to_string(
            "emails/verify_email.txt",
            {"link": link, "change": address != user.email, "account_url": _account_url()},
        )
    subject = "Vérifiez votre adresse électronique"
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])


@task()
def notify_email_change_requested(user_id: int) -> int:
    """Tell the verified address that another one was asked for (a person who did not ask
    should change their password)."""
    user = User.objects.notifiable().filter(pk=user_id).exclude(pending_email="").first()
    if user is None:
        return 0
    with translation.override("fr"):
        body = render_to_string(
            "emails/email_change_requested.txt", {"account_url": _account_url()}
        )
    subject = "Changement d'adresse électronique demandé"
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


def _account_url() -> str:
    return settings.SITE_URL + reverse("frontend:account")
