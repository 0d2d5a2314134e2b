from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from consultation.models.accounts import DELETED_PARTICIPANT

TITLE_MAX_LENGTH = 150
BODY_MAX_LENGTH = 5000
COMMENT_MAX_LENGTH = 2000
# Supports and statement votes are tallied in this many rows per item (shard = user_id % 32), so
# that concurrent voters on one hot item rarely wait for the same row.
TALLY_SHARDS = 32


class Provenance(models.TextChoices):
    ONLINE = "online", _("En ligne")
    WORKSHOP = "workshop", _("Atelier")
    PAPER = "paper", _("Papier")
    IMPORT = "import", _("Import")


class Visibility(models.TextChoices):
    """Where a piece of content stands in moderation."""

    PENDING = "pending", _("En attente de modération")
    PUBLISHED = "published", _("Publiée")
    HIDDEN = "hidden", _("Masquée")


def _count_of(model, field: str, **filters):
    """A correlated COUNT(*) subquery: exact, and one query for a whole page of rows."""
    rows = (
        model.objects.filter(**{field: OuterRef("pk")}, **filters)
        .order_by()
        .values(field)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(rows), Value(0))


def sum_of_tallies(model, field: str, column: str):
    """A correlated SUM over an item's tally shards: exact, and at most TALLY_SHARDS rows read
    from the unique index, however many supports or votes the item has."""
    rows = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(total=Sum(column))
        .values("total")
    )
    return Coalesce(Subquery(rows), Value(0))


class ContributionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(visibility=Visibility.PUBLISHED)

    def unmerged(self):
        """Without the duplicates merged into another contribution (they stay readable)."""
        return self.filter(merged_into__isnull=True)

    def visible_to(self, user):
        """Published contributions, plus the person's own ones still awaiting moderation."""
        if user.is_authenticated:
            return self.filter(
                Q(visibility=Visibility.PUBLISHED) | Q(visibility=Visibility.PENDING, author=user)
            )
        return self.published()

    def with_counts(self):
        return self.annotate(
            supports_count=sum_of_tallies(SupportTally, "contribution", "n"),
            comments_count=_count_of(Comment, "contribution", visibility=Visibility.PUBLISHED),
        )

    def for_listing(self):
        return self.select_related(
            "author", "theme", "commune", "commune__area", "answer", "workshop"
        ).with_counts()

    def search(self, text: str):
        words = text.split()
        query = Q()
        for word in words[:10]:
            query &= Q(title__icontains=word) | Q(body__icontains=word)
        return self.filter(query)


