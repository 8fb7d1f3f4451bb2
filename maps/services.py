"""Writes of the maps app: upkeep of the pre-aggregated report grid."""

from __future__ import annotations

from django.db import connection


def report_grid_compact() -> None:
    """Rewrite the map's pre-aggregated grid (incidents_report_grid) in key order, as a rebuild lays it out.

    Cells new since then landed wherever a page had room, so a map view slowly goes back to reading a
    page per row. CLUSTER holds an exclusive lock while it runs (about 3 s at a million reports):
    reports sent meanwhile wait for it; none fail.
    """
    with connection.cursor() as cursor:
        cursor.execute("CLUSTER incidents_report_grid USING incidents_report_grid_pkey")
        cursor.execute("ANALYZE incidents_report_grid")
