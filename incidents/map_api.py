"""Server-side clustering of public reports for the map: GET /api/v1/reports/clusters."""

from __future__ import annotations

import json
import math
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from geo.gis import CoordinateError

from . import selectors
from .api import FILTER_PARAMETERS, _filters, validation_response
from .models import Report, ReportStatus

MAX_ZOOM = 22
# From this zoom on the answer lists the reports themselves.
REPORTS_FROM_ZOOM = 15
# A cluster cell is about this many screen pixels wide.
CELL_PIXELS = 60
# The largest view we cluster: a 4K screen at any zoom. Beyond it the client is asking for too much.
MAX_VIEW_PIXELS = 4096
MAX_CLUSTERS = 2000
MAX_REPORTS = 500
WORLD_METRES = 40_075_016.685_578_5
MERCATOR_MAX_LAT = 85.051_128_78

STATUS_LABELS = dict(ReportStatus.choices)


class MapRequestError(ValueError):
    pass


def _mercator_y(lat: float) -> float:
    lat = max(-MERCATOR_MAX_LAT, min(MERCATOR_MAX_LAT, lat))
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / (2 * math.pi)


def parse_view(raw_bbox: str | None, raw_zoom: str | None) -> tuple[tuple[float, float, float, float], int]:
    """The validated (bbox, zoom), or MapRequestError with a message for the user."""
    if not raw_bbox:
        raise MapRequestError("Thiếu bbox (tây,nam,đông,bắc).")
    parts = raw_bbox.split(",")
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError:
        raise MapRequestError("bbox phải là tây,nam,đông,bắc (4 số).") from None
    if not all(math.isfinite(value) for value in (west, south, east, north)):
        raise MapRequestError("bbox phải là tây,nam,đông,bắc (4 số).")
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        raise MapRequestError("bbox nằm ngoài phạm vi: kinh độ từ -180 đến 180, vĩ độ từ -90 đến 90.")
    if west >= east or south >= north:
        raise MapRequestError("bbox phải có tây < đông và nam < bắc.")
    if raw_zoom is None or raw_zoom == "":
        raise MapRequestError("Thiếu zoom (số nguyên từ 0 đến 22).")
    try:
        zoom = int(raw_zoom)
    except ValueError:
        raise MapRequestError("zoom phải là số nguyên từ 0 đến 22.") from None
    if not 0 <= zoom <= MAX_ZOOM:
        raise MapRequestError("zoom phải là số nguyên từ 0 đến 22.")
    scale = 256 * 2**zoom
    width = (east - west) / 360 * scale
    height = (_mercator_y(north) - _mercator_y(south)) * scale
    if width > MAX_VIEW_PIXELS or height > MAX_VIEW_PIXELS:
        raise MapRequestError("Vùng bbox quá lớn so với mức zoom; hãy phóng to hoặc thu nhỏ vùng xem.")
    return (west, south, east, north), zoom


def _report_features(reports: list[Report]) -> list[dict[str, Any]]:
    features = []
    for report in reports:
        thumbnail = next(
            (
                reverse("report-attachment-thumbnail", args=[report.code, a.pk])
                for a in report.attachments.all()
                if a.thumbnail and not a.is_hidden
            ),
            None,
        )
        features.append(
            {
                "type": "Feature",
                "id": report.code,
                "geometry": {"type": "Point", "coordinates": [report.location.x, report.location.y]},
                "properties": {
                    "kind": "report",
                    "code": report.code,
                    "title": report.title,
                    "status": report.status,
                    "status_label": STATUS_LABELS.get(report.status, report.status),
                    "created_at": report.created_at.isoformat(),
                    "thumbnail_url": thumbnail,
                    "url": reverse("report-detail-page", args=[report.code]),
                },
            }
        )
    return features


CLUSTER_SQL = """
WITH pts AS (
    SELECT r.id, r.status, ST_X(r.location) AS lng, ST_Y(r.location) AS lat,
           ST_Transform(r.location, 3857) AS g
    FROM ({reports}) r
), by_status AS (
    SELECT floor(ST_X(g) / %s) AS gx, floor(ST_Y(g) / %s) AS gy, status,
           count(*) AS n, sum(lng) AS sum_lng, sum(lat) AS sum_lat, min(id) AS any_id
    FROM pts GROUP BY 1, 2, 3
)
SELECT sum(sum_lng) / sum(n), sum(sum_lat) / sum(n), sum(n)::int, jsonb_object_agg(status, n), min(any_id)
FROM by_status GROUP BY gx, gy
ORDER BY 3 DESC
LIMIT %s
"""


def report_clusters(filters: selectors.ReportFilters, zoom: int) -> dict[str, Any]:
    """Clusters (a grid in EPSG:3857 made in the database) or reports, as a GeoJSON FeatureCollection."""
    reports = selectors.report_search(filters)
    if zoom >= REPORTS_FROM_ZOOM:
        page = list(reports[: MAX_REPORTS + 1])
        return {
            "type": "FeatureCollection",
            "zoom": zoom,
            "truncated": len(page) > MAX_REPORTS,
            "features": _report_features(page[:MAX_REPORTS]),
        }
    cell = WORLD_METRES / (256 * 2**zoom) * CELL_PIXELS
    # report_search carries the filters and the bbox (ST_CoveredBy on the GiST-indexed location).
    inner_sql, inner_params = reports.order_by().values("id", "status", "location").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(CLUSTER_SQL.format(reports=inner_sql), (*inner_params, cell, cell, MAX_CLUSTERS + 1))
        rows = cursor.fetchall()
    truncated = len(rows) > MAX_CLUSTERS
    rows = rows[:MAX_CLUSTERS]
    single_ids = [row[4] for row in rows if row[2] == 1]
    singles = {r.pk: r for r in reports.filter(pk__in=single_ids)} if single_ids else {}
    features: list[dict[str, Any]] = []
    for lng, lat, count, statuses, any_id in rows:
        if count == 1 and any_id in singles:
            features.extend(_report_features([singles[any_id]]))
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lng, lat]},
                "properties": {
                    "kind": "cluster",
                    "lng": lng,
                    "lat": lat,
                    "count": count,
                    # Django reads jsonb from a raw cursor as text.
                    "statuses": json.loads(statuses) if isinstance(statuses, str) else statuses,
                },
            }
        )
    return {"type": "FeatureCollection", "zoom": zoom, "truncated": truncated, "features": features}


class ReportClusterView(APIView):
    @extend_schema(
        operation_id="reports_clusters",
        summary="Public reports for the map: grid clusters at low zoom, reports at high zoom (GeoJSON)",
        parameters=[
            OpenApiParameter("bbox", OpenApiTypes.STR, required=True, description="west,south,east,north (WGS 84)"),
            OpenApiParameter("zoom", OpenApiTypes.INT, required=True, description="Map zoom, 0..22"),
            *[
                p
                for p in FILTER_PARAMETERS
                if p.name in {"category", "status", "kind", "district", "ward", "from", "to"}
            ],
        ],
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        try:
            bbox, zoom = parse_view(request.query_params.get("bbox"), request.query_params.get("zoom"))
            filters = _filters(request)
        except MapRequestError as exc:
            return Response({"detail": str(exc)}, status=400)
        except (ValidationError, CoordinateError) as exc:
            return validation_response(exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
        # Only the map's filters: the map never searches by sender or free text.
        filters.q = filters.code = filters.sender_name = filters.sender_phone = ""
        filters.bbox = bbox
        return Response(report_clusters(filters, zoom))
