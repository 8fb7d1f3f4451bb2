from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from incidents import map_views

from . import views
from .api import StatusView

api_v1: list[URLPattern | URLResolver] = [
    path("status", StatusView.as_view(), name="api-status"),
    path("boundaries/", include("boundaries.urls")),
    path("", include("incidents.api_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("captcha/", include("captcha.urls")),
    path("admin/", admin.site.urls),
    path("phan-anh/", include("incidents.urls")),
    path("ban-do/", map_views.report_map, name="report-map"),
    path("tiles/reports/<int:z>/<int:x>/<int:y>.mvt", map_views.report_tile_view, name="report-tile"),
    path("can-bo/", include("incidents.staff_urls")),
    path("tai-khoan/", include("accounts.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
