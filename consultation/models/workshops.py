from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class WorkshopQuerySet(models.QuerySet):
    def with_registration_counts(self):
        return self.annotate(
            confirmed_count=Count(
                "registrations", filter=Q(registrations__status=Registration.Status.CONFIRMED)
            ),
            waiting_count=Count(
                "registrations", filter=Q(registrations__status=Registration.Status.WAITING)
            ),
        )


class Workshop(models.Model):
    """An in-person meeting of a campaign, with a capacity and a waiting list."""

    class Audience(models.TextChoices):
        EVERYONE = "everyone", _("Tout public")
        FARMERS = "farmers", _("Agriculteurs et agricultrices")
        ELECTED = "elected", _("Élu·es")
        PROFESSIONALS = "professionals", _("Professionnel·les")
        YOUTH = "youth", _("Jeunes")

    campaign = models.ForeignKey(
        "consultation.Campaign",
        on_delete=models.CASCADE,
        related_name="workshops",
        verbose_name=_("campagne"),
    )
    title = models.CharField(_("titre"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    audience = models.CharField(
        _("public"), max_length=16, choices=Audience.choices, default=Audience.EVERYONE
    )
    venue = models.CharField(_("lieu"), max_length=200)
    address = models.CharField(_("adresse"), max_length=300, blank=True)
    commune = models.ForeignKey(
        "consultation.Commune",
        on_delete=models.PROTECT,
        related_name="workshops",
        verbose_name=_("commune"),
    )
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    capacity = models.PositiveIntegerField(_("nombre de places"))
    registrations_open = models.BooleanField(_("inscriptions ouvertes"), default=True)
    waiting_list = models.BooleanField(_("liste d'attente"), default=True)

    objects = WorkshopQuerySet.as_manager()

    class Meta:
        verbose_name = _("atelier")
        verbose_name_plural = _("ateliers")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="workshop_ends_after_start",
                violation_error_message=_("La fin doit être postérieure au début."),
            ),
            models.CheckConstraint(
                condition=Q(capacity__gt=0),
                name="workshop_has_places",
                violation_error_message=_("Un atelier doit avoir au moins une place."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("frontend:workshop", kwargs={"slug": self.campaign.slug, "pk": self.pk})


class Registration(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Inscription confirmée")
        WAITING = "waiting", _("Sur liste d'attente")
        CANCELLED = "cancelled", _("Annulée")

    workshop = models.ForeignKey(
        Workshop,
        on_delete=models.CASCADE,
        related_name="registrations",
        verbose_name=_("atelier"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="registrations",
        verbose_name=_("compte"),
    )
    status = models.CharField(_("statut"), max_length=16, choices=Status.choices)
    created_at = models.DateTimeField(_("inscrit·e le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workshop", "user"], name="one_registration_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.user} : {self.get_status_display()}"
