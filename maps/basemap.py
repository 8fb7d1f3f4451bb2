"""Our own basemap: roads, water and places from an OpenStreetMap extract (maps.services.basemap_import
loads it with osm2pgsql into the `basemap` schema), served as Mapbox vector tiles made in PostGIS."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from common.db import prepared_cursor, read_cursor
from common.gis import SRID

from .tiles import EXTENT, tile_in_range

SCHEMA = "basemap"
STYLE = Path(__file__).with_name("basemap.lua")
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> (ODbL)'
# Tiles are cut with this margin (tile units) so a line or a label at a tile's edge joins its neighbour.
BUFFER = 64
# From this zoom on the browser scales the last tile up (the client's maxDataZoom): streets are all in.
MAX_DATA_ZOOM = 16
# The tables the Lua style fills, one tile layer each (same name), drawn in this order.
LAYERS = ("water", "waterways", "roads", "places")


@dataclass(frozen=True)
class BasemapSource:
    attribution: str
    source: str


def basemap_source() -> BasemapSource | None:
    """The imported basemap's attribution and file name, or None when none is imported."""
    with read_cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f"{SCHEMA}.meta"])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(f"SELECT attribution, source FROM {SCHEMA}.meta LIMIT 1")  # noqa: S608 (our schema)
        row = cursor.fetchone()
    return BasemapSource(attribution=row[0], source=row[1]) if row else None


def _layer_sql(name: str) -> str:
    # Rows are picked with the GiST index of the stored SRID (a Mercator tile is an exact longitude/latitude box);
    # only the rows picked are projected. minzoom (set by the Lua style) keeps small streets and
    # hamlets out of the wide views.
    geom = f"ST_AsMVTGeom(ST_Transform(t.geom, 3857), box.g3857, {EXTENT}, {BUFFER}, true)"
    where = "t.geom && box.stored AND t.minzoom <= %(z)s"
    return f"{name} AS (SELECT {geom} AS geom, t.kind, t.name FROM {SCHEMA}.{name} t, box WHERE {where})"  # noqa: S608


def _layer_mvt(name: str) -> str:
    return f"COALESCE((SELECT ST_AsMVT({name}.*, '{name}', {EXTENT}, 'geom') FROM {name} WHERE geom IS NOT NULL), ''::bytea)"  # noqa: S608, E501


# One statement a tile (our schema, layer names and constants are formatted in; z/x/y are parameters).
_BOX = (
    "box AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS g3857, "
    f"ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {BUFFER / EXTENT}), {SRID}) AS stored)"
)
TILE_SQL = "WITH " + ", ".join([_BOX, *map(_layer_sql, LAYERS)]) + " SELECT " + " || ".join(map(_layer_mvt, LAYERS))


def basemap_tile(z: int, x: int, y: int) -> bytes | None:
    """One tile's bytes (layers water, waterways, roads, places; each feature has kind and name),
    empty bytes for a tile with nothing in it, None when no basemap is imported. One SQL statement."""
    if not tile_in_range(z, x, y):
        raise ValueError(f"tile {z}/{x}/{y} out of range")
    with prepared_cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f"{SCHEMA}.meta"])
        row = cursor.fetchone()
        if row is None or row[0] is None:
            return None
        cursor.execute(TILE_SQL, {"z": z, "x": x, "y": y}, prepare=True)
        row = cursor.fetchone()
    return bytes(row[0]) if row and row[0] else b""
