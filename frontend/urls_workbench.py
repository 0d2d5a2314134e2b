"""Routes of the moderators' workbench (namespace "frontend", see frontend/urls.py)."""

from django.urls import path

from frontend.views import workbench_duplicates as duplicates
from frontend.views import workbench_synthesis as synthesis
from frontend.views import workbench_themes as themes

BASE = "c/<slug:slug>/moderation/"

urlpatterns = [
    path(f"{BASE}doublons/", duplicates.duplicates, name="workbench_duplicates"),
    path(f"{BASE}doublons/fusionner/", duplicates.merge, name="workbench_merge"),
    path(f"{BASE}doublons/<int:pk>/annuler/", duplicates.unmerge, name="workbench_unmerge"),
    path(f"{BASE}themes/", themes.topic_list, name="workbench_themes"),
    path(f"{BASE}themes/regrouper/", themes.regroup, name="workbench_regroup"),
    path(f"{BASE}themes/<int:pk>/", themes.topic_detail, name="workbench_theme"),
    path(f"{BASE}themes/<int:pk>/renommer/", themes.rename, name="workbench_theme_rename"),
    path(
        f"{BASE}themes/<int:pk>/contributions/",
        themes.contributions,
        name="workbench_theme_contributions",
    ),
    path(f"{BASE}themes/<int:pk>/fusionner/", themes.merge, name="workbench_theme_merge"),
    path(f"{BASE}synthese/", synthesis.section_list, name="workbench_synthesis"),
    path(f"{BASE}synthese/<int:pk>/", synthesis.section_detail, name="workbench_section"),
    path(
        f"{BASE}synthese/<int:pk>/enregistrer/",
        synthesis.save,
        name="workbench_section_save",
    ),
    path(
        f"{BASE}synthese/<int:pk>/versions/<int:number>/publier/",
        synthesis.publish,
        name="workbench_version_publish",
    ),
    path(
        f"{BASE}synthese/<int:pk>/depublier/",
        synthesis.unpublish,
        name="workbench_section_unpublish",
    ),
]
