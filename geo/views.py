from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts.selectors import alerts_in_force
from alerts.views import alert_map_text
from boundaries.models import AdminUnit, Level
from channels.open311.formats import is_open311_path, path_error_response
from common.api import error_body
from incidents.filters import ReportFilters
from incidents.selectors import reports_recently_answered
from stats.selectors import Summary, stats_reports, stats_scope_for, stats_summary

API_PREFIX = "/api/"


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX)


def machine_error(
    path: str, status: int, detail: str, errors: dict[str, list[str]] | None = None
) -> HttpResponse | None:
    """A refusal for a program rather than a person, in the shape its path speaks: the API's one error
    body under /api/, the GeoReport v2 error list under /open311/ (never a page there); None elsewhere."""
    if is_open311_path(path):
        return path_error_response(path, status, detail)
    if is_api_path(path):
        return JsonResponse(error_body(detail, errors), status=status)
    return None


def _home_numbers() -> Summary:
    # Public aggregates only, the same for everyone: computed once in a while, as the statistics page does.
    def compute() -> Summary:
        scope = stats_scope_for(AnonymousUser(), public=True)
        return stats_summary(stats_reports(scope, ReportFilters()), today=timezone.localdate())

    if not settings.STATS_CACHE_SECONDS:
        return compute()
    summary = cache.get_or_set("home-summary", compute, settings.STATS_CACHE_SECONDS)
    return summary if isinstance(summary, Summary) else compute()


def home(request: HttpRequest) -> HttpResponse:
    """What the seed portals lead with: send, look up, the warnings in force, recent answers, the numbers."""
    provinces = AdminUnit.objects.current().filter(level=Level.PROVINCE).defer("geom")
    return render(
        request,
        "home.html",
        {
            "provinces": provinces,
            "alerts": list(alerts_in_force().order_by("-approved_at", "-id")[:5]),
            "answered": reports_recently_answered(limit=5),
            "numbers": _home_numbers(),
            "alert_text": alert_map_text(),
        },
    )


def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF refusal, in Vietnamese."""
    return render(request, "403_csrf.html", status=403)


# Django's error handlers (geo.urls): JSON in the API's one error shape under /api/, Vietnamese pages elsewhere;
# never a stack trace. 400.html and 500.html stand alone: they render whatever state the request is in.


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if (answer := machine_error(request.path_info, 400, "Yêu cầu không hợp lệ.")) is not None:
        return answer
    return render(request, "400.html", {"status": 400}, status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if (answer := machine_error(request.path_info, 403, "Bạn không có quyền làm việc này.")) is not None:
        return answer
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if (answer := machine_error(request.path_info, 404, "Không tìm thấy.")) is not None:
        return answer
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    detail = "Hệ thống đang gặp sự cố; hãy thử lại sau ít phút."
    if (answer := machine_error(request.path_info, 500, detail)) is not None:
        return answer
    return HttpResponse(loader.get_template("500.html").render(), status=500)


class StatusView(APIView):
    """A cheap liveness check for the mobile app and monitors: the API answers and the database too."""

    @extend_schema(
        summary="Service status",
        responses=inline_serializer("Status", {"status": serializers.CharField(), "time": serializers.DateTimeField()}),
    )
    def get(self, request: Request) -> Response:
        with connection.cursor() as cursor:
            cursor.execute("SELECT now()")
            (now,) = cursor.fetchone()
        return Response({"status": "ok", "time": now})


def admin_moved(request: HttpRequest, *, new: str, rest: str) -> HttpResponsePermanentRedirect:
    """An admin address of a model that changed app (issue 13): the same page at its new address.

    308 keeps the method and body, so a form posted to the old address still arrives."""
    query = request.META.get("QUERY_STRING", "")
    target = f"{reverse('admin:index')}{new}/{rest}" + (f"?{query}" if query else "")
    return HttpResponsePermanentRedirect(target, preserve_request=True)
