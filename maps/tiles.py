"""Mapbox vector tiles of public reports, made in PostGIS (ST_AsMVT over ST_TileEnvelope)."""

from __future__ import annotations

import functools
from typing import Any

from common.db import prepared_cursor
from common.gis import SRID
from incidents.selectors import reports_public

from . import grid

MAX_ZOOM = 22
# From this zoom on, a tile holds the reports themselves; below it, grid clusters with a count.
CLUSTER_BELOW_ZOOM = 15
# ... unless it holds more than this many (a dense city at ten million reports): then the grid's cells with
# their counts, as below CLUSTER_BELOW_ZOOM, so a tile never reads more than this many reports. 256 reports on
# a 256-pixel tile are one per 16 x 16 pixels, where markers already cover one another.
MAX_TILE_REPORTS = 256
EXTENT = 4096
# Cells per tile side: 8 cells of 512 units, about 32 screen pixels on a 256-pixel tile.
CELLS_PER_TILE = 8
LAYER = "reports"


def tile_in_range(z: int, x: int, y: int) -> bool:
    return 0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z


@functools.cache
def _public_points_sql() -> tuple[str, tuple[Any, ...]]:
    # Compiled once: the ORM's compile costs more than a grid tile's query. The public base as a
    # subquery: PostgreSQL flattens it, so the tile's && on location uses the GiST index.
    query = reports_public().order_by().values("id", "code", "status", "location", "category__code").query
    sql, params = query.sql_with_params()
    return sql, tuple(params)


IN_TILE_SQL = (
    "pts AS (SELECT r.id, r.code, r.status, r.category__code, ST_Transform(r.location, 3857) AS g "
    "FROM ({reports}) r, box WHERE r.location && box.geom_stored{gate}), "
    # && compares boxes; keep the points truly inside this tile (its lower/left edges), so none is in two.
    "inside AS (SELECT pts.* FROM pts, box WHERE ST_X(pts.g) >= ST_XMin(box.geom3857) "
    "AND ST_X(pts.g) < ST_XMax(box.geom3857) AND ST_Y(pts.g) >= ST_YMin(box.geom3857) "
    "AND ST_Y(pts.g) < ST_YMax(box.geom3857))"
)


# Below CLUSTER_BELOW_ZOOM a tile's cells are the pre-aggregated grid's level z + 3 (maps.grid):
# 8 x 8 cells per tile, read by primary key, whatever the number of reports.
GRID_CELLS_SQL = """
cells AS (
    SELECT sum(n)::int AS count, sum(sum_lng) / sum(n) AS lng, sum(sum_lat) / sum(n) AS lat
    FROM incidents_report_grid
    WHERE level = %s AND gx = ANY(%s) AND gy BETWEEN %s AND %s AND n > 0 AND public {gate}
    GROUP BY gx, gy
)"""
CELL_FEATURES_SQL = f"""
    SELECT ST_AsMVTGeom(ST_Transform(ST_SetSRID(ST_MakePoint(cells.lng, cells.lat), {SRID}), 3857),
                        box.geom3857, %s, 0, true) AS geom,
           'cluster' AS kind, cells.count
    FROM cells, box"""  # noqa: S608 (only the SRID constant is formatted in)
GRID_TILE_SQL = f"""
WITH box AS (SELECT ST_TileEnvelope(%s, %s, %s) AS geom3857),
{GRID_CELLS_SQL.format(gate="")},
mvt AS ({CELL_FEATURES_SQL})
SELECT ST_AsMVT(mvt.*, %s, %s, 'geom') FROM mvt WHERE geom IS NOT NULL
"""  # noqa: S608 (fixed SQL fragments)


def _grid_cells_params(z: int, x: int, y: int, level: int) -> tuple[Any, ...]:
    """(level, columns, gy0, gy1) of the grid cells of `level` (>= z) that make up tile z/x/y."""
    per_tile = 2 ** (level - z)
    half = 2**level // 2
    gx0 = x * per_tile - half
    gy0 = half - (y + 1) * per_tile
    last = per_tile - 1
    return (level, grid.columns(gx0, gx0 + last), gy0, gy0 + last)


def _grid_tile_params(z: int, x: int, y: int) -> tuple[Any, ...]:
    return (z, x, y, *_grid_cells_params(z, x, y, z + 3), EXTENT, LAYER, EXTENT)


def report_tile_sql(z: int, x: int, y: int) -> tuple[str, tuple[Any, ...]]:
    """The one SQL statement (and its parameters) that makes the tile, run prepared (common.db.prepared_cursor);
    the benchmark runs it directly the same way."""
    if not tile_in_range(z, x, y):
        raise ValueError(f"tile {z}/{x}/{y} out of range")
    if z < CLUSTER_BELOW_ZOOM:
        return GRID_TILE_SQL, _grid_tile_params(z, x, y)
    if z <= grid.MAX_LEVEL:
        return _bounded_tile_sql(z, x, y)
    # Past the grid's finest level (a tile under 80 m wide) the reports themselves, always.
    return _live_tile_sql(z, x, y)


