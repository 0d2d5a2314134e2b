"""Moderation: residents' reports, tags, and the append-only log of moderators' decisions."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ModerationReason(models.TextChoices):
    OFF_TOPIC = "off_topic", _("Hors sujet")
    INSULTING = "insulting", _("Propos injurieux, haineux ou discriminatoires")
    PERSONAL_DATA = "personal_data", _("Données personnelles d'un tiers")
    SPAM = "spam", _("Publicité ou spam")
    ILLEGAL = "illegal", _("Contenu illicite")
    OTHER = "other", _("Autre motif")


class TargetKind(models.TextChoices):
    CONTRIBUTION = "contribution", _("Contribution")
    COMMENT = "comment", _("Commentaire")
    STATEMENT = "statement", _("Affirmation")


def _one_target() -> Q:
    contribution = Q(contribution__isnull=False, comment__isnull=True, statement__isnull=True)
    comment = Q(contribution__isnull=True, comment__isnull=False, statement__isnull=True)
    statement = Q(contribution__isnull=True, comment__isnull=True, statement__isnull=False)
    return contribution | comment | statement


class Report(models.Model):
    """A resident flags a piece of content; enough open reports hide it until a decision."""

    campaign = models.ForeignKey(
        "consultation.Campaign",
        on_delete=models.CASCADE,
        related_name="reports",
        verbose_name=_("campagne"),
    )
    contribution = models.ForeignKey(
        "consultation.Contribution", on_delete=models.CASCADE, null=True, related_name="reports"
    )
    comment = models.ForeignKey(
        "consultation.Comment", on_delete=models.CASCADE, null=True, related_name="reports"
    )
    statement = models.ForeignKey(
        "consultation.Statement", on_delete=models.CASCADE, null=True, related_name="reports"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reports",
        verbose_name=_("signalé par"),
    )
    reason = models.CharField(_("motif"), max_length=16, choices=ModerationReason.choices)
    details = models.CharField(_("précisions"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("signalé le"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("traité le"), null=True, blank=True)

    class Meta:
        verbose_name = _("signalement")
        verbose_name_plural = _("signalements")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=_one_target(), name="report_has_one_target"),
            *(
                models.UniqueConstraint(
                    fields=["reporter", name],
                    condition=Q(**{f"{name}__isnull": False}),
                    name=f"one_report_per_person_and_{name}",
                )
                for name in ("contribution", "comment", "statement")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.created_at:%d/%m/%Y})"


class Tag(models.Model):
    """A moderators' label on contributions (e.g. « à vérifier », « hors périmètre »)."""

    campaign = models.ForeignKey(
        "consultation.Campaign",
        on_delete=models.CASCADE,
        related_name="tags",
        verbose_name=_("campagne"),
    )
    name = models.CharField(_("nom"), max_length=60)
    contributions = models.ManyToManyField(
        "consultation.Contribution",
        blank=True,
        related_name="tags",
        verbose_name=_("contributions"),
    )

    class Meta:
        verbose_name = _("étiquette")
        verbose_name_plural = _("étiquettes")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="one_tag_name_per_campaign")
        ]

    def __str__(self) -> str:
        return self.name


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Le journal de modération ne se modifie pas.")

    def delete(self):
        raise PermissionError("Le journal de modération ne s'efface pas.")


class ModerationDecision(models.Model):
    """One line of the moderation log: who decided what, on what, when and why.

    Append-only: rows are never updated nor deleted (the ORM refuses it here, and PostgreSQL
    refuses it with a trigger). The target is kept as kind + id + excerpt so that the log stays
    readable whatever happens to the content later.
    """

    class Action(models.TextChoices):
        APPROVE = "approve", _("Validé")
        HIDE = "hide", _("Masqué")
        AUTO_HIDE = "auto_hide", _("Masqué automatiquement (signalements)")
        RESTORE = "restore", _("Rétabli")
        TAG = "tag", _("Étiqueté")
        ASSIGN_THEME = "assign_theme", _("Thème attribué")
        MERGE = "merge", _("Fusionné")
        UNMERGE = "unmerge", _("Fusion annulée")

    campaign = models.ForeignKey(
        "consultation.Campaign",
        on_delete=models.PROTECT,
        related_name="moderation_log",
        verbose_name=_("campagne"),
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
        help_text=_("Vide quand la plateforme a décidé seule (seuil de signalements)."),
    )
    action = models.CharField(_("décision"), max_length=16, choices=Action.choices)
    target_kind = models.CharField(_("type de contenu"), max_length=16, choices=TargetKind.choices)
    target_id = models.PositiveBigIntegerField(_("numéro du contenu"))
    target_excerpt = models.CharField(_("extrait"), max_length=200)
    reason = models.CharField(
        _("motif"), max_length=16, choices=ModerationReason.choices, blank=True
    )
    note = models.CharField(_("commentaire"), max_length=500, blank=True)
    data = models.JSONField(_("détails"), default=dict, blank=True)
    created_at = models.DateTimeField(_("le"), auto_now_add=True, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("décision de modération")
        verbose_name_plural = _("journal de modération")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_kind", "target_id"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} : {self.target_excerpt[:40]}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Le journal de modération ne se modifie pas.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Le journal de modération ne s'efface pas.")


class Merge(models.Model):
    """A duplicate merged into another contribution, traceably and reversibly.

    The merged contribution stays readable and points to the result. Its supporters are not
    moved: each one's support is added to the result once (`added_supports` lists those this
    merge created), so undoing the merge removes exactly those and nothing else.
    """

    campaign = models.ForeignKey(
        "consultation.Campaign", on_delete=models.CASCADE, related_name="merges"
    )
    result = models.ForeignKey(
        "consultation.Contribution",
        on_delete=models.PROTECT,
        related_name="merges_in",
        verbose_name=_("contribution conservée"),
    )
    merged = models.ForeignKey(
        "consultation.Contribution",
        on_delete=models.PROTECT,
        related_name="merges_out",
        verbose_name=_("contribution fusionnée"),
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("par")
    )
    added_supports = models.JSONField(default=list)
    added_follows = models.JSONField(default=list)
    created_at = models.DateTimeField(_("fusionnée le"), auto_now_add=True)
    undone_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("annulée par"),
    )

    class Meta:
        verbose_name = _("fusion")
        verbose_name_plural = _("fusions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merged"],
                condition=Q(undone_at__isnull=True),
                name="merged_once_at_a_time",
            ),
            models.CheckConstraint(
                condition=~Q(result=models.F("merged")), name="merge_into_another"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.result_id}"
