from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OpinionGroupsQuerySet(models.QuerySet):
    def latest_for(self, campaign):
        """The computation the moderators see: the most recent one, or None."""
        return self.filter(campaign=campaign).order_by("-computed_at", "-id").first()

    def published_for(self, campaign):
        """The computation everyone sees once an organiser published it, or None."""
        return self.filter(campaign=campaign, published_at__isnull=False).first()


class OpinionGroups(models.Model):
    """One computation of a campaign's opinion groups (Pol.is's method) from its statement
    votes. Moderators see the latest; a few earlier ones are kept to compare runs. The public
    sees only the one an organiser published (at most one per campaign, never pruned).

    `result` is the JSON written by `consultation.opinion.pipeline.OpinionGroups.as_json`:
    participants' positions and groups (columnar: ids, x, y, group), groups with their size
    and centre, representative statements per group, consensus and uncertainty.
    """

    campaign = models.ForeignKey(
        "consultation.Campaign",
        on_delete=models.CASCADE,
        related_name="opinion_groups",
        verbose_name=_("campagne"),
    )
    computed_at = models.DateTimeField(_("calculé le"), auto_now_add=True)
    participants_count = models.PositiveIntegerField(_("participant·es"))
    clustered_count = models.PositiveIntegerField(_("participant·es classé·es"))
    statements_count = models.PositiveIntegerField(_("affirmations votées"))
    votes_count = models.PositiveIntegerField(_("votes"))
    groups_count = models.PositiveSmallIntegerField(_("groupes"))
    # The newest vote taken into account: a later computation request with no newer vote
    # (and the same count) has nothing to do.
    last_vote_at = models.DateTimeField(_("dernier vote pris en compte"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("durée du calcul (ms)"))
    result = models.JSONField(_("résultat"))
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("publié par"),
    )

    objects = OpinionGroupsQuerySet.as_manager()

    class Meta:
        verbose_name = _("calcul des groupes d'opinion")
        verbose_name_plural = _("calculs des groupes d'opinion")
        indexes = [models.Index(fields=["campaign", "-computed_at"], name="opinion_latest")]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign"],
                condition=Q(published_at__isnull=False),
                name="one_published_opinion_groups_per_campaign",
            ),
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | Q(published_by__isnull=False),
                name="published_opinion_groups_have_a_publisher",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} : {self.groups_count} groupe(s), {self.computed_at:%d/%m/%Y %H:%M}"
