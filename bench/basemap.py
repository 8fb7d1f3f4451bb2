"""Our own basemap's vector tiles (BENCH_ONLY=basemap): the demo's extract, loaded by osm2pgsql as
`make run` loads it, then random tiles at zooms 10-16 over it, one after the other from one client
through the web server (granian), and each tile's SQL run directly (prepared, as the view runs it).

Figures (milliseconds): basemap_tile_p50/p95 (GET /tiles/basemap/{z}/{x}/{y}.mvt), basemap_tile_sql_p95;
basemap_tiles: tiles measured, basemap_tiles_empty: how many of them held nothing (204)."""

from __future__ import annotations

import math
import random
from contextlib import closing
from io import StringIO

from bench.common import log, percentile
from bench.maps import WORKERS, KeptAliveClient, _timed_get, _timed_sql
from tests.servers import database_url, web_server

TILES = 300
ZOOMS = range(10, 17)
SEED = 15


def _tile_of(lng: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((lng + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def random_tiles(count: int, seed: int) -> list[tuple[int, int, int]]:
    """Tiles around random points of the extract (its roads' and places' extent), zooms 10-16 evenly."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e FROM "
            "(SELECT geom FROM basemap.roads UNION ALL SELECT geom FROM basemap.places) g) x"
        )
        west, south, east, north = cursor.fetchone()
    rng = random.Random(seed)  # noqa: S311 (a reproducible sample, not secrets)
    return [_tile_of(rng.uniform(west, east), rng.uniform(south, north), rng.choice(list(ZOOMS))) for _ in range(count)]


def run() -> dict[str, float]:
    from django.core.management import call_command
    from django.db import connection

    from common.db import prepared_cursor
    from maps.basemap import TILE_SQL

    # By the command's name: bench and demo stand on the same floor and do not import each other.
    out = StringIO()
    call_command("demo_basemap", stdout=out)
    log(f"basemap: loaded the demo extract ({out.getvalue().strip()})")
    tiles = random_tiles(TILES, SEED)
    http: list[float] = []
    sql: list[float] = []
    empty = 0
    with (
        web_server(database_url(connection.settings_dict), workers=WORKERS) as base,
        closing(KeptAliveClient()) as client,
    ):
        # Warm both web workers on tiles outside the measured set.
        for z, x, y in random_tiles(10, SEED + 1):
            _timed_get(client, f"{base}/tiles/basemap/{z}/{x}/{y}.mvt", {}, (200, 204))
        with prepared_cursor() as prepared:
            for z, x, y in tiles:
                took, size = _timed_get(client, f"{base}/tiles/basemap/{z}/{x}/{y}.mvt", {}, (200, 204))
                http.append(took)
                empty += size == 0
                sql.append(_timed_sql(prepared, TILE_SQL, {"z": z, "x": x, "y": y}, prepare=True))
    return {
        "basemap_tile_p50_ms": round(percentile(http, 50), 1),
        "basemap_tile_p95_ms": round(percentile(http, 95), 1),
        "basemap_tile_sql_p95_ms": round(percentile(sql, 95), 1),
        "basemap_tiles": len(tiles),
        "basemap_tiles_empty": empty,
    }
