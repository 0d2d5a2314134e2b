"""Routes of the live workshop boards (namespace "frontend", see frontend/urls.py)."""

from django.urls import path

from frontend.views import live

urlpatterns = [
    path("ateliers-en-direct/rejoindre/", live.join, name="live_join"),
    path("ateliers-en-direct/<int:pk>/", live.board, name="live_session"),
    path("ateliers-en-direct/<int:pk>/carte/", live.card_add, name="live_card_add"),
    path("ateliers-en-direct/<int:pk>/ma-carte/", live.my_card, name="live_my_card"),
    path("ateliers-en-direct/<int:pk>/animer/", live.console, name="live_console"),
    path("ateliers-en-direct/<int:pk>/commande/", live.command, name="live_command"),
    path("ateliers-en-direct/<int:pk>/projection/", live.projection, name="live_projection"),
    path("ateliers-en-direct/<int:pk>/terminer/", live.close, name="live_close"),
    path("ateliers-en-direct/<int:pk>/verser/", live.promote, name="live_promote"),
    path("ateliers-en-direct/<int:pk>/export.csv", live.export_csv, name="live_export"),
    path("ateliers-en-direct/<int:pk>/impression/", live.print_board, name="live_print"),
    path(
        "ateliers-en-direct/atelier/<int:workshop_pk>/ouvrir/",
        live.open_live_session,
        name="live_open",
    ),
    path(
        "ateliers-en-direct/atelier/<int:workshop_pk>/notes-papier/",
        live.paper_notes,
        name="live_paper_notes",
    ),
]
