"""Statistics API: GET /api/v1/stats/… (JSON for the charts, CSV export for staff)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from boundaries.models import AdminUnit
from common.api import error_body
from common.replica import replica_reads
from incidents.filters import ReportFilters
from incidents.models import Report

from . import selectors as stats
from .selectors import StatsFilterError, StatsScope

# --- Response types ------------------------------------------------------------------------------------


class StatsFiltersSerializer(serializers.Serializer[Any]):
    to = serializers.DateField(allow_null=True)
    province = serializers.CharField(allow_blank=True)
    district = serializers.CharField(allow_blank=True)
    ward = serializers.CharField(allow_blank=True)
    category = serializers.CharField(allow_blank=True)
    agency = serializers.CharField(allow_blank=True)

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # "from" is a Python keyword, so it cannot be declared above.
        return {"from": serializers.DateField(allow_null=True), **super().get_fields()}


class StatsMeasuresSerializer(serializers.Serializer[Any]):
    received = serializers.IntegerField(help_text="Reports sent in the period (in scope).")
    open = serializers.IntegerField(help_text="Still open: received, forwarded, in progress or awaiting approval.")
    completed = serializers.IntegerField()
    rejected = serializers.IntegerField(help_text="Refused or merged into another report.")
    overdue_open = serializers.IntegerField(help_text="Open and past the deadline.")
    answered = serializers.IntegerField(help_text="With a published answer.")
    answered_on_time = serializers.IntegerField(help_text="First published answer on or before the deadline day.")
    on_time_share = serializers.FloatField(allow_null=True, help_text="answered_on_time / answered (0..1).")
    avg_answer_hours = serializers.FloatField(allow_null=True, help_text="Mean hours from sending to first answer.")


class StatsBucketSerializer(StatsMeasuresSerializer):
    key = serializers.CharField(help_text="Status, category code, unit code, agency code or YYYY-MM.")
    label = serializers.CharField()  # type: ignore[assignment]  # the metaclass takes declared fields off the class


class StatsSummarySerializer(StatsMeasuresSerializer):
    scope = serializers.ChoiceField(choices=["public", "agency"])
    filters = StatsFiltersSerializer()
    avg_answer_days = serializers.FloatField(allow_null=True)
    median_answer_hours = serializers.FloatField(allow_null=True)
    p90_answer_hours = serializers.FloatField(allow_null=True)


class StatsBreakdownSerializer(serializers.Serializer[Any]):
    scope = serializers.ChoiceField(choices=["public", "agency"])
    filters = StatsFiltersSerializer()
    results = StatsBucketSerializer(many=True)


class StatsAreaSerializer(StatsBreakdownSerializer):
    level = serializers.ChoiceField(choices=list(stats.AREA_LEVELS))
    parent = serializers.CharField(allow_blank=True)  # type: ignore[assignment]


class StatsErrorSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)  # type: ignore[assignment]


# --- Parameters and plumbing ---------------------------------------------------------------------------

FILTER_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="Sent on or after this day (Vietnam time)"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Sent on or before this day"),
    OpenApiParameter("province", OpenApiTypes.STR, description="Province code"),
    OpenApiParameter("district", OpenApiTypes.STR, description="District code"),
    OpenApiParameter("ward", OpenApiTypes.STR, description="Ward code"),
    OpenApiParameter("category", OpenApiTypes.STR, description="Category code"),
    OpenApiParameter("agency", OpenApiTypes.STR, description="Agency code (with the agencies under it)"),
    OpenApiParameter(
        "scope",
        OpenApiTypes.STR,
        enum=["agency", "public"],
        description="Staff only: their agencies' full numbers (default) or the public numbers. "
        "Everyone else always gets the public numbers (public reports only).",
    ),
]
ERRORS = {400: StatsErrorSerializer, 403: StatsErrorSerializer}


class StatsRequestError(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def error_response(errors: dict[str, str]) -> Response:
    """A 400 in the API's one error shape (common.api.error_body)."""
    return Response(
        error_body(next(iter(errors.values())), {name: [message] for name, message in errors.items()}), status=400
    )