class Contribution(models.Model):
    """What a person brings to a campaign: a proposal, a question or a testimony."""

    class Kind(models.TextChoices):
        PROPOSAL = "proposal", _("Proposition")
        QUESTION = "question", _("Question")
        TESTIMONY = "testimony", _("Témoignage")
        DEBATE = "debate", _("Débat")

    campaign = models.ForeignKey(
        "consultation.Campaign",
        on_delete=models.CASCADE,
        related_name="contributions",
        verbose_name=_("campagne"),
    )
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("titre"), max_length=TITLE_MAX_LENGTH)
    body = models.TextField(_("texte"), max_length=BODY_MAX_LENGTH)
    theme = models.ForeignKey(
        "consultation.Theme",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contributions",
        verbose_name=_("thème"),
    )
    commune = models.ForeignKey(
        "consultation.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contributions",
        verbose_name=_("commune"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contributions",
        verbose_name=_("auteur·rice"),
    )
    author_label = models.CharField(
        _("signature"),
        max_length=120,
        blank=True,
        help_text=_("Pour les contributions sans compte : atelier, papier, import."),
    )
    visibility = models.CharField(
        _("modération"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLISHED
    )
    provenance = models.CharField(
        _("provenance"), max_length=16, choices=Provenance.choices, default=Provenance.ONLINE
    )
    workshop = models.ForeignKey(
        "consultation.Workshop",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contributions",
        verbose_name=_("atelier d'origine"),
    )
    external_ref = models.CharField(
        _("référence externe"),
        max_length=120,
        blank=True,
        help_text=_("Identifiant d'origine pour les contributions importées."),
    )
    topic = models.ForeignKey(
        "consultation.Topic",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contributions",
        verbose_name=_("thème automatique"),
    )
    topic_pinned = models.BooleanField(
        _("placée par la modération"),
        default=False,
        help_text=_("Un nouveau regroupement automatique ne la déplace plus."),
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_items",
        verbose_name=_("fusionnée dans"),
        help_text=_("Une contribution fusionnée reste lisible et renvoie vers celle-ci."),
    )
    origin = models.JSONField(
        _("détails de provenance"),
        default=dict,
        blank=True,
        help_text=_("Pour une contribution d'atelier : session, table, étape, gommettes."),
    )
    created_at = models.DateTimeField(_("déposée le"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    objects = ContributionQuerySet.as_manager()

    class Meta:
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        ordering = ["-created_at", "-id"]
        # Same columns and directions as the default ordering, so the campaign page reads its
        # first 20 rows from the index instead of joining and sorting every contribution.
        indexes = [
            models.Index(
                fields=["campaign", "visibility", "-created_at", "-id"],
                name="contribution_listing_idx",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "external_ref"],
                condition=~Q(external_ref=""),
                name="contribution_external_ref_per_campaign",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("frontend:contribution", kwargs={"slug": self.campaign.slug, "pk": self.pk})

    @property
    def signature(self) -> str:
        if self.author_id:
            return self.author.public_name
        return self.author_label or str(DELETED_PARTICIPANT)


class Comment(models.Model):
    class Alignment(models.IntegerChoices):
        FOR = 1, _("Pour")
        NEUTRAL = 0, _("Neutre")
        AGAINST = -1, _("Contre")

    contribution = models.ForeignKey(
        Contribution,
        on_delete=models.CASCADE,
        related_name="comments",
        verbose_name=_("contribution"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name=_("en réponse à"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
        verbose_name=_("auteur·rice"),
    )
    author_label = models.CharField(_("signature"), max_length=120, blank=True)
    body = models.TextField(_("texte"), max_length=COMMENT_MAX_LENGTH)
    alignment = models.SmallIntegerField(
        _("position"), choices=Alignment.choices, default=Alignment.NEUTRAL
    )
    visibility = models.CharField(
        _("modération"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLISHED
    )
    external_ref = models.CharField(_("référence externe"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("publié le"), auto_now_add=True)

    class Meta:
        verbose_name = _("commentaire")
        verbose_name_plural = _("commentaires")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["contribution", "created_at"])]

    def __str__(self) -> str:
        return self.body[:60]

    @property
    def campaign(self):
        return self.contribution.campaign

    @property
    def signature(self) -> str:
        if self.author_id:
            return self.author.public_name
        return self.author_label or str(DELETED_PARTICIPANT)


class Support(models.Model):
    """One person's support for one proposal. Exactness comes from the unique constraint."""

    contribution = models.ForeignKey(
        Contribution,
        on_delete=models.CASCADE,
        related_name="supports",
        verbose_name=_("contribution"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="supports",
        verbose_name=_("compte"),
    )
    created_at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        verbose_name = _("soutien")
        verbose_name_plural = _("soutiens")
        constraints = [
            models.UniqueConstraint(fields=["contribution", "user"], name="one_support_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.contribution}"


class SupportTally(models.Model):
    """How many supports a contribution has, split over TALLY_SHARDS rows by user_id.

    Written only by database triggers on the support table (migration 0011), so every writer,
    raw SQL and cascades included, keeps it exact; nothing in Python writes it."""

    contribution = models.ForeignKey(
        Contribution,
        on_delete=models.CASCADE,
        related_name="support_tallies",
        db_index=False,  # the unique constraint's index starts with it
    )
    shard = models.SmallIntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("décompte de soutiens")
        verbose_name_plural = _("décomptes de soutiens")
        constraints = [
            models.UniqueConstraint(
                fields=["contribution", "shard"], name="one_support_tally_per_shard"
            ),
            models.CheckConstraint(
                condition=Q(shard__gte=0, shard__lt=TALLY_SHARDS),
                name="support_tally_shard_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contribution_id}/{self.shard} : {self.n}"


def supports_count(contribution: Contribution) -> int:
    """The contribution's number of supports, read from its tallies (one query)."""
    total = SupportTally.objects.filter(contribution=contribution).aggregate(total=Sum("n"))
    return total["total"] or 0


class Follow(models.Model):
    """A person asked to be told what becomes of a contribution."""

    contribution = models.ForeignKey(
        Contribution,
        on_delete=models.CASCADE,
        related_name="follows",
        verbose_name=_("contribution"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="follows",
        verbose_name=_("compte"),
    )
    created_at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        verbose_name = _("suivi")
        verbose_name_plural = _("suivis")
        constraints = [
            models.UniqueConstraint(fields=["contribution", "user"], name="one_follow_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.user} suit {self.contribution}"


class OfficialAnswer(models.Model):
    """The prefecture's answer to a contribution. Every edit is kept (simple-history)."""

    class Status(models.TextChoices):
        UNDER_REVIEW = "under_review", _("À l'étude")
        ACCEPTED = "accepted", _("Retenue")
        PARTIALLY_ACCEPTED = "partially_accepted", _("Partiellement retenue")
        REJECTED = "rejected", _("Non retenue")
        ALREADY_DONE = "already_done", _("Déjà en place")

    contribution = models.OneToOneField(
        Contribution,
        on_delete=models.CASCADE,
        related_name="answer",
        verbose_name=_("contribution"),
    )
    status = models.CharField(_("statut"), max_length=24, choices=Status.choices)
    body = models.TextField(_("réponse"), max_length=BODY_MAX_LENGTH)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rédigée par"),
    )
    published_at = models.DateTimeField(_("publiée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("réponse officielle")
        verbose_name_plural = _("réponses officielles")

    def __str__(self) -> str:
        return f"{self.get_status_display()} : {self.contribution}"
