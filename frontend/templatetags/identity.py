"""Which identity providers (FranceConnect, ProConnect) the login and sign-up pages offer."""

from django import template

from consultation.identity.oidc import enabled_providers

register = template.Library()


@register.simple_tag
def enabled_identity_providers() -> list[str]:
    return enabled_providers()