def scope_param(request: Any) -> bool:
    """Whether the viewer asked for public numbers (scope=public); raise StatsRequestError on a bad value."""
    value: str = request.GET.get("scope", "")
    if value not in ("", "agency", "public"):
        raise StatsRequestError({"scope": _("scope phải là agency hoặc public.")})
    return value == "public"


def filters_data(filters: ReportFilters) -> dict[str, Any]:
    return {
        "from": filters.date_from,
        "to": filters.date_to,
        "province": filters.province,
        "district": filters.district,
        "ward": filters.ward,
        "category": filters.category,
        "agency": filters.agency,
    }


@method_decorator(replica_reads, name="dispatch")
class _StatsView(APIView):
    # Parses filters and scope; subclasses answer with `stats_data`. (A comment, not a docstring:
    # the schema would show it as every endpoint's description.)
    __doc__ = (
        "Anonymous people and citizens get the numbers of public reports; staff get every report of "
        "their agencies (hidden ones included) unless they ask for scope=public."
    )

    staff_only = False

    def stats_data(self, request: Request, scope: StatsScope, filters: ReportFilters) -> Response:
        raise NotImplementedError

    def get(self, request: Request) -> Response:
        try:
            public = scope_param(request)
            filters = stats.stats_filters_parse(request.query_params)
        except (StatsFilterError, StatsRequestError) as exc:
            return error_response(exc.errors)
        scope = stats.stats_scope_for(request.user, public=public)
        if self.staff_only and not scope.is_staff:
            # Raised, so the API's one handler answers it in the one error shape.
            raise PermissionDenied(_("Chỉ cán bộ xử lý phản ánh mới xem được số liệu này."))
        return self.stats_data(request, scope, filters)


def _breakdown(scope: StatsScope, filters: ReportFilters, buckets: list[stats.Bucket]) -> dict[str, Any]:
    return {
        "scope": scope.label,
        "filters": filters_data(filters),
        "results": [bucket.as_dict() for bucket in buckets],
    }


# --- Views ---------------------------------------------------------------------------------------------


