from django.db.models import OuterRef, Subquery, Value
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from consultation.actions.statements import cast_vote, propose_statement
from consultation.api import serializers as s
from consultation.api.errors import PAGE_404, error_responses
from consultation.api.filters import StatementFilter
from consultation.api.permissions import LoggedInToWrite
from consultation.api.views._base import UnlistedNeedTheirName, parse_input, resolve_campaign
from consultation.api.visibility import visible_content_q
from consultation.models import Statement, StatementVote
from consultation.models.statements import vote_counts


def _my_vote(user):
    if not user.is_authenticated:
        return Value(None, output_field=StatementVote._meta.get_field("choice"))
    votes = StatementVote.objects.filter(statement=OuterRef("pk"), user=user)
    return Subquery(votes.values("choice")[:1])


@extend_schema_view(
    list=extend_schema(
        summary="Lister les affirmations",
        description="Affirmations publiées (plus vos propositions en attente), avec les nombres "
        "de votes et votre propre vote. Filtrer par « campaign ».",
        responses={
            200: s.StatementSerializer(many=True),
            **error_responses(400, 404, e404=PAGE_404),
        },
    ),
    retrieve=extend_schema(
        summary="Lire une affirmation",
        responses={200: s.StatementSerializer, **error_responses(404)},
    ),
    create=extend_schema(
        summary="Proposer une affirmation",
        description="Elle attend la validation de l'équipe de modération (« pending »), sauf si "
        "vous en faites partie.",
        request=s.StatementInputSerializer,
        responses={
            201: s.StatementSerializer,
            **error_responses(400, 401, 403, e403="Phase fermée aux votes."),
        },
    ),
)
class StatementViewSet(
    UnlistedNeedTheirName, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = s.StatementSerializer
    filterset_class = StatementFilter
    permission_classes = [LoggedInToWrite]
    queryset = Statement.objects.none()

    def get_queryset(self):
        user = self.request.user
        if self.action == "vote":  # the row is enough; counts are read after the vote
            return Statement.objects.filter(visible_content_q(user, "campaign")).select_related(
                "campaign"
            )
        return (
            Statement.objects.filter(visible_content_q(user, "campaign"))
            .with_vote_counts()
            .annotate(my_vote=_my_vote(user))
            .select_related("campaign")
            .order_by("created_at", "id")
        )

    def create(self, request):
        data = parse_input(s.StatementInputSerializer, request.data)
        campaign = resolve_campaign(request.user, data["campaign"])
        statement = propose_statement(request.user, campaign, data["text"])
        rendered = self.get_serializer(self.get_queryset().get(pk=statement.pk))
        return Response(rendered.data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Voter sur une affirmation",
        description="« agree », « disagree » ou « pass ». Voter à nouveau remplace le vote "
        "précédent.",
        request=s.VoteInputSerializer,
        responses={
            200: s.VoteResultSerializer,
            **error_responses(400, 401, 403, 404, e403="Phase fermée aux votes."),
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def vote(self, request, pk=None):
        statement = self.get_object()
        data = parse_input(s.VoteInputSerializer, request.data)
        cast_vote(request.user, statement, s.VOTE_CHOICES[data["choice"]])
        result = {"choice": data["choice"], **vote_counts(statement)}
        return Response(s.VoteResultSerializer(result).data)
