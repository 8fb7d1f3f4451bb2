"""Server-side clustering of public reports for the map: GET /api/v1/reports/clusters."""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import get_script_prefix, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import error_body, validation_response
from common.db import prepared_cursor
from common.gis import CoordinateError, parse_bbox
from common.replica import replica_reads
from incidents import selectors
from incidents.api import FILTER_PARAMETERS
from incidents.filters import ReportFilters, report_filters_parse, status_values
from incidents.models import Report, ReportStatus

from . import grid

MAX_ZOOM = 22
# From this zoom on the answer lists the reports themselves (below it, a cell of one report is
# that report): at 16 a city centre still holds thousands of reports in view.
REPORTS_FROM_ZOOM = 17
# A cluster cell is this many screen pixels wide: a power of two, so the cells are the
# pre-aggregated grid's level zoom + 2 (see maps.grid).
CELL_PIXELS = 64
GRID_LEVEL_OFFSET = 2
# The largest view we cluster: a 4K screen at any zoom. Beyond it the client is asking for too much.
MAX_VIEW_PIXELS = 4096
MAX_CLUSTERS = 2000
CLUSTERS_CACHE_CONTROL = "public, max-age=30"
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
    try:
        west, south, east, north = parse_bbox(raw_bbox)
    except CoordinateError as exc:
        raise MapRequestError(str(exc)) from None
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


# Every answer is built as JSON text by PostgreSQL (json_build_object, json_agg): at a few
# hundred features per view, building and encoding Python dicts cost more than the query.
_REPORT_FEATURE = """json_build_object(
    'type', 'Feature', 'id', r.code,
    'geometry', json_build_object('type', 'Point', 'coordinates', json_build_array(ST_X(r.location), ST_Y(r.location))),
    'properties', json_build_object(
        'kind', 'report', 'code', r.code, 'title', r.title, 'status', r.status,
        'status_label', coalesce(%(labels)s::jsonb ->> r.status, r.status), 'created_at', r.created_at,
        'thumbnail_url', CASE WHEN thumb.id IS NOT NULL THEN
            replace(replace(%(thumb_url)s, '__code__', r.code), '987654321', thumb.id::text) END,
        'url', replace(%(report_url)s, '__code__', r.code)))"""
# The first visible thumbnail of the report, as the card shows.
_THUMBNAIL = """LEFT JOIN LATERAL (
    SELECT a.id FROM incidents_attachment a
    WHERE a.report_id = r.id AND NOT a.is_hidden AND a.thumbnail <> '' ORDER BY a.id LIMIT 1
) thumb ON r.id IS NOT NULL"""
# Cluster features are most of an answer; concatenated as text they cost half what json_build_object
# does. Every value in them is a number or JSON already (st), so nothing needs escaping.
_CLUSTER_FEATURE = """'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [' || c.lng || ', ' || c.lat
    || ']}, "properties": {"kind": "cluster", "lng": ' || c.lng || ', "lat": ' || c.lat || ', "count": ' || c.n
    || ', "statuses": ' || c.st || '}}'"""

