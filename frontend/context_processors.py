"""Values every page's layout needs, computed lazily so a page that does not show them pays
no query."""

from types import SimpleNamespace

from django.conf import settings
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from consultation.models import Campaign

# RGAA: the footer states how far the site complies. No audit has been run yet: "non".
ACCESSIBILITY_STATUS_LABELS = {
    "NON": _("non conforme"),
    "PARTIAL": _("partiellement conforme"),
    "FULL": _("totalement conforme"),
}

# django-dsfr's own context processor reads a DsfrConfig row on every request (two queries
# when none exists). The layout takes its few values from settings.DSFR_CONFIG instead: pages
# work on a fresh database and query counts do not depend on what an admin configured.
SITE_DEFAULTS = {
    "site_title": _("Concertation citoyenne"),
    "site_tagline": _("Préfecture du Pas-de-Calais"),
    "header_brand_html": "Préfet<br>du Pas-de-Calais",
    "footer_brand_html": "Préfet<br>du Pas-de-Calais",
    "accessibility_status": "NON",
    "mourning": False,
}


def _campaigns_in_menu() -> list:
    return list(Campaign.objects.public().only("slug", "title").order_by("-starts_at")[:5])


def site_config() -> SimpleNamespace:
    config = {**SITE_DEFAULTS, **getattr(settings, "DSFR_CONFIG", {})}
    config["accessibility_status_label"] = ACCESSIBILITY_STATUS_LABELS.get(
        config["accessibility_status"], ACCESSIBILITY_STATUS_LABELS["NON"]
    )
    return SimpleNamespace(**config)


def layout(request) -> dict:
    return {
        "SITE_CONFIG": site_config(),
        # One query, run only when the template shows the menu.
        "menu_campaigns": SimpleLazyObject(_campaigns_in_menu),
    }
