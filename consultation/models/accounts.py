from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

DELETED_PARTICIPANT = _("Participant·e supprimé·e")


class AccountManager(UserManager):
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
    def public_name(self) -> str:
        if self.deleted_at:
            return str(DELETED_PARTICIPANT)
        return self.display_name

    def get_full_name(self) -> str:
        return self.public_name

    def get_short_name(self) -> str:
        return self.public_name