# The cells (n, lng, lat, st: counts by status, one_id: the report when n = 1) of a view, from
# the pre-aggregated grid.
GRID_CELLS_SQL = """
SELECT sum(n)::int AS n, sum(sum_lng) / sum(n) AS lng, sum(sum_lat) / sum(n) AS lat,
       json_object_agg(status, n) AS st, sum(sum_id)::bigint AS one_id
FROM incidents_report_grid
WHERE level = %(level)s AND gx = ANY(%(gxs)s) AND gy BETWEEN %(gy0)s AND %(gy1)s
  AND public AND n > 0 {statuses}
GROUP BY gx, gy
"""
# The same cells aggregated from the filtered reports themselves (a grid in EPSG:3857).
LIVE_CELLS_SQL = """
SELECT sum(n)::int AS n, sum(sum_lng) / sum(n) AS lng, sum(sum_lat) / sum(n) AS lat,
       jsonb_object_agg(status, n) AS st, min(any_id) AS one_id
FROM (
    SELECT floor(ST_X(g) / %(cell)s) AS gx, floor(ST_Y(g) / %(cell)s) AS gy, status,
           count(*) AS n, sum(lng) AS sum_lng, sum(lat) AS sum_lat, min(id) AS any_id
    FROM (
        SELECT r.id, r.status, ST_X(r.location) AS lng, ST_Y(r.location) AS lat,
               ST_Transform(r.location, 3857) AS g
        FROM ({reports}) r
    ) pts
    GROUP BY 1, 2, 3
) by_status
GROUP BY gx, gy
"""
# Only cells of one report look the report up (with its thumbnail); the rest are clusters.
_CLUSTERS_TEMPLATE = """
WITH cells AS ({cells} ORDER BY n DESC LIMIT %(limit)s),
shown AS (SELECT * FROM cells ORDER BY n DESC, lng, lat LIMIT %(max)s),
features AS (
    SELECT c.n, c.lng, c.lat, {cluster} AS feature FROM shown c WHERE c.n > 1
    UNION ALL
    SELECT c.n, c.lng, c.lat, CASE WHEN r.id IS NOT NULL THEN ({report})::text ELSE {cluster} END
    FROM shown c LEFT JOIN incidents_report r ON r.id = c.one_id
    {thumbnail}
    WHERE c.n = 1
)
SELECT (SELECT count(*) FROM cells),
       '[' || coalesce(string_agg(feature, ', ' ORDER BY n DESC, lng, lat), '') || ']'
FROM features
"""
CLUSTERS_SQL = _CLUSTERS_TEMPLATE.format(
    cells="{cells}",
    report=_REPORT_FEATURE,
    # Doubled braces: the cells are formatted into this text later.
    cluster=_CLUSTER_FEATURE.replace("{", "{{").replace("}", "}}"),
    thumbnail=_THUMBNAIL,
)
REPORTS_SQL = """
WITH page AS ({ids}),
numbered AS (SELECT page.id, row_number() OVER (ORDER BY page.created_at DESC, page.id DESC) AS ord FROM page)
SELECT count(*), coalesce(json_agg({report} ORDER BY c.ord) FILTER (WHERE c.ord <= %(max)s), '[]')::text
FROM numbered c
JOIN incidents_report r ON r.id = c.id
{thumbnail}
""".format(ids="{ids}", report=_REPORT_FEATURE, thumbnail=_THUMBNAIL)  # noqa: S608 (fixed SQL fragments)


@functools.lru_cache(maxsize=16)
def _feature_params_for(language: str | None, script_prefix: str) -> dict[str, Any]:
    return {
        "labels": json.dumps({status: str(label) for status, label in STATUS_LABELS.items()}, ensure_ascii=False),
        "thumb_url": reverse("report-attachment-thumbnail", args=["__code__", 987654321]),
        "report_url": reverse("report-detail-page", args=["__code__"]),
    }


def _feature_params() -> dict[str, Any]:
    # Labels and URLs change only with the language and the script prefix: worked out once for each.
    return _feature_params_for(get_language(), get_script_prefix())


def _grid_statuses(filters: ReportFilters) -> list[str] | None:
    """The statuses to read from the pre-aggregated grid, or None when the filters need the reports.

    The grid counts reports by cell, status and visibility only: any filter but the status and the
    view (whatever filters ReportFilters may gain) needs the reports themselves.
    """
    if dataclasses.replace(filters, status="", bbox=None) != ReportFilters():
        return None
    return status_values(filters.status) if filters.status else []


def _plain_reports(filters: ReportFilters) -> QuerySet[Report]:
    """The filtered reports as a bare subquery (no joins for display). Built only when the grid can't answer:
    compiling it costs more than a grid query."""
    # A report filed without a pin is on no map (the grid leaves it out too).
    return selectors.report_search(filters).select_related(None).prefetch_related(None).filter(location__isnull=False)


