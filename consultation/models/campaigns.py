from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    """The administration that runs campaigns (a prefecture, a department, a city)."""

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), max_length=80, unique=True)
    description = models.TextField(_("présentation"), blank=True)
    website = models.URLField(_("site internet"), blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CampaignQuerySet(models.QuerySet):
    def public(self):
        """Campaigns anyone may read: published, closed or archived, and listed."""
        return self.filter(
            status__in=[
                Campaign.Status.PUBLISHED,
                Campaign.Status.CLOSED,
                Campaign.Status.ARCHIVED,
            ],
            visibility=Campaign.Visibility.PUBLIC,
        )

    def readable(self):
        """Campaigns a link may open (public or unlisted, never drafts)."""
        return self.exclude(status=Campaign.Status.DRAFT)


class Campaign(models.Model):
    """A concertation: its context, its phases, what people contributed."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        PUBLISHED = "published", _("Publiée")
        CLOSED = "closed", _("Clôturée")
        ARCHIVED = "archived", _("Archivée")

    class ModerationMode(models.TextChoices):
        PRE = "pre", _("A priori (validation avant publication)")
        POST = "post", _("A posteriori (publication immédiate)")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Publique (listée sur l'accueil)")
        UNLISTED = "unlisted", _("Non listée (accessible par son lien)")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("organisation"),
    )
    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("identifiant"), max_length=80, unique=True)
    summary = models.CharField(_("résumé"), max_length=500)
    context = models.TextField(
        _("contexte"), blank=True, help_text=_("HTML simple : il est nettoyé à l'enregistrement.")
    )
    status = models.CharField(
        _("statut"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    moderation_mode = models.CharField(
        _("modération"),
        max_length=8,
        choices=ModerationMode.choices,
        default=ModerationMode.POST,
    )
    visibility = models.CharField(
        _("visibilité"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    results_visibility = models.CharField(
        _("résultats publics"),
        max_length=16,
        choices=[
            ("after_close", _("À la clôture de la campagne")),
            ("published", _("Dès maintenant")),
            ("hidden", _("Non publiés")),
        ],
        default="after_close",
        help_text=_(
            "Quand la page des résultats (chiffres, synthèse, groupes d'opinion) est publique."
        ),
    )
    report_threshold = models.PositiveSmallIntegerField(
        _("seuil de signalements"),
        default=3,
        help_text=_(
            "Un contenu est masqué automatiquement dès ce nombre de signalements, en attendant "
            "la décision d'un·e modérateur·rice. 0 : jamais automatiquement."
        ),
    )
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    areas = models.ManyToManyField(
        "consultation.Area", blank=True, related_name="campaigns", verbose_name=_("territoires")
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campagne")
        verbose_name_plural = _("campagnes")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="campaign_ends_after_start",
                violation_error_message=_("La fin doit être postérieure au début."),
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("frontend:campaign", kwargs={"slug": self.slug})

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def current_phase(self, now=None):
        """The phase running now, or None between phases. Uses prefetched phases if any."""
        now = now or timezone.now()
        for phase in self.phases.all():
            if phase.starts_at <= now < phase.ends_at:
                return phase
        return None


class Phase(models.Model):
    """A step of a campaign's timeline. Its flags say what residents may do while it runs."""

    class Kind(models.TextChoices):
        INFORMATION = "information", _("Information")
        CONTRIBUTION = "contribution", _("Contributions")
        WORKSHOPS = "workshops", _("Ateliers")
        SYNTHESIS = "synthesis", _("Synthèse")
        RESTITUTION = "restitution", _("Restitution")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="phases", verbose_name=_("campagne")
    )
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("titre"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    allows_contributions = models.BooleanField(_("dépôt de contributions"), default=False)
    allows_comments = models.BooleanField(_("commentaires"), default=False)
    allows_supports = models.BooleanField(_("soutiens"), default=False)
    allows_votes = models.BooleanField(_("votes sur les affirmations"), default=False)

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering = ["campaign", "position", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="phase_ends_after_start",
                violation_error_message=_("La fin doit être postérieure au début."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"

    def is_current(self, now=None) -> bool:
        now = now or timezone.now()
        return self.starts_at <= now < self.ends_at


class CampaignRole(models.Model):
    """What a member of staff may do in one campaign."""

    class Role(models.TextChoices):
        ORGANISER = "organiser", _("Organisateur·rice")
        FACILITATOR = "facilitator", _("Animateur·rice")
        MODERATOR = "moderator", _("Modérateur·rice")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="roles", verbose_name=_("campagne")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="campaign_roles",
        verbose_name=_("compte"),
    )
    role = models.CharField(_("rôle"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("rôle dans une campagne")
        verbose_name_plural = _("rôles dans les campagnes")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "user", "role"],
                name="one_role_row_per_person",
                violation_error_message=_("Cette personne a déjà ce rôle dans la campagne."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} : {self.get_role_display()} ({self.campaign})"
