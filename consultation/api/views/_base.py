from rest_framework import serializers

from consultation.api.visibility import listed_campaigns, readable_campaigns
from consultation.errors import ActionRefused
from consultation.models import Campaign


class UnlistedNeedTheirName:
    """A list without ?campaign= covers listed campaigns only: an unlisted campaign is reached by
    its link, so its content must not show up in a list of everything."""

    campaign_path = "campaign"

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.action == "list" and not self.request.query_params.get("campaign"):
            listed = listed_campaigns(self.request.user).values("pk")
            queryset = queryset.filter(**{f"{self.campaign_path}__in": listed})
        return queryset


def _first_message(errors) -> tuple[str, str]:
    while isinstance(errors, dict | list):
        errors = next(iter(errors.values())) if isinstance(errors, dict) else errors[0]
    return str(errors), getattr(errors, "code", "invalid")


def parse_input(serializer_class: type[serializers.Serializer], data, **context) -> dict:
    """Validate the request's shape; refuse with the first error, prefixed by the field's
    French label ("Titre : Assurez-vous que ce champ comporte au plus 150 caractères.")."""
    serializer = serializer_class(data=data, context=context)
    if serializer.is_valid():
        return serializer.validated_data
    name, errors = next(iter(serializer.errors.items()))
    message, code = _first_message(errors)
    field = serializer.fields.get(name)
    if field is None:  # non_field_errors: the body is not an object
        raise ActionRefused(message, code=code)
    raise ActionRefused(f"{field.label} : {message}", code=code, field=name)


def resolve_campaign(user, slug: str) -> Campaign:
    """The campaign named in a request body; a draft is as unknown as a typo (no leak)."""
    campaign = readable_campaigns(user).filter(slug=slug).first()
    if campaign is None:
        raise ActionRefused(
            f"Campagne : « {slug} » est inconnue.", code="unknown", field="campaign"
        )
    return campaign
