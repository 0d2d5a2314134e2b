from django.urls import path

from frontend.views import contributions, pages, statements, workshops

urlpatterns = [
    path("", pages.home, name="home"),
    path("c/<slug:slug>/", pages.campaign, name="campaign"),
    path("c/<slug:slug>/contribuer/", contributions.submit, name="submit"),
    path(
        "c/<slug:slug>/contributions/<int:pk>/",
        contributions.contribution,
        name="contribution",
    ),
    path(
        "c/<slug:slug>/contributions/<int:pk>/soutien/",
        contributions.support,
        name="support",
    ),
    path(
        "c/<slug:slug>/contributions/<int:pk>/suivi/",
        contributions.follow_contribution,
        name="follow",
    ),
    path(
        "c/<slug:slug>/contributions/<int:pk>/commenter/",
        contributions.comment,
        name="comment",
    ),
    path(
        "c/<slug:slug>/contributions/<int:pk>/commentaires/<int:comment_pk>/repondre/",
        contributions.reply,
        name="reply",
    ),
    path(
        "c/<slug:slug>/contributions/<int:pk>/reponse-officielle/",
        contributions.answer,
        name="answer",
    ),
    path("c/<slug:slug>/affirmations/", statements.statements, name="statements"),
    path("c/<slug:slug>/affirmations/<int:pk>/vote/", statements.vote, name="vote"),
    path("c/<slug:slug>/ateliers/", workshops.workshop_list, name="workshops"),
    path("c/<slug:slug>/ateliers/<int:pk>/", workshops.workshop_detail, name="workshop"),
    path(
        "c/<slug:slug>/ateliers/<int:pk>/inscription/",
        workshops.workshop_register,
        name="workshop_register",
    ),
    path(
        "c/<slug:slug>/ateliers/<int:pk>/annulation/",
        workshops.workshop_cancel,
        name="workshop_cancel",
    ),
]
