"""Maps at scale (issue 6): a million synthetic public reports, then the cluster API, vector tiles and
the officers' heatmap over the same random viewports, each beside its baseline in the same run.

Figures (milliseconds): cluster_p50/p95 (our clusters API through the web server), supercluster_p95 (npm
supercluster on the same points behind a minimal Node server), tile_p95 (our tiles through
the web server), tile_sql_p95 (the tiles' own SQL on a connection), tile_naive_p95 (a bare ST_AsMVT of
the raw reports in the tile), heatmap_p95 (the heatmap data API as an administrator),
healthz_p50/p95 (/healthz: one SELECT 1 through Django's whole stack, the cheapest page of the same
server, for scale: tiles and clusters take a short path around the middleware), tile_transport_p50/p95
(the same client fetching a body of each tile's size from a minimal Node server holding it in
memory: the HTTP floor under any tile server) and tile_floor_p95 (p95 of each tile's SQL plus that floor: the
best an HTTP server that runs the tile's SQL could show this client). Each sample
of every figure is taken in turn for the same viewport, so load from elsewhere on the machine hits
all of them alike; only the naive tiles, each a scan of up to a million rows, run in a pass of their
own after the others, so they do not disturb them.
"""

from __future__ import annotations

import http.client
import json
import logging
import math
import os
import random
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import numpy as np

from bench.common import BASE_DIR, log, percentile
from tests.servers import database_url, free_port, web_server

REPORTS = int(os.environ.get("BENCH_MAP_REPORTS", "1000000"))
VIEWPORTS = int(os.environ.get("BENCH_MAP_VIEWPORTS", "300"))
CODE_PREFIX = "BM"
SEED = 20240601
# A desktop browser's map: what /ban-do/ asks for on a wide screen.
VIEW_WIDTH, VIEW_HEIGHT = 1280, 800
MIN_ZOOM, MAX_ZOOM = 5, 16
CITY_SHARE = 0.6
STATUSES = ["received", "forwarded", "in_progress", "awaiting_approval", "completed", "rejected"]
WORLD = 40_075_016.685_578_5
WORKERS = 2

# (lng, lat, weight): the largest cities; the spread grows with the weight.
CITIES = [
    (105.85, 21.03, 10), (106.70, 10.78, 12), (106.68, 20.86, 4), (108.21, 16.05, 4), (105.78, 10.03, 3),
    (106.82, 10.95, 3), (109.19, 12.24, 2), (107.58, 16.46, 2), (108.04, 12.67, 2), (107.08, 10.35, 2),
    (106.65, 10.98, 3), (109.22, 13.78, 1.5), (105.68, 18.67, 2), (105.84, 21.59, 1.5), (106.17, 20.42, 1.5),
    (105.43, 10.38, 1.5), (106.36, 10.36, 1), (105.08, 10.01, 1), (107.08, 20.95, 1.5), (105.78, 19.81, 1.5),
    (108.44, 11.94, 1), (108.00, 13.98, 1), (106.07, 21.18, 1.5), (105.40, 21.32, 1), (105.15, 9.18, 1),
    (108.10, 10.93, 1), (106.10, 11.31, 1), (105.97, 9.60, 1), (106.60, 17.47, 1), (103.97, 22.49, 0.5),
]  # fmt: skip

# Status shares, roughly a year of a busy service: most are done.
STATUS_SHARES = [0.12, 0.08, 0.15, 0.05, 0.52, 0.08]

NAIVE_TILE_SQL = """
WITH box AS (SELECT ST_TileEnvelope(%s, %s, %s) AS g)
SELECT ST_AsMVT(t.*, 'reports', 4096, 'geom') FROM (
    SELECT ST_AsMVTGeom(ST_Transform(r.location, 3857), box.g, 4096, 0, true) AS geom, r.id, r.status
    FROM incidents_report r, box
    WHERE r.is_public AND r.location && ST_Transform(box.g, 4326)
) t
"""


# --- Loading ------------------------------------------------------------------------------------------


def _ensure_categories() -> list[int]:
    from incidents.models import Category

    for position, item in enumerate(json.loads((BASE_DIR / "data" / "categories.json").read_text())):
        Category.objects.update_or_create(code=item["code"], defaults={"name": item["name"], "sort_order": position})
    return list(Category.objects.order_by("id").values_list("id", flat=True))


