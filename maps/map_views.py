"""The public report map page and its vector tiles."""

from __future__ import annotations

import hashlib

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from boundaries.models import AdminUnit, Level
from common.replica import replica_reads
from incidents.models import ReportKind, ReportStatus
from incidents.selectors import category_list

from .basemap import basemap_tile
from .tiles import report_tile, tile_in_range

TILE_CONTENT_TYPE = "application/vnd.mapbox-vector-tile"
TILE_CACHE_CONTROL = "public, max-age=60"
# The basemap changes only with an import; an hour, then the ETag makes revalidation cheap.
BASEMAP_CACHE_CONTROL = "public, max-age=3600"


@replica_reads
@require_GET
def report_map(request: HttpRequest) -> HttpResponse:
    districts = AdminUnit.objects.current().filter(level=Level.DISTRICT).defer("geom").order_by("name")
    return render(
        request,
        "maps/map.html",
        {
            "categories": category_list(),
            "districts": districts,
            "statuses": ReportStatus.choices,
            "kinds": ReportKind.choices,
            "map_text": {
                "cluster": _("%(count)s phản ánh, bấm để phóng to"),
                "code": _("Mã phản ánh"),
                "details": _("Xem chi tiết"),
                "loading": _("Đang tải…"),
                "failed": _("Không tải được dữ liệu phản ánh. Hãy thử lại."),
                "none": _("Không có phản ánh nào trong vùng đang xem."),
                "firstOf": _("Đang hiện %(shown)s trên %(count)s phản ánh; phóng to để thu hẹp."),
                "activeFilters": _("(%(count)s đang áp dụng)"),
                "borders": _("Ranh giới hành chính"),
                "borderProvince": _("Ranh giới tỉnh"),
                "borderDistrict": _("Ranh giới quận, huyện"),
                "borderWard": _("Ranh giới phường, xã (khi phóng to)"),
            },
        },
    )


@replica_reads
@require_GET
def report_tile_view(request: HttpRequest, z: int, x: int, y: int) -> HttpResponse:
    """A tile of public reports; 204 (no body) when it holds none, 304 when the client's ETag still holds."""
    if not tile_in_range(z, x, y):
        raise Http404("Ô bản đồ nằm ngoài phạm vi.")
    return _tile_response(request, report_tile(z, x, y), TILE_CACHE_CONTROL)


@replica_reads
@require_GET
def basemap_tile_view(request: HttpRequest, z: int, x: int, y: int) -> HttpResponse:
    """A tile of our basemap (roads, water, places); 204 when empty, 404 when no basemap is imported."""
    if not tile_in_range(z, x, y):
        raise Http404("Ô bản đồ nằm ngoài phạm vi.")
    data = basemap_tile(z, x, y)
    if data is None:
        raise Http404("Chưa nạp bản đồ nền.")
    return _tile_response(request, data, BASEMAP_CACHE_CONTROL)


def _tile_response(request: HttpRequest, data: bytes, cache_control: str) -> HttpResponse:
    """A vector tile's answer: 204 for an empty tile, else the bytes with an ETag (304 when the client has them)."""
    if not data:
        response = HttpResponse(status=204)
        response["Cache-Control"] = cache_control
        return response
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    wanted = [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]
    if etag in wanted or f"W/{etag}" in wanted or "*" in wanted:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(data, content_type=TILE_CONTENT_TYPE)
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    return response
