from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from consultation.api import serializers as s
from consultation.api.errors import PAGE_404, error_responses
from consultation.api.filters import CommuneFilter, ThemeFilter
from consultation.api.views._base import UnlistedNeedTheirName
from consultation.api.visibility import listed_campaigns, readable_campaign_q, readable_campaigns
from consultation.models import Area, Commune, Phase, Theme


@extend_schema_view(
    list=extend_schema(
        summary="Lister les campagnes",
        description="Campagnes publiques (publiées, clôturées ou archivées), plus les campagnes "
        "où vous avez un rôle. Chacune avec ses phases, ses thèmes et sa phase en cours.",
        responses={200: s.CampaignSerializer(many=True), **error_responses(404, e404=PAGE_404)},
    ),
    retrieve=extend_schema(
        summary="Lire une campagne",
        description="Une campagne par son identifiant. Une campagne en brouillon est introuvable "
        "(404) sauf pour son équipe.",
        responses={200: s.CampaignSerializer, **error_responses(404)},
    ),
)
class CampaignViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.CampaignSerializer
    lookup_field = "slug"
    filter_backends: list = []

    def get_queryset(self):
        user = self.request.user
        base = readable_campaigns(user) if self.action == "retrieve" else listed_campaigns(user)
        return base.select_related("organisation").prefetch_related(
            Prefetch("phases", queryset=Phase.objects.order_by("position", "starts_at")),
            "themes",
            "areas",
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}


@extend_schema_view(
    list=extend_schema(
        summary="Lister les thèmes",
        description="Thèmes des campagnes visibles ; filtrer par « campaign ».",
        responses={200: s.ThemeSerializer(many=True), **error_responses(400, 404, e404=PAGE_404)},
    ),
)
class ThemeViewSet(UnlistedNeedTheirName, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ThemeSerializer
    filterset_class = ThemeFilter
    queryset = Theme.objects.none()

    def get_queryset(self):
        return (
            Theme.objects.filter(readable_campaign_q(self.request.user, prefix="campaign__"))
            .select_related("campaign")
            .order_by("campaign_id", "position", "name")
        )


@extend_schema_view(
    list=extend_schema(
        summary="Lister les territoires",
        description="Bassins versants, intercommunalités et arrondissements.",
        responses={200: s.AreaSerializer(many=True), **error_responses(404, e404=PAGE_404)},
    ),
)
class AreaViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.AreaSerializer
    queryset = Area.objects.order_by("name", "pk")
    filter_backends: list = []


@extend_schema_view(
    list=extend_schema(
        summary="Lister les communes",
        description="Communes, avec leur territoire ; filtrer par « area » (identifiant).",
        responses={200: s.CommuneSerializer(many=True), **error_responses(400, 404, e404=PAGE_404)},
    ),
)
class CommuneViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.CommuneSerializer
    queryset = Commune.objects.select_related("area").order_by("name", "pk")
    filterset_class = CommuneFilter