def _city_points(count: int, rng: np.random.Generator) -> np.ndarray:
    cities = np.array(CITIES)
    weights = cities[:, 2] / cities[:, 2].sum()
    which = rng.choice(len(cities), size=count, p=weights)
    spread = 0.03 * np.sqrt(cities[which, 2])
    lng = cities[which, 0] + rng.normal(0, 1, count) * spread
    lat = cities[which, 1] + rng.normal(0, 1, count) * spread
    return np.column_stack([lng, lat])


def _copy_points(cursor: Any, points: np.ndarray, first_idx: int) -> None:
    with cursor.copy("COPY bench_pts (idx, lng, lat) FROM STDIN") as copy:
        for i, (lng, lat) in enumerate(points.tolist()):
            copy.write_row((first_idx + i, lng, lat))


def load_reports(count: int) -> dict[str, float]:
    """COPY `count` synthetic public reports into incidents_report, unless they are there already."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM incidents_report WHERE code LIKE %s", [CODE_PREFIX + "%"])
        (present,) = cursor.fetchone()
    if present == count:
        log(f"maps: {count} synthetic reports already loaded")
        return {"map_reports": count}
    started = time.perf_counter()
    categories = _ensure_categories()
    rng = np.random.default_rng(SEED)
    raw = connection.connection  # psycopg 3: COPY goes through the driver's own API
    with connection.cursor() as cursor:
        # Triggers off for the bulk work (the grid is rebuilt once at the end), and no FK checks.
        cursor.execute("SET session_replication_role = replica")
        if present:
            cursor.execute("DELETE FROM incidents_report WHERE code LIKE %s", [CODE_PREFIX + "%"])
        cursor.execute("DROP TABLE IF EXISTS bench_pts")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_pts (idx integer, lng float8, lat float8, geom geometry(Point, 4326))"
        )
        # Cities: a little over their share, since some of the spread lands at sea or abroad.
        cities = int(count * CITY_SHARE * 1.25)
        with raw.cursor() as copy_cursor:
            _copy_points(copy_cursor, _city_points(cities, rng), 0)
        # The rest evenly over the land: points drawn inside each province, by its area.
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            """
            INSERT INTO bench_pts (idx, lng, lat, geom)
            SELECT %s + row_number() OVER (), ST_X(d.geom), ST_Y(d.geom), d.geom
            FROM (
                SELECT u.geom, round(%s * ST_Area(u.geom) / sum(ST_Area(u.geom)) OVER ())::int AS n
                FROM boundaries_adminunit u WHERE u.level = 1
            ) p, LATERAL ST_Dump(ST_GeneratePoints(p.geom, greatest(p.n, 1), 7)) d
            """,
            [cities, int(count * (1 - CITY_SHARE) * 1.02)],
        )
        cursor.execute("UPDATE bench_pts SET geom = ST_SetSRID(ST_MakePoint(lng, lat), 4326) WHERE geom IS NULL")
        cursor.execute("CREATE INDEX ON bench_pts USING gist (geom)")
        cursor.execute("ANALYZE bench_pts")
        generated = time.perf_counter() - started
        log(f"maps: points generated and copied in {generated:.1f}s")
        # Each point to the ward piece covering it (points outside Vietnam drop out), then the
        # first `count` in a shuffled order, so reports arrive in no spatial order as in life.
        cursor.execute("DROP TABLE IF EXISTS bench_located")
        cursor.execute(
            """
            CREATE UNLOGGED TABLE bench_located AS
            SELECT DISTINCT ON (p.idx) p.idx, p.geom, piece.unit_id AS ward_id
            FROM boundaries_adminunitpiece piece
            JOIN bench_pts p ON ST_Covers(piece.geom, p.geom)
            WHERE piece.level = 3
            ORDER BY p.idx, piece.code
            """
        )
        located = time.perf_counter() - started - generated
        log(f"maps: points located in {located:.1f}s")
        cursor.execute(
            """
            INSERT INTO incidents_report (
                code, kind, category_id, title, description, location, address, channel,
                ward_id, district_id, province_id, status, deadline, is_overdue, rejection_reason,
                reopen_count, support_count, reporter_name, reporter_phone, reporter_email, reporter_id_number,
                is_organization, organization_name, confidential, is_public, hidden_reason,
                created_at, updated_at, completed_at
            )
            SELECT %(prefix)s || lpad(n::text, 8, '0'),
                   CASE WHEN r_kind < 0.1 THEN 'idea' ELSE 'feedback' END,
                   (%(categories)s::bigint[])[1 + floor(r_cat * %(n_categories)s)::int],
                   'Phản ánh đo tải ' || n, 'Phản ánh đo tải bản đồ.', geom, '', 'web',
                   ward_id, district_id, province_id, status, (created_at + interval '10 days')::date,
                   status IN ('received', 'forwarded', 'in_progress', 'awaiting_approval')
                       AND (created_at + interval '10 days')::date < current_date,
                   CASE WHEN status = 'rejected' THEN 'spam' ELSE '' END,
                   0, 0, 'Người đo tải', '', '', '', false, '', false, true, '',
                   created_at, created_at,
                   CASE WHEN status = 'completed' THEN created_at + interval '5 days' END
            FROM (
                SELECT s.*, w.parent_id AS district_id, d.parent_id AS province_id,
                       row_number() OVER (ORDER BY s.shuffle) AS n,
                       CASE
                           WHEN r_status < %(c0)s THEN 'received' WHEN r_status < %(c1)s THEN 'forwarded'
                           WHEN r_status < %(c2)s THEN 'in_progress' WHEN r_status < %(c3)s THEN 'awaiting_approval'
                           WHEN r_status < %(c4)s THEN 'completed' ELSE 'rejected'
                       END AS status,
                       now() - r_age * interval '365 days' AS created_at
                FROM (
                    SELECT l.*, random() AS shuffle, random() AS r_kind, random() AS r_cat, random() AS r_status,
                           random() AS r_age
                    FROM bench_located l
                ) s
                JOIN boundaries_adminunit w ON w.id = s.ward_id
                JOIN boundaries_adminunit d ON d.id = w.parent_id
            ) t
            WHERE n <= %(count)s
            """,
            {
                "prefix": CODE_PREFIX,
                "categories": categories,
                "n_categories": len(categories),
                "count": count,
                **{f"c{i}": sum(STATUS_SHARES[: i + 1]) for i in range(5)},
            },
        )
        inserted = cursor.rowcount
        cursor.execute("DROP TABLE bench_pts")
        cursor.execute("DROP TABLE bench_located")
        cursor.execute("SET session_replication_role = DEFAULT")
        grid_started = time.perf_counter()
        cursor.execute("SELECT incidents_report_grid_rebuild()")
        log(f"maps: grid rebuilt in {time.perf_counter() - grid_started:.1f}s")
    if inserted < count:
        raise SystemExit(f"only {inserted} of {count} synthetic reports landed in Vietnam")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE incidents_report")
        cursor.execute("VACUUM ANALYZE incidents_report_grid")
    seconds = time.perf_counter() - started
    log(f"maps: {inserted} reports loaded in {seconds:.1f}s")
    return {"map_reports": inserted, "map_load_s": round(seconds, 1)}


# --- Viewports ------------------------------------------------------------------------------------------


def _mercator(lng: float, lat: float) -> tuple[float, float]:
    lat = max(-85.0511, min(85.0511, lat))
    return lng / 360 * WORLD, math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / (2 * math.pi) * WORLD


def _unmercator(x: float, y: float) -> tuple[float, float]:
    return x / WORLD * 360, math.degrees(2 * math.atan(math.exp(y / WORLD * 2 * math.pi)) - math.pi / 2)


def viewports(count: int) -> list[dict[str, Any]]:
    """Random views weighted towards where the reports are: centred near a random report."""
    from django.db import connection

    rnd = random.Random(SEED)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.17)")
        cursor.execute(
            "SELECT ST_X(location), ST_Y(location) FROM incidents_report WHERE is_public ORDER BY random() LIMIT %s",
            [count],
        )
        centres = cursor.fetchall()
    views = []
    for i in range(count):
        lng, lat = centres[i % len(centres)]
        zoom = MIN_ZOOM + i % (MAX_ZOOM - MIN_ZOOM + 1)
        metres_per_px = WORLD / (256 * 2**zoom)
        x, y = _mercator(lng, lat)
        # Off the report by up to a third of the view, so not every view is centred on one.
        x += rnd.uniform(-1, 1) * VIEW_WIDTH / 3 * metres_per_px
        y += rnd.uniform(-1, 1) * VIEW_HEIGHT / 3 * metres_per_px
        west, south = _unmercator(x - VIEW_WIDTH / 2 * metres_per_px, y - VIEW_HEIGHT / 2 * metres_per_px)
        east, north = _unmercator(x + VIEW_WIDTH / 2 * metres_per_px, y + VIEW_HEIGHT / 2 * metres_per_px)
        centre_lng, centre_lat = _unmercator(x, y)
        n = 2**zoom
        tx = min(n - 1, max(0, int((centre_lng + 180) / 360 * n)))
        ty = min(n - 1, max(0, int((1 - math.asinh(math.tan(math.radians(centre_lat))) / math.pi) / 2 * n)))
        views.append({"bbox": f"{west:.6f},{south:.6f},{east:.6f},{north:.6f}", "zoom": zoom, "tile": (zoom, tx, ty)})
    rnd.shuffle(views)
    return views


# --- Servers --------------------------------------------------------------------------------------------


@contextmanager
def _node_server(script: str, *args: str) -> Iterator[tuple[str, list[str]]]:
    """Runs bench/`script` on a free port (its last argument); yields its URL and the words of its READY line."""
    port = free_port()
    server = subprocess.Popen(
        ["node", "--max-old-space-size=4096", str(BASE_DIR / "bench" / script), *args, str(port)],
        cwd=BASE_DIR, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        words = server.stdout.readline().split()
        if not words or words[0] != "READY":
            raise SystemExit(f"{script} did not start")
        yield f"http://127.0.0.1:{port}", words[1:]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


@contextmanager
def supercluster(points_file: Path) -> Iterator[str]:
    with _node_server("supercluster_server.mjs", str(points_file)) as (url, (points, build_ms)):
        log(f"maps: supercluster indexed {points} points in {build_ms} ms")
        yield url


def warm_caches() -> None:
    """Read the map's tables into PostgreSQL's cache, as on a server that has been answering for a
    while (supercluster, the baseline, holds all its points in memory from the start)."""
    from django.db import DatabaseError, connection

    with connection.cursor() as cursor:
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        except DatabaseError as exc:  # not a superuser on someone else's server: measure as it comes
            log(f"maps: caches not warmed ({exc})")
            return
        tables = ("incidents_report_grid", "incidents_report_grid_pkey", "incidents_report", "incidents_report_pkey")
        for relation in tables:
            cursor.execute("SELECT pg_prewarm(%s::regclass)", [relation])
        # The reports' spatial index (under Django's generated name), and the attachments with their
        # indexes: a cell of one report is looked up by id, with its first thumbnail.
        cursor.execute(
            "SELECT pg_prewarm(indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am am ON am.oid = c.relam WHERE i.indrelid = 'incidents_report'::regclass AND am.amname = 'gist'"
        )
        cursor.execute(
            "SELECT pg_prewarm('incidents_attachment'::regclass), "
            "(SELECT count(pg_prewarm(indexrelid)) FROM pg_index WHERE indrelid = 'incidents_attachment'::regclass)"
        )


def export_points(path: Path) -> int:
    """The public reports' points as float64 (lng, lat, id, status index) for supercluster."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(location), ST_Y(location), id, array_position(%s::text[], status::text) - 1 "
            "FROM incidents_report WHERE is_public",
            [STATUSES],
        )
        rows = cursor.fetchall()
    np.asarray(rows, dtype="<f8").tofile(path)
    return len(rows)


