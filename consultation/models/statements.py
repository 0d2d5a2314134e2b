from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from consultation.models.contributions import Visibility

STATEMENT_MAX_LENGTH = 280


class StatementQuerySet(models.QuerySet):
    def published(self):
        return self.filter(visibility=Visibility.PUBLISHED)

    def with_vote_counts(self):
        return self.annotate(
            agree_count=Count("votes", filter=Q(votes__choice=StatementVote.Choice.AGREE)),
            disagree_count=Count("votes", filter=Q(votes__choice=StatementVote.Choice.DISAGREE)),
            pass_count=Count("votes", filter=Q(votes__choice=StatementVote.Choice.PASS)),
        )


class Statement(models.Model):
    """A short sentence people vote on (agree / disagree / pass), as in Pol.is."""

    campaign = models.ForeignKey(
        "consultation.Campaign",
        on_delete=models.CASCADE,
        related_name="statements",
        verbose_name=_("campagne"),
    )
    text = models.CharField(_("affirmation"), max_length=STATEMENT_MAX_LENGTH)
    theme = models.ForeignKey(
        "consultation.Theme",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="statements",
        verbose_name=_("thème"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="statements",
        verbose_name=_("auteur·rice"),
    )
    visibility = models.CharField(
        _("modération"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLISHED
    )
    external_ref = models.CharField(_("référence externe"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("proposée le"), auto_now_add=True)

    objects = StatementQuerySet.as_manager()

    class Meta:
        verbose_name = _("affirmation")
        verbose_name_plural = _("affirmations")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text


class StatementVote(models.Model):
    """One person's latest vote on a statement: a re-vote replaces the row's choice."""

    class Choice(models.IntegerChoices):
        AGREE = 1, _("D'accord")
        DISAGREE = -1, _("Pas d'accord")
        PASS = 0, _("Je passe")

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="votes", verbose_name=_("affirmation")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="statement_votes",
        verbose_name=_("compte"),
    )
    choice = models.SmallIntegerField(_("vote"), choices=Choice.choices)
    created_at = models.DateTimeField(_("le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("vote sur une affirmation")
        verbose_name_plural = _("votes sur les affirmations")
        constraints = [
            models.UniqueConstraint(fields=["statement", "user"], name="one_vote_per_statement")
        ]

    def __str__(self) -> str:
        return f"{self.user} : {self.get_choice_display()}"
