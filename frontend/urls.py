"""Pages for people. Participation pages and account/legal pages keep their routes apart."""

from frontend.urls_accounts import urlpatterns as account_urls
from frontend.urls_live import urlpatterns as live_urls
from frontend.urls_moderation import urlpatterns as moderation_urls
from frontend.urls_participation import urlpatterns as participation_urls
from frontend.urls_results import urlpatterns as results_urls
from frontend.urls_workbench import urlpatterns as workbench_urls

app_name = "frontend"

urlpatterns = participation_urls + account_urls + live_urls + moderation_urls + workbench_urls
urlpatterns += results_urls
