from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from boundaries.models import AdminUnit, Level


def home(request: HttpRequest) -> HttpResponse:
    provinces = AdminUnit.objects.current().filter(level=Level.PROVINCE).defer("geom")
    return render(request, "home.html", {"provinces": provinces})


def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF refusal, in Vietnamese."""
    return render(request, "403_csrf.html", status=403)