class StatsSummaryView(_StatsView):
    @extend_schema(
        operation_id="stats_summary",
        summary="Totals: received, open, answered, on-time share, answer times",
        parameters=FILTER_PARAMETERS,
        responses={200: StatsSummarySerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    def stats_data(self, request: Request, scope: StatsScope, filters: ReportFilters) -> Response:
        summary = stats.stats_summary(stats.stats_reports(scope, filters), today=timezone.localdate())
        data = {"scope": scope.label, "filters": filters_data(filters), **summary.as_dict()}
        return Response(StatsSummarySerializer(data).data)


class _StatsBreakdownView(_StatsView):
    # A breakdown answers {scope, filters, results}; each subclass names its operation and its buckets.

    def buckets(self, reports: QuerySet[Report], filters: ReportFilters) -> list[stats.Bucket]:
        raise NotImplementedError

    def stats_data(self, request: Request, scope: StatsScope, filters: ReportFilters) -> Response:
        buckets = self.buckets(stats.stats_reports(scope, filters), filters)
        return Response(StatsBreakdownSerializer(_breakdown(scope, filters, buckets)).data)


class StatsByStatusView(_StatsBreakdownView):
    @extend_schema(
        operation_id="stats_by_status",
        summary="Counts per status (every status, zero included)",
        parameters=FILTER_PARAMETERS,
        responses={200: StatsBreakdownSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    def buckets(self, reports: QuerySet[Report], filters: ReportFilters) -> list[stats.Bucket]:
        return stats.stats_by_status(reports, today=timezone.localdate())


class StatsByCategoryView(_StatsBreakdownView):
    @extend_schema(
        operation_id="stats_by_category",
        summary="Counts and on-time share per category, most reports first",
        parameters=FILTER_PARAMETERS,
        responses={200: StatsBreakdownSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    def buckets(self, reports: QuerySet[Report], filters: ReportFilters) -> list[stats.Bucket]:
        return stats.stats_by_category(reports, today=timezone.localdate())


class StatsByMonthView(_StatsBreakdownView):
    @extend_schema(
        operation_id="stats_by_month",
        summary="Counts per month of sending (Vietnam time), months without reports as zeros",
        parameters=FILTER_PARAMETERS,
        responses={200: StatsBreakdownSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    def buckets(self, reports: QuerySet[Report], filters: ReportFilters) -> list[stats.Bucket]:
        return stats.stats_by_month(reports, filters=filters, today=timezone.localdate())


class StatsByAgencyView(_StatsBreakdownView):
    staff_only = True

    @extend_schema(
        operation_id="stats_by_agency",
        summary="Counts, overdue and on-time share per handling agency (staff only)",
        parameters=FILTER_PARAMETERS,
        responses={200: StatsBreakdownSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    def buckets(self, reports: QuerySet[Report], filters: ReportFilters) -> list[stats.Bucket]:
        return stats.stats_by_agency(reports, today=timezone.localdate())


def area_parent(level: str, raw_parent: str, filters: ReportFilters) -> AdminUnit | None:
    """The unit whose children are listed: ?parent=, else the district (for wards) or province filter."""
    if level not in stats.AREA_LEVELS:
        raise StatsRequestError({"level": _("level phải là province, district hoặc ward.")})
    code = raw_parent.strip() or {"ward": filters.district, "district": filters.province}.get(level, "")
    if not code:
        return None
    wanted = stats.AREA_LEVELS[level] - 1
    parent = AdminUnit.objects.filter(code=code, level=wanted).defer("geom").first()
    if parent is None:
        raise StatsRequestError({"parent": _("Không có đơn vị hành chính cấp trên mã “%(code)s”.") % {"code": code}})
    return parent


class StatsByAreaView(_StatsView):
    @extend_schema(
        operation_id="stats_by_area",
        summary="Counts and on-time share per province, district or ward",
        description="Under a parent unit (parent=, or the district/province filter) every current child is "
        "listed, zero included; otherwise only units with reports. Reports outside every unit have key ''.",
        parameters=[
            OpenApiParameter("level", OpenApiTypes.STR, enum=list(stats.AREA_LEVELS), default="district"),
            OpenApiParameter("parent", OpenApiTypes.STR, description="Code of the unit one level up"),
            *FILTER_PARAMETERS,
        ],
        responses={200: StatsAreaSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    def stats_data(self, request: Request, scope: StatsScope, filters: ReportFilters) -> Response:
        level = request.query_params.get("level", "") or "district"
        try:
            parent = area_parent(level, request.query_params.get("parent", ""), filters)
        except StatsRequestError as exc:
            return error_response(exc.errors)
        buckets = stats.stats_by_area(
            stats.stats_reports(scope, filters), level=level, parent=parent, today=timezone.localdate()
        )
        data = {**_breakdown(scope, filters, buckets), "level": level, "parent": parent.code if parent else ""}
        return Response(StatsAreaSerializer(data).data)


# --- CSV export ----------------------------------------------------------------------------------------


class CsvRenderer(BaseRenderer):
    """Lets clients that ask for text/csv reach the export; the body is written by the view."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return str(data.get("detail", "") if isinstance(data, dict) else data).encode()


class _Line:
    """A file-like object csv.writer writes one line into, which we hand on."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterator[tuple[str, ...]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    # The byte order mark makes Excel read the file as UTF-8 (Vietnamese letters intact).
    yield "\ufeff" + writer.writerow(stats.EXPORT_HEADER)
    for row in rows:
        yield writer.writerow(row)


class StatsExportView(_StatsView):
    staff_only = True
    renderer_classes = [JSONRenderer, CsvRenderer]

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        # Errors are JSON in the API's one shape even for a client that accepts only text/csv.
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        operation_id="stats_export_csv",
        summary="One CSV row per report in scope (staff only; UTF-8 with BOM, no personal data)",
        parameters=FILTER_PARAMETERS,
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV with a header row"),
            **ERRORS,
        },
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    def stats_data(self, request: Request, scope: StatsScope, filters: ReportFilters) -> Any:
        rows = stats.stats_export_rows(stats.stats_reports(scope, filters), today=timezone.localdate())
        response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
        name = f"thong-ke-phan-anh-{timezone.localdate():%Y%m%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response
