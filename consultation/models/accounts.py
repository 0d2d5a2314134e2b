from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

DELETED_PARTICIPANT = _("Participant·e supprimé·e")


class AccountQuerySet(models.QuerySet):
    def notifiable(self):
        """Accounts that may be sent notification emails: active, not deleted, and whose
        address was proven theirs (anyone can sign up with someone else's address)."""
        return (
            self.filter(is_active=True, deleted_at__isnull=True, email_verified_at__isnull=False)
            .exclude(email__isnull=True)
            .exclude(email="")
        )


class AccountManager(UserManager.from_queryset(AccountQuerySet)):
    """People log in with their email; the username is not used."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("L'adresse électronique est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person with an account. Publicly known only by `display_name`.

    Deleting an account anonymises the row instead of removing it, so that contributions,
    supports and votes stay counted and are signed "Participant·e supprimé·e".
    """

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("adresse électronique"), unique=True, null=True, blank=True)
    display_name = models.CharField(
        _("nom affiché"),
        max_length=60,
        help_text=_("Le nom sous lequel vos contributions apparaissent publiquement."),
    )
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    # Private: from FranceConnect or ProConnect, or typed by the person; never shown publicly.
    given_name = models.CharField(_("prénom"), max_length=150, blank=True)
    family_name = models.CharField(_("nom de famille"), max_length=150, blank=True)
    # Null until the person proved the address is theirs (link sent by email, or an identity
    # provider vouching for it). Unverified accounts cannot publish and receive no emails.
    email_verified_at = models.DateTimeField(_("adresse vérifiée le"), null=True, blank=True)
    # A new address asked for in "Mon compte": it replaces `email` only once verified.
    pending_email = models.EmailField(_("nouvelle adresse à vérifier"), blank=True)
    deleted_at = models.DateTimeField(_("supprimé le"), null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    objects = AccountManager()

    class Meta:
        verbose_name = _("compte")
        verbose_name_plural = _("comptes")

    def __str__(self) -> str:
        return str(self.public_name)

    @property
    def has_verified_email(self) -> bool:
        return bool(self.email and self.email_verified_at and not self.deleted_at)

    @property
    def public_name(self) -> str:
        if self.deleted_at:
            return str(DELETED_PARTICIPANT)
        return self.display_name

    def get_full_name(self) -> str:
        return self.public_name

    def get_short_name(self) -> str:
        return self.public_name


class ExternalIdentity(models.Model):
    """An account at an OpenID Connect provider (FranceConnect, ProConnect) linked to a local
    account. `subject` is the provider's stable `sub` for this person; never shown."""

    class Provider(models.TextChoices):
        FRANCECONNECT = "franceconnect", "FranceConnect"
        PROCONNECT = "proconnect", "ProConnect"

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="external_identities", verbose_name=_("compte")
    )
    provider = models.CharField(_("fournisseur"), max_length=20, choices=Provider.choices)
    subject = models.CharField(_("identifiant chez le fournisseur"), max_length=255)
    # ProConnect: the agent's organisation (SIRET), as the provider last sent it.
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    created_at = models.DateTimeField(_("lié le"), auto_now_add=True)
    last_login_at = models.DateTimeField(_("dernière connexion"), null=True, blank=True)

    class Meta:
        verbose_name = _("identité externe")
        verbose_name_plural = _("identités externes")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "subject"], name="one_account_per_provider_subject"
            ),
            models.UniqueConstraint(
                fields=["user", "provider"], name="one_identity_per_provider_and_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} ({self.user_id})"
