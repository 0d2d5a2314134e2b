from django.db.models import CharField, OuterRef, Subquery, Value
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from consultation.actions.workshops import cancel_registration, register
from consultation.api import serializers as s
from consultation.api.errors import PAGE_404, error_responses
from consultation.api.filters import WorkshopFilter
from consultation.api.permissions import LoggedIn
from consultation.api.views._base import UnlistedNeedTheirName
from consultation.api.visibility import readable_campaign_q
from consultation.models import Registration, Workshop


def _my_registration(user):
    if not user.is_authenticated:
        return Value(None, output_field=CharField())
    rows = Registration.objects.filter(workshop=OuterRef("pk"), user=user)
    return Subquery(rows.values("status")[:1])


def _holds_registration(user, workshop: Workshop) -> bool:
    rows = Registration.objects.filter(workshop=workshop, user=user)
    return rows.exclude(status=Registration.Status.CANCELLED).exists()


@extend_schema_view(
    list=extend_schema(
        summary="Lister les ateliers",
        description="Ateliers des campagnes visibles, avec les places confirmées, la liste "
        "d'attente, les places restantes et votre inscription. Filtrer par « campaign ».",
        responses={
            200: s.WorkshopSerializer(many=True),
            **error_responses(400, 404, e404=PAGE_404),
        },
    ),
    retrieve=extend_schema(
        summary="Lire un atelier",
        responses={200: s.WorkshopSerializer, **error_responses(404)},
    ),
)
class WorkshopViewSet(UnlistedNeedTheirName, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.WorkshopSerializer
    filterset_class = WorkshopFilter
    queryset = Workshop.objects.none()

    def get_queryset(self):
        user = self.request.user
        return (
            Workshop.objects.filter(readable_campaign_q(user, prefix="campaign__"))
            .with_registration_counts()
            .annotate(my_registration=_my_registration(user))
            .select_related("campaign", "commune")
            .order_by("starts_at", "id")
        )

    @extend_schema(
        methods=["POST"],
        summary="S'inscrire à un atelier",
        description="Donne une place confirmée, ou une place sur liste d'attente quand l'atelier "
        "est complet. 201 pour une nouvelle inscription, 200 si vous étiez déjà inscrit·e.",
        request=None,
        responses={
            201: s.RegistrationResultSerializer,
            200: s.RegistrationResultSerializer,
            **error_responses(
                400,
                401,
                403,
                404,
                e400="Atelier complet et sans liste d'attente.",
                e403="Inscriptions fermées, atelier passé ou campagne fermée.",
            ),
        },
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Annuler son inscription",
        description="Libère la place : la première personne en liste d'attente l'obtient et "
        "en est prévenue par courriel.",
        request=None,
        responses={
            204: OpenApiResponse(description="Inscription annulée (ou absente)."),
            **error_responses(401, 404),
        },
    )
    @action(
        detail=True, methods=["post", "delete"], permission_classes=[LoggedIn], filter_backends=[]
    )
    def registration(self, request, pk=None):
        workshop = self.get_object()
        if request.method == "DELETE":
            cancel_registration(request.user, workshop)
            return Response(status=status.HTTP_204_NO_CONTENT)
        existed = _holds_registration(request.user, workshop)
        registration = register(request.user, workshop)
        result = {"status": registration.status, "workshop": self.get_queryset().get(pk=pk)}
        body = s.RegistrationResultSerializer(result, context={"request": request}).data
        return Response(body, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)
