"""Shared API plumbing."""

from __future__ import annotations

from typing import Any

from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with every error body carrying a top-level `detail` message."""
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {"detail": "Dữ liệu không hợp lệ.", "errors": response.data}
    return response


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
