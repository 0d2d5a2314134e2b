from django.db import models
from django.utils.translation import gettext_lazy as _


class Area(models.Model):
    """A grouping of communes: a river basin, an intercommunality, a district."""

    class Kind(models.TextChoices):
        RIVER_BASIN = "river_basin", _("Bassin versant")
        INTERCOMMUNALITY = "intercommunality", _("Intercommunalité")
        DISTRICT = "district", _("Arrondissement")

    name = models.CharField(_("nom"), max_length=120)
    slug = models.SlugField(_("identifiant"), max_length=80, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("territoire")
        verbose_name_plural = _("territoires")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Commune(models.Model):
    insee_code = models.CharField(_("code INSEE"), max_length=5, unique=True)
    name = models.CharField(_("nom"), max_length=120)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="communes", verbose_name=_("territoire")
    )

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.insee_code})"


class Theme(models.Model):
    campaign = models.ForeignKey(
        "consultation.Campaign",
        on_delete=models.CASCADE,
        related_name="themes",
        verbose_name=_("campagne"),
    )
    name = models.CharField(_("nom"), max_length=120)
    slug = models.SlugField(_("identifiant"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("thème")
        verbose_name_plural = _("thèmes")
        ordering = ["campaign", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "slug"], name="theme_slug_per_campaign")
        ]

    def __str__(self) -> str:
        return self.name