def report_clusters_json(filters: ReportFilters, zoom: int) -> str:
    """The map's answer as GeoJSON text: clusters (count, centre, counts by status) below
    REPORTS_FROM_ZOOM, with a cell of one report given as that report; the reports themselves from it on.

    Without filters beyond the view and the status, the clusters come from the pre-aggregated grid
    (maps.grid, level zoom + 2): a few hundred rows whatever the number of reports. Other filters
    aggregate the matching reports on the fly.
    """
    params: dict[str, Any] = {**_feature_params(), "max": MAX_REPORTS}
    if zoom >= REPORTS_FROM_ZOOM:
        page = _plain_reports(filters).order_by("-created_at", "-id").values("id", "created_at")[: MAX_REPORTS + 1]
        ids_sql, ids_params = page.query.sql_with_params()
        ids, named = grid.sql_named(ids_sql, ids_params, "q")
        sql, limit = REPORTS_SQL.format(ids=ids), MAX_REPORTS
        params.update(named)
    else:
        statuses = _grid_statuses(filters)
        level = zoom + GRID_LEVEL_OFFSET
        if statuses is not None and filters.bbox is not None and level <= grid.MAX_LEVEL:
            gx0, gx1, gy0, gy1 = grid.cell_range(filters.bbox, level)
            params.update(level=level, gxs=grid.columns(gx0, gx1), gy0=gy0, gy1=gy1, statuses=statuses)
            cells = GRID_CELLS_SQL.format(statuses="AND status = ANY(%(statuses)s)" if statuses else "")
        else:
            # report_search carries the filters and the bbox (ST_CoveredBy on the GiST-indexed location).
            inner = _plain_reports(filters).order_by().values("id", "status", "location")
            inner_sql, inner_params = inner.query.sql_with_params()
            inner_named, named = grid.sql_named(inner_sql, inner_params, "q")
            params.update(named, cell=WORLD_METRES / (256 * 2**zoom) * CELL_PIXELS)
            cells = LIVE_CELLS_SQL.format(reports=inner_named)
        sql, limit = CLUSTERS_SQL.format(cells=cells), MAX_CLUSTERS
        params.update(limit=MAX_CLUSTERS + 1, max=MAX_CLUSTERS)
    # Prepared: planning this statement cost about as much as running it on the grid.
    with prepared_cursor() as cursor:
        cursor.execute(sql, params, prepare=True)
        row = cursor.fetchone()
    count, features = row if row is not None else (0, "[]")  # an aggregate answers one row
    truncated = "true" if count > limit else "false"
    return f'{{"type": "FeatureCollection", "zoom": {zoom}, "truncated": {truncated}, "features": {features}}}'


def report_clusters(filters: ReportFilters, zoom: int) -> dict[str, Any]:
    """report_clusters_json, parsed."""
    result: dict[str, Any] = json.loads(report_clusters_json(filters, zoom))
    return result


@method_decorator(replica_reads, name="dispatch")
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
    def get(self, request: Request) -> HttpResponse:
        try:
            return clusters_response(request.query_params)
        except MapRequestError as exc:
            return Response(error_body(str(exc)), status=400)
        except (ValidationError, CoordinateError) as exc:
            return validation_response(exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))


def clusters_response(params: Mapping[str, str]) -> HttpResponse:
    """The clusters answer for a query string (bbox, zoom and the map's filters).

    Raises MapRequestError, ValidationError or CoordinateError on bad input. The API view and the
    WSGI short path (geo.wsgi) both answer through it.
    """
    bbox, zoom = parse_view(params.get("bbox"), params.get("zoom"))
    filters = report_filters_parse(params)
    # Only the map's filters: the map never searches by sender or free text.
    filters.q = filters.code = filters.sender_name = filters.sender_phone = ""
    filters.bbox = bbox
    response = HttpResponse(report_clusters_json(filters, zoom), content_type="application/json")
    # Shared caches may reuse an answer briefly; a new report still shows within a minute.
    response["Cache-Control"] = CLUSTERS_CACHE_CONTROL
    return response
