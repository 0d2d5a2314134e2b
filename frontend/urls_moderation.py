from django.urls import path

from frontend.views import moderation

urlpatterns = [
    path(
        "c/<slug:slug>/signaler/<str:kind>/<int:pk>/",
        moderation.report,
        name="report",
    ),
    path("c/<slug:slug>/moderation/", moderation.queue, name="moderation"),
    path("c/<slug:slug>/moderation/journal/", moderation.log, name="moderation_log"),
]
