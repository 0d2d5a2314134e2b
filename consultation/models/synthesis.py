"""The synthesis: per theme, text in which every claim cites its sources; versions are kept."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

SYNTHESIS_MAX_LENGTH = 20_000


class SynthesisSection(models.Model):
    """One part of a campaign's synthesis, usually one automatic theme."""

    campaign = models.ForeignKey(
        "consultation.Campaign",
        on_delete=models.CASCADE,
        related_name="synthesis_sections",
        verbose_name=_("campagne"),
    )
    topic = models.ForeignKey(
        "consultation.Topic",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="synthesis_sections",
        verbose_name=_("thème"),
    )
    title = models.CharField(_("titre"), max_length=200)
    position = models.PositiveIntegerField(_("ordre"), default=0)
    published_version = models.ForeignKey(
        "consultation.SynthesisVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("version publiée"),
    )
    published_at = models.DateTimeField(_("publiée le"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("publiée par"),
    )

    class Meta:
        verbose_name = _("partie de la synthèse")
        verbose_name_plural = _("parties de la synthèse")
        ordering = ["campaign", "position", "id"]

    def __str__(self) -> str:
        return self.title


class SynthesisVersion(models.Model):
    """A saved text of a section. Never edited: saving again makes a new version."""

    section = models.ForeignKey(
        SynthesisSection,
        on_delete=models.CASCADE,
        related_name="versions",
        verbose_name=_("partie"),
    )
    number = models.PositiveIntegerField(_("version"))
    body = models.TextField(_("texte"), max_length=SYNTHESIS_MAX_LENGTH)
    citations = models.JSONField(_("sources citées"), default=list)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("rédigée par"),
    )
    created_at = models.DateTimeField(_("enregistrée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("version de synthèse")
        verbose_name_plural = _("versions de synthèse")
        ordering = ["section", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["section", "number"], name="one_synthesis_version_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.section} v{self.number}"