def report_tile(z: int, x: int, y: int) -> bytes:
    """The tile's bytes (layer "reports"); empty bytes when no public report lies in it.

    Below CLUSTER_BELOW_ZOOM each feature is a grid cell {kind: "cluster", count}; the grid is
    anchored at the world's origin, so cells never straddle tiles. From it on, each feature is a
    report {kind, code, status, category}, unless the tile holds more than MAX_TILE_REPORTS: then
    cells again (the grid's level z + 3, at most its finest), whose counts add up to the tile's reports.
    """
    sql, params = report_tile_sql(z, x, y)
    with prepared_cursor() as cursor:
        cursor.execute(sql, params, prepare=True)
        row = cursor.fetchone()
    data = row[0] if row else None
    return bytes(data) if data else b""


def _live_tile_sql(z: int, x: int, y: int) -> tuple[str, tuple[Any, ...]]:
    """A tile of the reports themselves (from CLUSTER_BELOW_ZOOM on)."""
    public_sql, public_params = _public_points_sql()
    envelope = (
        "WITH bounds AS (SELECT ST_TileEnvelope(%s, %s, %s) AS geom3857), "  # noqa: S608 (the SRID constant)
        f"box AS (SELECT geom3857, ST_Transform(geom3857, {SRID}) AS geom_stored FROM bounds), "
    )
    in_tile = IN_TILE_SQL.format(reports=public_sql, gate="")
    features = (
        ", mvt AS (SELECT ST_AsMVTGeom(inside.g, box.geom3857, %s, 0, true) AS geom, 'report' AS kind, "
        "inside.code, inside.status, inside.category__code AS category "
        "FROM inside, box) "
    )
    sql = envelope + in_tile + features + "SELECT ST_AsMVT(mvt.*, %s, %s, 'geom') FROM mvt WHERE geom IS NOT NULL"  # noqa: S608
    return sql, (z, x, y, *public_params, EXTENT, LAYER, EXTENT)


@functools.cache
def _bounded_tile_template() -> str:
    public_sql, _ = _public_points_sql()
    # Each branch is gated on the tile's count (an uncorrelated subquery: PostgreSQL evaluates it once and
    # runs only the branch it lets through): the reports when few, else the cells.
    return (
        "WITH bounds AS (SELECT ST_TileEnvelope(%s, %s, %s) AS geom3857), "  # noqa: S608 (fixed SQL fragments)
        f"box AS (SELECT geom3857, ST_Transform(geom3857, {SRID}) AS geom_stored FROM bounds), "
        # The tile's own cell of the grid (level z is the tile): its public reports.
        "total AS (SELECT coalesce(sum(n), 0) AS n FROM incidents_report_grid "
        "WHERE level = %s AND gx = ANY(%s) AND gy BETWEEN %s AND %s AND public), "
        + IN_TILE_SQL.format(reports=public_sql, gate=" AND (SELECT n FROM total) <= %s")
        + ", "
        + GRID_CELLS_SQL.format(gate="AND (SELECT n FROM total) > %s")
        # Reports carry no count and cells no code: ST_AsMVT leaves NULL properties out.
        + ", mvt AS (SELECT ST_AsMVTGeom(inside.g, box.geom3857, %s, 0, true) AS geom, 'report' AS kind, "
        "inside.code, inside.status, inside.category__code AS category, NULL::int AS count FROM inside, box "
        "UNION ALL "
        + CELL_FEATURES_SQL.replace("cells.count", "NULL, NULL, NULL, cells.count")
        + ") SELECT ST_AsMVT(mvt.*, %s, %s, 'geom') FROM mvt WHERE geom IS NOT NULL"
    )


def _bounded_tile_sql(z: int, x: int, y: int) -> tuple[str, tuple[Any, ...]]:
    """A tile from CLUSTER_BELOW_ZOOM to the grid's finest level: its reports, or its grid cells (level z + 3,
    at most the finest) when it holds more than MAX_TILE_REPORTS, in one statement."""
    _, public_params = _public_points_sql()
    count_cell = _grid_cells_params(z, x, y, z)
    cells = _grid_cells_params(z, x, y, min(z + 3, grid.MAX_LEVEL))
    limit = MAX_TILE_REPORTS
    params = (z, x, y, *count_cell, *public_params, limit, *cells, limit, EXTENT, EXTENT, LAYER, EXTENT)
    return _bounded_tile_template(), params
