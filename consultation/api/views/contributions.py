from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from consultation.actions.answers import answer_contribution
from consultation.actions.comments import post_comment
from consultation.actions.contributions import submit_contribution
from consultation.actions.follows import follow, unfollow
from consultation.actions.supports import add_support, remove_support
from consultation.api import serializers as s
from consultation.api.errors import PAGE_404, error_responses
from consultation.api.filters import ContributionFilter
from consultation.api.pagination import StandardPagination
from consultation.api.permissions import LoggedInToWrite
from consultation.api.views._base import UnlistedNeedTheirName, parse_input, resolve_campaign
from consultation.api.visibility import visible_content_q
from consultation.errors import ActionRefused
from consultation.models import Comment, Commune, Contribution, Theme
from consultation.models.contributions import supports_count


def _resolve_targets(user, data: dict) -> dict:
    """Turn the slugs and INSEE code of a new contribution into rows of the right campaign."""
    campaign = resolve_campaign(user, data["campaign"])
    theme = commune = None
    if data.get("theme"):
        theme = Theme.objects.filter(campaign=campaign, slug=data["theme"]).first()
        if theme is None:
            raise ActionRefused(
                f"Thème : « {data['theme']} » n'est pas un thème de cette campagne.",
                code="foreign_theme",
                field="theme",
            )
    if data.get("commune"):
        commune = Commune.objects.filter(insee_code=data["commune"]).first()
        if commune is None:
            raise ActionRefused(
                f"Commune : aucune commune n'a le code INSEE « {data['commune']} ».",
                code="unknown",
                field="commune",
            )
    return {"campaign": campaign, "theme": theme, "commune": commune}


def _resolve_parent(parent_id: int | None) -> Comment | None:
    if parent_id is None:
        return None
    parent = Comment.objects.filter(pk=parent_id).select_related("parent__parent__parent").first()
    if parent is None:
        raise ActionRefused(
            f"En réponse à : le commentaire n° {parent_id} n'existe pas.",
            code="unknown",
            field="parent",
        )
    return parent


