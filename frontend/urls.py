"""Pages for people. Participation pages and account/legal pages keep their routes apart."""

from django.urls import path

from frontend.urls_accounts import urlpatterns as account_urls
from frontend.urls_live import urlpatterns as live_urls
from frontend.urls_moderation import urlpatterns as moderation_urls
from frontend.urls_participation import urlpatterns as participation_urls
from frontend.urls_results import urlpatterns as results_urls
from frontend.urls_workbench import urlpatterns as workbench_urls
from frontend.views import workbench_opinions as opinions

app_name = "frontend"

urlpatterns = participation_urls + account_urls + live_urls + moderation_urls + workbench_urls
urlpatterns += results_urls

# The moderators' opinion-groups dashboard (a workbench tab).
OPINIONS = "c/<slug:slug>/moderation/groupes-opinion/"
urlpatterns += [
    path(OPINIONS, opinions.dashboard, name="workbench_opinions"),
    path(f"{OPINIONS}contenu/", opinions.dashboard_content, name="workbench_opinions_content"),
    path(f"{OPINIONS}recalculer/", opinions.recompute, name="workbench_opinions_recompute"),
    path(f"{OPINIONS}<int:pk>/publier/", opinions.publish, name="workbench_opinions_publish"),
    path(f"{OPINIONS}<int:pk>/retirer/", opinions.unpublish, name="workbench_opinions_unpublish"),
]
