"""The officers' heatmap: its page (/can-bo/ban-do-nhiet/), a ward's report list, and the data API
(/api/v1/stats/heatmap, /api/v1/stats/choropleth). Staff only; each user sees the reports
agencies.staff_access gives them, like the worklist."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import error_body
from incidents.filters import HEATMAP_NAMES, FilterError, ReportFilters, overdue_q, report_filters_parse
from incidents.models import ReportStatus
from incidents.selectors import category_list
from incidents.staff_views import staff_required

from . import heatmap
from .export import map_export_html
from .map_api import MapRequestError, parse_view

STATUS_LABELS = dict(ReportStatus.choices)


class HeatmapRequestError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def parse_filters(params: Any) -> ReportFilters:
    """The heatmap's filters from query parameters (incidents.filters), or HeatmapRequestError naming the field."""
    try:
        return report_filters_parse(params, names=HEATMAP_NAMES, known_codes=True)
    except FilterError as exc:
        name = next(iter(exc.errors))
        raise HeatmapRequestError(name, exc.errors[name][0]) from None


class IsStaffMember(BasePermission):
    message = "Chỉ cán bộ xử lý phản ánh mới xem được dữ liệu này."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return heatmap.scope_for(request.user) is not None


def _scope(user: Any) -> heatmap.Scope:
    scope = heatmap.scope_for(user)
    if scope is None:  # the permission check came first; this keeps the type narrow
        raise PermissionDenied
    return scope


FILTER_PARAMETERS = [
    OpenApiParameter("bbox", OpenApiTypes.STR, required=True, description="west,south,east,north (WGS 84)"),
    OpenApiParameter("zoom", OpenApiTypes.INT, required=True, description="Map zoom, 0..22"),
    OpenApiParameter("category", OpenApiTypes.STR, description="Category code"),
    OpenApiParameter("status", OpenApiTypes.STR, enum=["open", *ReportStatus.values]),
    OpenApiParameter("from", OpenApiTypes.DATE, description="Filed on or after"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Filed on or before"),
    OpenApiParameter("overdue", OpenApiTypes.BOOL, description="Only overdue reports"),
]


def _parse(request: Request) -> tuple[tuple[float, float, float, float], int, ReportFilters]:
    try:
        bbox, zoom = parse_view(request.query_params.get("bbox"), request.query_params.get("zoom"))
    except MapRequestError as exc:
        raise HeatmapRequestError("bbox", str(exc)) from None
    return bbox, zoom, parse_filters(request.query_params)


def _error(exc: HeatmapRequestError) -> Response:
    return Response(error_body(str(exc), {exc.field: [str(exc)]}), status=400)


class _HeatmapAPIView(APIView):
    """Staff only; a bad view or filter is answered 400 in the one error shape, naming its parameter."""

    permission_classes = [IsStaffMember]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, HeatmapRequestError):
            return _error(exc)
        return super().handle_exception(exc)


class HeatmapView(_HeatmapAPIView):
    @extend_schema(
        operation_id="stats_heatmap",
        summary="Report density in view for the officers' heatmap: weighted grid cells [lat, lng, count]",
        parameters=FILTER_PARAMETERS,
        responses={code: OpenApiTypes.OBJECT for code in (200, 400, 401, 403)},
    )
    def get(self, request: Request) -> HttpResponse:
        bbox, zoom, filters = _parse(request)
        scope = _scope(request.user)
        return HttpResponse(heatmap.heat_cells_json(scope, filters, bbox, zoom), content_type="application/json")


class ChoroplethView(_HeatmapAPIView):
    @extend_schema(
        operation_id="stats_choropleth",
        summary="Wards in view (simplified) with report count, overdue count and overdue rate (GeoJSON)",
        parameters=FILTER_PARAMETERS,
        responses={code: OpenApiTypes.OBJECT for code in (200, 400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        bbox, zoom, filters = _parse(request)
        scope = _scope(request.user)
        return Response(heatmap.ward_choropleth(scope, filters, bbox, heatmap.pixel_degrees(zoom)))


@require_GET
@staff_required
def heatmap_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "maps/heatmap.html",
        {
            "categories": category_list(),
            "statuses": ReportStatus.choices,
            "heat_text": {
                "loading": _("Đang tải…"),
                "failed": _("Không tải được dữ liệu. Hãy thử lại."),
                "reports": _("%(count)s phản ánh"),
                "overdue": _("%(count)s quá hạn (%(rate)s)"),
                "noReports": _("Không có phản ánh nào phù hợp trong phường, xã này."),
                "wardTitle": _("Phản ánh tại %(name)s"),
                "legendCount": _("Số phản ánh"),
                "legendRate": _("Tỷ lệ quá hạn"),
                "legendHeat": _("Mật độ phản ánh"),
                "low": _("Thấp"),
                "high": _("Cao"),
                "noData": _("Không có phản ánh"),
                "truncated": _("Vùng xem có quá nhiều phường, xã; hãy phóng to để xem đủ."),
                "overdueTag": _("Quá hạn"),
            },
        },
    )


@require_GET
@staff_required
def ward_reports(request: HttpRequest, code: str) -> HttpResponse:
    """A ward's latest reports matching the page's filters, as JSON for the page's side panel."""
    scope = _scope(request.user)
    try:
        filters = parse_filters(request.GET)
    except HeatmapRequestError as exc:
        return JsonResponse(error_body(str(exc), {exc.field: [str(exc)]}), status=400)
    ward, reports = heatmap.ward_reports(scope, filters, code)
    if ward is None:
        return JsonResponse(error_body(_("Không có phường, xã này trong địa bàn của bạn.")), status=404)
    overdue_ids = set(
        heatmap.filtered_reports(scope, filters)
        .filter(pk__in=[r.pk for r in reports])
        .filter(overdue_q())
        .values_list("pk", flat=True)
    )
    return JsonResponse(
        {
            "ward": {"code": ward.code, "name": ward.name},
            "limit": heatmap.MAX_WARD_REPORTS,
            "reports": [
                {
                    "code": r.code,
                    "title": r.title,
                    "status": r.status,
                    "status_label": STATUS_LABELS.get(r.status, r.status),
                    "category": r.category.display_name,
                    "created_at": r.created_at.isoformat(),
                    "overdue": r.pk in overdue_ids,
                    "url": reverse("staff-report-detail", args=[r.code]),
                }
                for r in reports
            ],
        }
    )


@require_GET
@staff_required
def heatmap_export(request: HttpRequest) -> HttpResponse:
    """The heatmap's current view (bbox, zoom and filters) as one self-contained HTML file to download."""
    scope = _scope(request.user)
    try:
        bbox, zoom = parse_view(request.GET.get("bbox"), request.GET.get("zoom"))
        filters = parse_filters(request.GET)
    except (MapRequestError, HeatmapRequestError) as exc:
        return render(request, "400.html", {"status": 400, "message": str(exc)}, status=400)
    response = HttpResponse(
        map_export_html(scope=scope, filters=filters, bbox=bbox, zoom=zoom), content_type="text/html; charset=utf-8"
    )
    filename = f"ban-do-phan-anh-{timezone.localtime():%Y%m%d-%H%M}.html"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