@extend_schema_view(
    list=extend_schema(
        summary="Lister les contributions",
        description="Contributions publiées des campagnes visibles (plus les vôtres en attente de "
        "modération, et celles de vos campagnes si vous êtes de l'équipe), 20 par page.",
        responses={
            200: s.ContributionSerializer(many=True),
            **error_responses(400, 404, e404=PAGE_404),
        },
    ),
    retrieve=extend_schema(
        summary="Lire une contribution",
        description="Avec ses nombres de soutiens et de commentaires et la réponse officielle.",
        responses={200: s.ContributionSerializer, **error_responses(404)},
    ),
    create=extend_schema(
        summary="Déposer une contribution",
        description="Proposition, question ou témoignage, pendant une phase de contributions. "
        "En modération a priori, elle reste « pending » jusqu'à validation.",
        request=s.ContributionInputSerializer,
        responses={
            201: s.ContributionSerializer,
            **error_responses(
                400,
                401,
                403,
                e403="Campagne ou phase fermée aux contributions.",
            ),
        },
    ),
)
class ContributionViewSet(
    UnlistedNeedTheirName,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.ContributionSerializer
    filterset_class = ContributionFilter
    permission_classes = [LoggedInToWrite]
    queryset = Contribution.objects.none()

    # Actions on one contribution need the row and its campaign, not the listing's counts and
    # joins: compiling and running those cost most of a vote's time (bench/votes).
    ROW_ONLY_ACTIONS = frozenset({"support", "follow", "comments", "answer"})

    def get_queryset(self):
        visible = visible_content_q(self.request.user, "campaign")
        rows = Contribution.objects.filter(visible).select_related("campaign")
        if self.action in self.ROW_ONLY_ACTIONS:
            return rows
        return rows.for_listing()

    def create(self, request):
        data = parse_input(s.ContributionInputSerializer, request.data)
        targets = _resolve_targets(request.user, data)
        contribution = submit_contribution(
            request.user,
            targets.pop("campaign"),
            kind=data["kind"],
            title=data["title"],
            body=data["body"],
            **targets,
        )
        rendered = self.get_serializer(self.get_queryset().get(pk=contribution.pk))
        return Response(rendered.data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["POST"],
        summary="Soutenir une proposition",
        description="201 si le soutien est ajouté, 200 s'il existait déjà.",
        request=None,
        responses={
            201: s.SupportResultSerializer,
            200: s.SupportResultSerializer,
            **error_responses(
                401, 403, 404, e403="Pas une proposition, ou phase fermée aux soutiens."
            ),
        },
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Retirer son soutien",
        request=None,
        responses={
            204: OpenApiResponse(description="Soutien retiré (ou absent)."),
            **error_responses(401, 403, 404, e403="Phase fermée aux soutiens."),
        },
    )
    @action(detail=True, methods=["post", "delete"], filter_backends=[])
    def support(self, request, pk=None):
        contribution = self.get_object()
        if request.method == "DELETE":
            remove_support(request.user, contribution)
            return Response(status=status.HTTP_204_NO_CONTENT)
        added = add_support(request.user, contribution)
        count = supports_count(contribution)
        body = s.SupportResultSerializer({"supported": True, "supports_count": count}).data
        return Response(body, status=status.HTTP_201_CREATED if added else status.HTTP_200_OK)

    @extend_schema(
        methods=["POST"],
        summary="Suivre une contribution",
        description="Être prévenu·e par courriel de la réponse officielle. 201 si ajouté, 200 si "
        "déjà suivi.",
        request=None,
        responses={
            201: s.FollowResultSerializer,
            200: s.FollowResultSerializer,
            **error_responses(401, 403, 404),
        },
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Ne plus suivre une contribution",
        request=None,
        responses={
            204: OpenApiResponse(description="Suivi arrêté (ou absent)."),
            **error_responses(401, 404),
        },
    )
    @action(detail=True, methods=["post", "delete"], filter_backends=[])
    def follow(self, request, pk=None):
        contribution = self.get_object()
        if request.method == "DELETE":
            unfollow(request.user, contribution)
            return Response(status=status.HTTP_204_NO_CONTENT)
        added = follow(request.user, contribution)
        body = s.FollowResultSerializer({"following": True}).data
        return Response(body, status=status.HTTP_201_CREATED if added else status.HTTP_200_OK)

    @extend_schema(
        methods=["GET"],
        summary="Lister les commentaires",
        description="Fil à plat, du plus ancien au plus récent ; « parent » indique le "
        "commentaire auquel on répond (trois niveaux de réponse au plus). 20 par page.",
        request=None,
        responses={200: s.CommentPageSerializer, **error_responses(404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Commenter",
        description="Position « for », « against » ou « neutral » (par défaut).",
        request=s.CommentInputSerializer,
        responses={
            201: s.CommentSerializer,
            **error_responses(400, 401, 403, 404, e403="Phase fermée aux commentaires."),
        },
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def comments(self, request, pk=None):
        contribution = self.get_object()
        if request.method == "POST":
            data = parse_input(s.CommentInputSerializer, request.data)
            comment = post_comment(
                request.user,
                contribution,
                body=data["body"],
                alignment=s.ALIGNMENTS[data["alignment"]],
                parent=_resolve_parent(data.get("parent")),
            )
            return Response(s.CommentSerializer(comment).data, status=status.HTTP_201_CREATED)
        comments = (
            contribution.comments.filter(visible_content_q(request.user, "contribution__campaign"))
            .select_related("author")
            .order_by("created_at", "id")
        )
        paginator = StandardPagination()
        page = paginator.paginate_queryset(comments, request, view=self)
        return paginator.get_paginated_response(s.CommentSerializer(page, many=True).data)

    @extend_schema(
        summary="Répondre officiellement",
        description="Écrit ou remplace la réponse officielle (équipe organisatrice seulement). "
        "L'auteur·rice et les personnes qui suivent la contribution sont prévenu·es.",
        request=s.AnswerInputSerializer,
        responses={
            200: s.AnswerSerializer,
            **error_responses(
                400, 401, 403, 404, e403="Seule l'équipe organisatrice peut répondre."
            ),
        },
    )
    @action(detail=True, methods=["put"], filter_backends=[])
    def answer(self, request, pk=None):
        contribution = self.get_object()
        data = parse_input(s.AnswerInputSerializer, request.data)
        answer = answer_contribution(
            request.user, contribution, status=data["status"], body=data["body"]
        )
        return Response(s.AnswerSerializer(answer).data)
