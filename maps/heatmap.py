"""Officers' heatmap: read-only aggregations of the reports a staff member sees.

The reports are those of agencies.staff_access (the worklist's, the statistics' and the export's);
the wards are those of the jurisdiction of the agencies they handle reports for, plus any ward where
one of those reports lies. Everything is aggregated in the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.gis.geos import Polygon
from django.db import connection
from django.db.models import Count, Func, Q, QuerySet

from accounts.models import User
from agencies.models import Agency
from agencies.selectors import is_staff_member
from agencies.staff_access import StaffAccess, staff_access_for
from boundaries.models import AdminUnit, Level
from common.gis import SRID
from incidents.filters import ReportFilters, overdue_q, status_values
from incidents.models import Report
from incidents.selectors import reports_filtered

from . import grid

# Heat cells are 32 screen pixels wide (the heat layer blurs them together): the grid's level
# zoom + 3, read from the pre-aggregated grid up to its finest level. Past it (zoom 16 on) the reports
# in view are aggregated on the fly when they are at most MAX_LIVE_HEAT_REPORTS (about 20 µs each);
# more (a city centre at ten million reports) and the view gets the grid's finest cells instead
# (64 pixels wide at zoom 16), so no view reads more.
HEAT_LEVEL_OFFSET = 3
MAX_LIVE_HEAT_REPORTS = 256
MAX_HEAT_CELLS = 20_000
MAX_WARDS = 1500
MAX_WARD_REPORTS = 100


@dataclass(frozen=True)
class Scope:
    """What a staff user sees: the reports of their access, and the wards to draw them in."""

    access: StaffAccess
    unit_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def everything(self) -> bool:
        return self.access.everything

    def reports(self) -> QuerySet[Report]:
        return self.access.visible(Report.objects.all())

    def wards(self) -> QuerySet[AdminUnit]:
        wards = AdminUnit.objects.current().filter(level=Level.WARD)
        if self.everything:
            return wards
        ids = list(self.unit_ids)
        # The jurisdiction's wards, with or without reports, and wherever else a report seen lies
        # (one handed over from another district): every report seen is in some ward's list.
        jurisdiction = Q(id__in=ids) | Q(parent_id__in=ids) | Q(parent__parent_id__in=ids)
        return wards.filter(jurisdiction | Q(id__in=self.reports().filter(ward__isnull=False).values("ward_id")))


def scope_for(user: User | AnonymousUser) -> Scope | None:
    """The user's scope, or None for people who are not staff."""
    if not is_staff_member(user):
        return None
    access = staff_access_for(user)
    if access.everything:
        return Scope(access=access)
    units = Agency.jurisdiction.through.objects.filter(agency_id__in=sorted(access.agency_ids))
    return Scope(access=access, unit_ids=frozenset(units.values_list("adminunit_id", flat=True)))


def pixel_degrees(zoom: int) -> float:
    """About one screen pixel at this zoom, in degrees (at most 0.05): how far ward outlines are
    simplified, since finer detail would not show."""
    return min(0.05, 360 / (256 * 2.0**zoom))


def filtered_reports(scope: Scope, filters: ReportFilters) -> QuerySet[Report]:
    return reports_filtered(scope.reports(), filters)


def _grid_statuses(scope: Scope, filters: ReportFilters) -> list[str] | None:
    """Statuses to read from the pre-aggregated grid, or None when only the reports can answer."""
    # The grid counts by status only: any other filter needs the reports themselves.
    if not scope.everything or replace(filters, status="") != ReportFilters():
        return None
    return status_values(filters.status) if filters.status else []


# Cells of the pre-aggregated grid, every status and visibility unless filtered.
_GRID_HEAT_CELLS = """
SELECT sum(n)::int AS n, sum(sum_lng) / sum(n) AS lng, sum(sum_lat) / sum(n) AS lat
FROM incidents_report_grid
WHERE level = %(level)s AND gx = ANY(%(gxs)s) AND gy BETWEEN %(gy0)s AND %(gy1)s AND n > 0 {statuses}
GROUP BY gx, gy
"""
# The same cells from the filtered reports themselves.
_LIVE_HEAT_CELLS = """
SELECT count(*)::int AS n, avg(lng) AS lng, avg(lat) AS lat
FROM (
    SELECT ST_X(r.location) AS lng, ST_Y(r.location) AS lat, ST_Transform(r.location, 3857) AS g
    FROM ({reports}) r
) p
GROUP BY floor(ST_X(g) / %(cell)s), floor(ST_Y(g) / %(cell)s)
"""
# The reports in view, counted by the grid's finest cells.
_GRID_HEAT_COUNT = """
SELECT coalesce(sum(n), 0) FROM incidents_report_grid
WHERE level = %(level)s AND gx = ANY(%(gxs)s) AND gy BETWEEN %(gy0)s AND %(gy1)s AND n > 0 {statuses}
"""
# The answer's JSON made by PostgreSQL: [lat, lng, count] per cell, densest first.
_HEAT_SQL = """
WITH cells AS ({cells} ORDER BY n DESC LIMIT %(limit)s),
shown AS (SELECT * FROM cells ORDER BY n DESC, lat, lng LIMIT %(max)s)
SELECT (SELECT count(*) FROM cells), coalesce(sum(n), 0), coalesce(max(n), 0),
       coalesce(json_agg(json_build_array(round(lat::numeric, 6), round(lng::numeric, 6), n)
                         ORDER BY n DESC, lat, lng), '[]')::text
FROM shown
"""


