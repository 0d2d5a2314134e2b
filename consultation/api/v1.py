from django.urls import path
from rest_framework.routers import DefaultRouter

from consultation.api.views.auth import TokenView
from consultation.api.views.campaigns import (
    AreaViewSet,
    CampaignViewSet,
    CommuneViewSet,
    ThemeViewSet,
)
from consultation.api.views.contributions import ContributionViewSet
from consultation.api.views.statements import StatementViewSet
from consultation.api.views.workshops import WorkshopViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("themes", ThemeViewSet, basename="theme")
router.register("areas", AreaViewSet, basename="area")
router.register("communes", CommuneViewSet, basename="commune")
router.register("contributions", ContributionViewSet, basename="contribution")
router.register("statements", StatementViewSet, basename="statement")
router.register("workshops", WorkshopViewSet, basename="workshop")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    *router.urls,
]
