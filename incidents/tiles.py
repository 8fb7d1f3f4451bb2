"""Mapbox vector tiles of public reports, made in PostGIS (ST_AsMVT over ST_TileEnvelope)."""

from __future__ import annotations

from typing import Any

from django.db import connection

from .selectors import reports_public

MAX_ZOOM = 22
# From this zoom on, a tile holds the reports themselves; below it, grid clusters with a count.
CLUSTER_BELOW_ZOOM = 15
EXTENT = 4096
# Cells per tile side: 8 cells of 512 units, about 32 screen pixels on a 256-pixel tile.
CELLS_PER_TILE = 8
WORLD_METRES = 40_075_016.685_578_5
LAYER = "reports"


def tile_in_range(z: int, x: int, y: int) -> bool:
    return 0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z


def _public_points_sql() -> tuple[str, tuple[Any, ...]]:
    # The public base as a subquery: PostgreSQL flattens it, so the tile's && on location uses the GiST index.
    query = reports_public().order_by().values("id", "status", "location", "category__code").query
    sql, params = query.sql_with_params()
    return sql, tuple(params)


IN_TILE_SQL = (
    "pts AS (SELECT r.id, r.status, r.category__code, ST_Transform(r.location, 3857) AS g "
    "FROM ({reports}) r, box WHERE r.location && box.geom4326), "
    # && compares boxes; keep the points truly inside this tile (its lower/left edges), so none is in two.
    "inside AS (SELECT pts.* FROM pts, box WHERE ST_X(pts.g) >= ST_XMin(box.geom3857) "
    "AND ST_X(pts.g) < ST_XMax(box.geom3857) AND ST_Y(pts.g) >= ST_YMin(box.geom3857) "
    "AND ST_Y(pts.g) < ST_YMax(box.geom3857))"
)


def report_tile(z: int, x: int, y: int) -> bytes:
    """The tile's bytes (layer "reports"); empty bytes when no public report lies in it.

    One SQL statement, so a benchmark can call this directly. Below CLUSTER_BELOW_ZOOM each
    feature is a grid cell {kind: "cluster", count}; the grid is anchored at the world's origin,
    so cells never straddle tiles. From it on, each feature is a report {kind, code, status, category}.
    """
    if not tile_in_range(z, x, y):
        raise ValueError(f"tile {z}/{x}/{y} out of range")
    public_sql, public_params = _public_points_sql()
    envelope = (
        "WITH bounds AS (SELECT ST_TileEnvelope(%s, %s, %s) AS geom3857), "
        "box AS (SELECT geom3857, ST_Transform(geom3857, 4326) AS geom4326 FROM bounds), "
    )
    in_tile = IN_TILE_SQL.format(reports=public_sql)
    if z < CLUSTER_BELOW_ZOOM:
        cell = WORLD_METRES / 2**z / CELLS_PER_TILE
        features = (
            ", cells AS (SELECT ST_MakePoint(avg(ST_X(g)), avg(ST_Y(g))) AS g, count(*)::int AS count "
            "FROM inside GROUP BY floor(ST_X(g) / %s), floor(ST_Y(g) / %s)), "
            "mvt AS (SELECT ST_AsMVTGeom(ST_SetSRID(cells.g, 3857), box.geom3857, %s, 0, true) AS geom, "
            "'cluster' AS kind, cells.count FROM cells, box) "
        )
        feature_params: tuple[Any, ...] = (cell, cell, EXTENT)
    else:
        features = (
            ", mvt AS (SELECT ST_AsMVTGeom(inside.g, box.geom3857, %s, 0, true) AS geom, 'report' AS kind, "
            "r.code, inside.status, inside.category__code AS category "
            "FROM inside JOIN incidents_report r ON r.id = inside.id, box) "
        )
        feature_params = (EXTENT,)
    sql = envelope + in_tile + features + "SELECT ST_AsMVT(mvt.*, %s, %s, 'geom') FROM mvt WHERE geom IS NOT NULL"  # noqa: S608
    params = (z, x, y, *public_params, *feature_params, LAYER, EXTENT)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    data = row[0] if row else None
    return bytes(data) if data else b""