def heat_cells_json(scope: Scope, filters: ReportFilters, bbox: tuple[float, float, float, float], zoom: int) -> str:
    """Weighted cells [lat, lng, count] of the reports in view, densest first, as JSON text.

    An administrator's view without filters beyond the status reads the pre-aggregated grid (a few
    hundred rows; past its finest level, see MAX_LIVE_HEAT_REPORTS); officers' reports and other
    filters aggregate the matching reports.
    """
    level = zoom + HEAT_LEVEL_OFFSET
    statuses = _grid_statuses(scope, filters)
    params: dict[str, Any] = {"limit": MAX_HEAT_CELLS + 1, "max": MAX_HEAT_CELLS}
    status_sql = "AND status = ANY(%(statuses)s)" if statuses else ""
    if statuses is not None and level > grid.MAX_LEVEL:
        gx0, gx1, gy0, gy1 = grid.cell_range(bbox, grid.MAX_LEVEL)
        counting: dict[str, Any] = {"level": grid.MAX_LEVEL, "gxs": grid.columns(gx0, gx1), "gy0": gy0, "gy1": gy1}
        counting["statuses"] = statuses
        with connection.cursor() as cursor:
            cursor.execute(_GRID_HEAT_COUNT.format(statuses=status_sql), counting)
            (in_view,) = cursor.fetchone()
        if in_view > MAX_LIVE_HEAT_REPORTS:
            level = grid.MAX_LEVEL
    if statuses is not None and level <= grid.MAX_LEVEL:
        gx0, gx1, gy0, gy1 = grid.cell_range(bbox, level)
        params.update(level=level, gxs=grid.columns(gx0, gx1), gy0=gy0, gy1=gy1, statuses=statuses)
        cells = _GRID_HEAT_CELLS.format(statuses=status_sql)
    else:
        reports = filtered_reports(scope, filters).filter(location__coveredby=Polygon.from_bbox(bbox))
        inner_sql, inner_params = reports.order_by().values("location").query.sql_with_params()
        inner, names = grid.sql_named(inner_sql, inner_params, "q")
        params.update(names, cell=grid.cell_metres(level))
        cells = _LIVE_HEAT_CELLS.format(reports=inner)
    with connection.cursor() as cursor:
        cursor.execute(_HEAT_SQL.format(cells=cells), params)
        count, total, densest, rows = cursor.fetchone()
    return (
        f'{{"zoom": {zoom}, "cell_m": {round(grid.cell_metres(level), 1)}, '
        f'"truncated": {"true" if count > MAX_HEAT_CELLS else "false"}, '
        f'"total": {int(total)}, "max": {int(densest)}, "cells": {rows}}}'
    )


def heat_cells(
    scope: Scope, filters: ReportFilters, bbox: tuple[float, float, float, float], zoom: int
) -> dict[str, Any]:
    """heat_cells_json, parsed."""
    result: dict[str, Any] = json.loads(heat_cells_json(scope, filters, bbox, zoom))
    return result


class _SimplifyPreserveTopology(Func):
    function = "ST_SimplifyPreserveTopology"
    output_field = GeometryField(srid=SRID)


def ward_choropleth(
    scope: Scope, filters: ReportFilters, bbox: tuple[float, float, float, float] | None, simplify: float
) -> dict[str, Any]:
    """The wards in scope (and in view), simplified, with their report count, overdue count and rate."""
    wards = scope.wards()
    if bbox is not None:
        wards = wards.filter(geom__bboverlaps=Polygon.from_bbox(bbox))
    ward_ids = wards.values("id")
    counts = {
        row["ward_id"]: (row["count"], row["overdue"])
        for row in filtered_reports(scope, filters)
        .filter(ward_id__in=ward_ids)
        .order_by()
        .values("ward_id")
        .annotate(count=Count("id"), overdue=Count("id", filter=overdue_q()))
    }
    geometry = _SimplifyPreserveTopology("geom", simplify) if simplify > 0 else "geom"
    units = list(
        wards.select_related("parent")
        .defer("geom")
        .annotate(geojson=AsGeoJSON(geometry, precision=5))
        .order_by("code")[: MAX_WARDS + 1]
    )
    features = []
    for unit in units[:MAX_WARDS]:
        count, overdue = counts.get(unit.pk, (0, 0))
        features.append(
            {
                "type": "Feature",
                "id": unit.code,
                "geometry": json.loads(unit.geojson),
                "properties": {
                    "code": unit.code,
                    "name": unit.name,
                    "district": unit.parent.name if unit.parent else "",
                    "count": count,
                    "overdue": overdue,
                    "overdue_rate": round(overdue / count, 4) if count else None,
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "truncated": len(units) > MAX_WARDS,
        "max_count": max((f["properties"]["count"] for f in features), default=0),
        "features": features,
    }


def ward_reports(scope: Scope, filters: ReportFilters, ward_code: str) -> tuple[AdminUnit | None, list[Report]]:
    """A ward in scope and its latest reports matching the filters (at most MAX_WARD_REPORTS)."""
    ward = scope.wards().filter(code=ward_code).defer("geom").first()
    if ward is None:
        return None, []
    reports = (
        filtered_reports(scope, filters)
        .filter(ward=ward)
        .select_related("category")
        .order_by("-created_at", "-id")[:MAX_WARD_REPORTS]
    )
    return ward, list(reports)
