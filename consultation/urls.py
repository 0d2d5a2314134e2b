from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from consultation.health import healthz
from consultation.outage import server_error
from consultation.security import csp_report
from frontend.forms_accounts import AdminLoginForm
from frontend.views.accounts import admin_login

admin.site.site_header = "Concertation : administration"
admin.site.site_title = "Administration de la concertation"
admin.site.index_title = "Campagnes, phases, territoires et ateliers"
# The admin's login shares the login throttle (consultation/identity/throttle.py).
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/login/", admin_login, name="admin_login"),
    path("csp-report/", csp_report, name="csp-report"),
    path("admin/", admin.site.urls),
    path("api/", include("consultation.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("frontend.urls")),
]

# A database outage that a middleware (outside DatabaseOutageMiddleware) runs into is a 503 too.
handler500 = server_error

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
