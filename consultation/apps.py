from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationConfig(AppConfig):
    name = "consultation"
    verbose_name = _("Concertation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Connects the login throttle's signal receivers (failures counted, success resets).
        from consultation.identity import throttle  # noqa: F401
