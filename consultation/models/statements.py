from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from consultation.models.contributions import TALLY_SHARDS, Visibility, sum_of_tallies

STATEMENT_MAX_LENGTH = 280


class StatementQuerySet(models.QuerySet):
    def published(self):
        return self.filter(visibility=Visibility.PUBLISHED)

    def with_vote_counts(self):
        return self.annotate(
            agree_count=sum_of_tallies(VoteTally, "statement", "agree"),
            disagree_count=sum_of_tallies(VoteTally, "statement", "disagree"),
            pass_count=sum_of_tallies(VoteTally, "statement", "passed"),
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


class VoteTally(models.Model):
    """How many agree, disagree and pass votes a statement has, split over TALLY_SHARDS rows
    by user_id (`passed` because `pass` is a Python keyword).

    Written only by database triggers on the vote table (migration 0011), so every writer,
    raw SQL and cascades included, keeps it exact; nothing in Python writes it."""

    statement = models.ForeignKey(
        Statement,
        on_delete=models.CASCADE,
        related_name="vote_tallies",
        db_index=False,  # the unique constraint's index starts with it
    )
    shard = models.SmallIntegerField()
    agree = models.IntegerField(default=0)
    disagree = models.IntegerField(default=0)
    passed = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("décompte de votes")
        verbose_name_plural = _("décomptes de votes")
        constraints = [
            models.UniqueConstraint(fields=["statement", "shard"], name="one_vote_tally_per_shard"),
            models.CheckConstraint(
                condition=Q(shard__gte=0, shard__lt=TALLY_SHARDS),
                name="vote_tally_shard_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}/{self.shard} : {self.agree}/{self.disagree}/{self.passed}"


def vote_counts(statement: Statement) -> dict[str, int]:
    """The statement's agree_count, disagree_count and pass_count, read from its tallies (one
    query)."""
    totals = VoteTally.objects.filter(statement=statement).aggregate(
        agree_count=Sum("agree"), disagree_count=Sum("disagree"), pass_count=Sum("passed")
    )
    return {name: total or 0 for name, total in totals.items()}
