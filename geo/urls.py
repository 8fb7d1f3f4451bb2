from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from notifications import views as notification_views

from . import views, webapp
from .csp import docs_policy, with_policy

api_v1: list[URLPattern | URLResolver] = [
    path("status", views.StatusView.as_view(), name="api-status"),
    path("boundaries/", include("boundaries.urls")),
    # Before incidents': "reports/clusters" would otherwise be taken for a report code.
    path("", include("maps.api_urls")),
    path("", include("incidents.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("stats.api_urls")),
    path("alerts/", include("alerts.api_urls")),
    path("push/", include("notifications.api_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("captcha/", include("captcha.urls")),
    # Models that changed app keep their old admin addresses (bookmarks, links in e-mails).
    *(
        re_path(rf"^admin/{old}/(?P<rest>.*)$", views.admin_moved, {"new": new})
        for old, new in [
            ("incidents/agency", "agencies/agency"),
            ("accounts/auditevent", "audit/auditevent"),
        ]
    ),
    path("admin/", admin.site.urls),
    path("phan-anh/", include("incidents.urls")),
    path("", include("maps.urls")),
    path("thong-ke/", include("stats.urls")),
    path("can-bo/", include("incidents.staff_urls")),
    path("can-bo/", include("maps.staff_urls")),
    path("tai-khoan/", include("incidents.account_urls")),
    path("tai-khoan/", include("accounts.urls")),
    path("canh-bao/", include("alerts.urls")),
    path("", include("channels.chat.urls")),
    path("", include("channels.hotline.urls")),
    # Root scope: a service worker controls only the paths under its own URL. One worker (push and
    # offline); its first address stays for the browsers that registered it there.
    path("sw.js", notification_views.service_worker, name="service-worker"),
    path("push-sw.js", notification_views.service_worker, name="push-sw"),
    path("manifest.webmanifest", webapp.manifest, name="web-manifest"),
    path("ngoai-tuyen/", webapp.offline, name="offline"),
    path("favicon.ico", webapp.favicon, name="favicon"),
    path("api/v1/", include(api_v1)),
    path("open311/v2/", include("channels.open311.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file, not inline (our CSP runs no inline script).
    path(
        "api/docs/",
        with_policy(docs_policy)(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        with_policy(docs_policy)(SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html")),
        name="api-redoc",
    ),
]

# JSON under /api/, Vietnamese pages elsewhere (geo.views).
handler400 = "geo.views.bad_request"
handler403 = "geo.views.permission_denied"
handler404 = "geo.views.page_not_found"
handler500 = "geo.views.server_error"