def _admin_token() -> str:
    from rest_framework.authtoken.models import Token

    from accounts.models import User

    user = User.objects.filter(username="bench-map-admin").first()
    if user is None:
        user = User.objects.create_superuser("bench-map-admin", password=None)
    token, _ = Token.objects.get_or_create(user=user)
    return str(token.key)


# --- Measuring ------------------------------------------------------------------------------------------


class KeptAliveClient:
    """The measuring client: plain HTTP/1.1 (http.client) on one kept-alive connection per server.

    Its own cost is about 0.1 ms a request, where httpx's is 0.3 to 0.5 ms; that cost goes into every
    HTTP figure, ours and the baselines' alike, so a heavier client flatters every ratio.
    """

    def __init__(self, timeout: float = 120) -> None:
        self.timeout = timeout
        self._connections: dict[str, http.client.HTTPConnection] = {}

    def get(
        self, url: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        parts = urlsplit(url)
        target = parts.path + (f"?{urlencode(params)}" if params else "")
        try:
            return self._exchange(parts.netloc, target, headers or {})
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed an idle connection: once more, on a new one.
            self._connections.pop(parts.netloc).close()
            return self._exchange(parts.netloc, target, headers or {})

    def _exchange(self, netloc: str, target: str, headers: dict[str, str]) -> tuple[int, bytes]:
        connection = self._connections.get(netloc)
        if connection is None:
            connection = self._connections[netloc] = http.client.HTTPConnection(netloc, timeout=self.timeout)
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()


def _timed_get(
    client: KeptAliveClient,
    url: str,
    params: dict[str, Any],
    expect: tuple[int, ...],
    headers: dict[str, str] | None = None,
) -> tuple[float, int]:
    """Milliseconds for the whole response, and its body's length."""
    started = time.perf_counter()
    status, body = client.get(url, params, headers)
    elapsed = (time.perf_counter() - started) * 1000
    if status not in expect:
        raise SystemExit(f"{url} {params}: HTTP {status} {body[:200]!r}")
    return elapsed, len(body)


def _timed_sql(cursor: Any, sql: str, params: Any, *, prepare: bool = False) -> float:
    started = time.perf_counter()
    cursor.execute(sql, params, prepare=True) if prepare else cursor.execute(sql, params)
    cursor.fetchall()
    return (time.perf_counter() - started) * 1000


def run() -> dict[str, float]:
    from django.db import connection

    from common.db import prepared_cursor
    from maps.tiles import report_tile_sql

    logging.getLogger("httpx").setLevel(logging.WARNING)  # the server start-up polls /healthz with it
    figures: dict[str, float] = dict(load_reports(REPORTS))
    warm_caches()
    views = viewports(VIEWPORTS)
    token = _admin_token()
    samples: dict[str, list[float]] = {
        k: []
        for k in ("cluster", "supercluster", "tile", "tile_sql", "tile_transport", "tile_naive", "heatmap", "healthz")
    }
    with tempfile.TemporaryDirectory() as tmp:
        points_file = Path(tmp) / "points.f64"
        started = time.perf_counter()
        exported = export_points(points_file)
        log(f"maps: exported {exported} points in {time.perf_counter() - started:.1f}s")
        with (
            web_server(database_url(connection.settings_dict), workers=WORKERS) as base,
            supercluster(points_file) as node,
            _node_server("fixed_body_server.mjs") as (floor_server, _),
            closing(KeptAliveClient()) as client,
        ):
            headers = {"Authorization": f"Token {token}"}
            # Warm both web workers and the Node servers on views outside the measured set.
            for view in viewports(20)[:10]:
                for _ in range(WORKERS):
                    client.get(f"{base}/api/v1/reports/clusters", params={"bbox": view["bbox"], "zoom": view["zoom"]})
                client.get(f"{node}/clusters", params={"bbox": view["bbox"], "zoom": view["zoom"]})
                client.get(f"{floor_server}/bytes", params={"n": 4096})
            with connection.cursor() as cursor, prepared_cursor() as prepared:
                for i, view in enumerate(views):
                    params = {"bbox": view["bbox"], "zoom": view["zoom"]}
                    z, x, y = view["tile"]
                    samples["cluster"].append(_timed_get(client, f"{base}/api/v1/reports/clusters", params, (200,))[0])
                    samples["supercluster"].append(_timed_get(client, f"{node}/clusters", params, (200,))[0])
                    took, size = _timed_get(client, f"{base}/tiles/reports/{z}/{x}/{y}.mvt", {}, (200, 204))
                    samples["tile"].append(took)
                    sql, sql_params = report_tile_sql(z, x, y)
                    # Run as the tile view runs it: prepared, on a server-side-binding cursor.
                    samples["tile_sql"].append(_timed_sql(prepared, sql, sql_params, prepare=True))
                    # The same bytes from memory: what HTTP alone costs this client for this tile.
                    floor_ms, _ = _timed_get(client, f"{floor_server}/bytes", {"n": size}, (200,))
                    samples["tile_transport"].append(floor_ms)
                    # For scale: the server's cheapest page through the whole stack (one SELECT 1).
                    samples["healthz"].append(_timed_get(client, f"{base}/healthz", {}, (200,))[0])
                    samples["heatmap"].append(
                        _timed_get(client, f"{base}/api/v1/stats/heatmap", params, (200,), headers=headers)[0]
                    )
                    if (i + 1) % 50 == 0:
                        log(f"maps: {i + 1}/{len(views)} views")
                # The naive tiles on their own pass: each reads up to a million rows (hundreds of
                # milliseconds), which would evict the caches the next view's samples run on.
                for view in views:
                    samples["tile_naive"].append(_timed_sql(cursor, NAIVE_TILE_SQL, view["tile"]))
    for name, values in samples.items():
        figures[f"{name}_p95_ms"] = round(percentile(values, 95), 1)
    for name in ("cluster", "supercluster", "tile", "tile_naive", "tile_sql", "tile_transport", "healthz"):
        figures[f"{name}_p50_ms"] = round(percentile(samples[name], 50), 1)
    floor = [sql + http for sql, http in zip(samples["tile_sql"], samples["tile_transport"], strict=True)]
    figures["tile_floor_p95_ms"] = round(percentile(floor, 95), 1)
    figures["map_viewports"] = len(views)
    return figures
