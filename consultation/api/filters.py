"""Explicit query filters of the list endpoints (django-filter). A bad value gives a French 400."""

import django_filters as filters

from consultation.models import Commune, Contribution, OfficialAnswer, Statement, Theme, Workshop
from consultation.models.contributions import Provenance

ORDERINGS = {
    "-created_at": ("-created_at", "-id"),
    "created_at": ("created_at", "id"),
    "-supports_count": ("-supports_count", "-created_at", "-id"),
    "-comments_count": ("-comments_count", "-created_at", "-id"),
}
NO_ANSWER = "none"


class CampaignSlugFilter(filters.FilterSet):
    campaign = filters.CharFilter(
        field_name="campaign__slug", label="Identifiant de la campagne", max_length=80
    )


class ThemeFilter(CampaignSlugFilter):
    class Meta:
        model = Theme
        fields = ["campaign"]


class StatementFilter(CampaignSlugFilter):
    class Meta:
        model = Statement
        fields = ["campaign"]


class WorkshopFilter(CampaignSlugFilter):
    class Meta:
        model = Workshop
        fields = ["campaign"]


class CommuneFilter(filters.FilterSet):
    area = filters.CharFilter(
        field_name="area__slug", label="Identifiant du territoire", max_length=80
    )

    class Meta:
        model = Commune
        fields = ["area"]


class ContributionFilter(CampaignSlugFilter):
    kind = filters.ChoiceFilter(choices=Contribution.Kind.choices, label="Type")
    theme = filters.CharFilter(field_name="theme__slug", label="Identifiant du thème")
    area = filters.CharFilter(field_name="commune__area__slug", label="Identifiant du territoire")
    commune = filters.CharFilter(
        field_name="commune__insee_code", label="Code INSEE de la commune", max_length=5
    )
    answer_status = filters.ChoiceFilter(
        choices=[*OfficialAnswer.Status.choices, (NO_ANSWER, "Sans réponse officielle")],
        method="filter_answer_status",
        label="Statut de la réponse officielle (« none » : sans réponse)",
    )
    provenance = filters.ChoiceFilter(choices=Provenance.choices, label="Provenance")
    q = filters.CharFilter(
        method="filter_search", label="Mots cherchés dans le titre et le texte", max_length=200
    )
    ordering = filters.ChoiceFilter(
        choices=[(key, key) for key in ORDERINGS],
        method="filter_ordering",
        label="Tri (par défaut « -created_at », les plus récentes d'abord)",
    )

    class Meta:
        model = Contribution
        fields = ["campaign", "kind", "theme", "area", "commune", "provenance"]

    def filter_answer_status(self, queryset, name, value):
        if value == NO_ANSWER:
            return queryset.filter(answer__isnull=True)
        return queryset.filter(answer__status=value)

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_ordering(self, queryset, name, value):
        return queryset.order_by(*ORDERINGS[value])
