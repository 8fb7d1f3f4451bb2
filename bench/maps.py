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
import queue
import random
import re
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import numpy as np
import psycopg

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


# Indexes of the reports table are dropped for the bulk insert and built afterwards (each index built
# once over sorted input, instead of updated row by row); the primary key stays.
_INDEXES_SQL = """
SELECT c.relname, pg_get_indexdef(i.indexrelid), con.conname
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
WHERE i.indrelid = 'incidents_report'::regclass AND NOT i.indisprimary AND (con.oid IS NULL OR con.contype = 'u')
ORDER BY c.relname
"""

# The city share, drawn in SQL: Box-Muller normal offsets around each city (the volatile random()
# calls sit in a subquery so that every row draws its own).
_CITY_POINTS_SQL = """
INSERT INTO bench_pts (idx, geom)
SELECT row_number() OVER (), ST_SetSRID(ST_MakePoint(lng + r * cos(t) * spread, lat + r * sin(t) * spread), 4326)
FROM (
    SELECT c.lng, c.lat, 0.03 * sqrt(c.w) AS spread, sqrt(-2 * ln(1 - random())) AS r, 2 * pi() * random() AS t
    FROM unnest(%(lng)s::float8[], %(lat)s::float8[], %(w)s::float8[]) AS c(lng, lat, w),
         generate_series(1, round(%(n)s * c.w / %(total_w)s)::int) AS g
) s
"""


def _index_method(definition: str) -> str:
    match = re.search(r" USING (\w+) ", definition)
    return match.group(1) if match else "btree"


def _finish_load(workers: int = 2) -> None:
    """The load's deferred work (bench_pending_work): the indexes and the grid's rebuild on `workers`
    connections at once (each is one process's work in PostgreSQL), then the unique constraints over
    their new indexes, then VACUUM ANALYZE."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_pending_work') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return
        cursor.execute("SELECT id, stage, label, statement FROM bench_pending_work ORDER BY stage, id")
        work = cursor.fetchall()
    url = database_url(connection.settings_dict).replace("postgis://", "postgresql://", 1)
    errors: list[str] = []

    def drain(todo: queue.SimpleQueue[tuple[int, int, str, str]]) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '1GB'")
            conn.execute("SET work_mem = '256MB'")
            conn.execute("SET max_parallel_maintenance_workers = 0")
            while not errors:
                try:
                    work_id, _stage, label, statement = todo.get_nowait()
                except queue.Empty:
                    return
                step = time.perf_counter()
                try:
                    with conn.transaction():
                        conn.execute(statement.encode())  # our own statements, kept in the table
                        conn.execute("DELETE FROM bench_pending_work WHERE id = %s", [work_id])
                except psycopg.Error as exc:
                    errors.append(f"{label}: {exc}")
                    return
                log(f"maps: {label} in {time.perf_counter() - step:.1f}s")

    started = time.perf_counter()
    for stage, threads in ((1, workers), (2, 1)):
        todo: queue.SimpleQueue[tuple[int, int, str, str]] = queue.SimpleQueue()
        for item in work:
            if item[1] == stage:
                todo.put(item)
        running = [threading.Thread(target=drain, args=(todo,)) for _ in range(threads)]
        for thread in running:
            thread.start()
        for thread in running:
            thread.join()
        if errors:
            raise SystemExit("maps: loading failed: " + "; ".join(errors))
    log(f"maps: indexes and grid built in {time.perf_counter() - started:.1f}s")
    step = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_pending_work")
        cursor.execute("VACUUM ANALYZE incidents_report")
        cursor.execute("VACUUM ANALYZE incidents_report_grid")
    log(f"maps: vacuumed and analyzed in {time.perf_counter() - step:.1f}s")


def load_reports(count: int) -> dict[str, float]:
    """Generate `count` synthetic public reports inside PostgreSQL (nothing goes row by row through
    Python), unless they are there already: points drawn in SQL, located to wards with one spatial join,
    inserted with one INSERT ... SELECT while the table's indexes are dropped, the indexes built
    afterwards, the grid rebuilt in one call, then ANALYZE. All in one transaction: a failed load
    leaves the table as it was."""
    from django.db import connection, transaction

    _finish_load()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM incidents_report WHERE code LIKE %s", [CODE_PREFIX + "%"])
        (present,) = cursor.fetchone()
    if present == count:
        log(f"maps: {count} synthetic reports already loaded")
        return {"map_reports": count}
    started = time.perf_counter()
    categories = _ensure_categories()
    with transaction.atomic(), connection.cursor() as cursor:
        # Triggers off for the bulk work (the grid is rebuilt once at the end), and no FK checks.
        cursor.execute("SET LOCAL session_replication_role = replica")
        # One process draws every random number in order (setseed), so the same run makes the same points.
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        if present:
            cursor.execute("SELECT count(*) FROM incidents_report")
            if cursor.fetchone()[0] == present:
                # Only ours: emptied at once (the truncate trigger empties the grid too).
                cursor.execute("TRUNCATE incidents_report CASCADE")
            else:
                cursor.execute("DELETE FROM incidents_report WHERE code LIKE %s", [CODE_PREFIX + "%"])
        cursor.execute(_INDEXES_SQL)
        indexes = cursor.fetchall()
        # What is left to do after the insert, kept in the database: a load cut short is finished
        # by the next run (_finish_load) instead of leaving the table without its indexes.
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_pending_work (id serial, stage integer, label text, statement text)"
        )
        pending: list[tuple[int, str, str]] = [(1, "grid", "SELECT incidents_report_grid_rebuild()")]
        for name, definition, constraint in indexes:
            if constraint:
                cursor.execute(f'ALTER TABLE incidents_report DROP CONSTRAINT "{constraint}"')
                pending.append(
                    (
                        2,
                        constraint,
                        f'ALTER TABLE incidents_report ADD CONSTRAINT "{constraint}" UNIQUE USING INDEX "{name}"',
                    )
                )
            else:
                cursor.execute(f'DROP INDEX "{name}"')
            pending.append((1, name, definition))
        # Longest first (the text search's GIN index, the grid, the GiST ones), so the two connections
        # that build them end at about the same time.
        order = {"gin": 0, "grid": 1, "gist": 2}
        pending.sort(key=lambda item: (item[0], order.get(_index_method(item[2]) if item[1] != "grid" else "grid", 3)))
        cursor.executemany("INSERT INTO bench_pending_work (stage, label, statement) VALUES (%s, %s, %s)", pending)
        cursor.execute("DROP TABLE IF EXISTS bench_pts")
        cursor.execute("CREATE UNLOGGED TABLE bench_pts (idx integer, geom geometry(Point, 4326))")
        cursor.execute("SELECT setseed(0.42)")
        # Cities: a little over their share, since some of the spread lands at sea or abroad.
        cities = int(count * CITY_SHARE * 1.25)
        lng, lat, weight = ([float(v) for v in column] for column in zip(*CITIES, strict=True))
        cursor.execute(
            _CITY_POINTS_SQL, {"lng": lng, "lat": lat, "w": weight, "n": cities, "total_w": float(sum(weight))}
        )
        cities = cursor.rowcount
        # The rest evenly over the land: points drawn inside each province, by its area.
        cursor.execute(
            """
            INSERT INTO bench_pts (idx, geom)
            SELECT %s + row_number() OVER (), d.geom
            FROM (
                SELECT u.geom, round(%s * ST_Area(u.geom) / sum(ST_Area(u.geom)) OVER ())::int AS n
                FROM boundaries_adminunit u WHERE u.level = 1
            ) p, LATERAL ST_Dump(ST_GeneratePoints(p.geom, greatest(p.n, 1), 7)) d
            """,
            [cities, int(count * (1 - CITY_SHARE) * 1.02)],
        )
        cursor.execute("CREATE INDEX ON bench_pts USING gist (geom)")
        cursor.execute("ANALYZE bench_pts")
        generated = time.perf_counter() - started
        log(f"maps: points generated in {generated:.1f}s")
        # Each point to the ward piece covering it (points outside Vietnam drop out), then the
        # first `count` in a shuffled order, so reports arrive in no spatial order as in life.
        cursor.execute("DROP TABLE IF EXISTS bench_located")
        # No random numbers in this join: it may run on both cores.
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 2")
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
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
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
        if inserted < count:
            raise SystemExit(f"only {inserted} of {count} synthetic reports landed in Vietnam")
        cursor.execute("DROP TABLE bench_pts")
        cursor.execute("DROP TABLE bench_located")
        log(f"maps: reports inserted in {time.perf_counter() - started - generated - located:.1f}s")
    _finish_load()
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
    figures: dict[str, float] = dict(load_reports(REPORTS))
    warm_caches()
    views = viewports(VIEWPORTS)
    figures.update(measure(views, viewports(20)[:10], baselines=True))
    return figures


def measure(views: list[dict[str, Any]], warm_views: list[dict[str, Any]], *, baselines: bool) -> dict[str, float]:
    """Every figure over `views`, after warming the servers on `warm_views`. Without `baselines`, only our own
    (clusters, tiles and their SQL, heatmap, healthz): no supercluster, HTTP floor or naive tiles."""
    from django.db import connection

    from common.db import prepared_cursor
    from maps.tiles import report_tile_sql

    logging.getLogger("httpx").setLevel(logging.WARNING)  # the server start-up polls /healthz with it
    token = _admin_token()
    ours = ("cluster", "tile", "tile_sql", "heatmap", "healthz")
    kinds = ours + (("supercluster", "tile_transport", "tile_naive") if baselines else ())
    samples: dict[str, list[float]] = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        base = stack.enter_context(web_server(database_url(connection.settings_dict), workers=WORKERS))
        client = stack.enter_context(closing(KeptAliveClient()))
        node = floor_server = ""
        if baselines:
            points_file = Path(tmp) / "points.f64"
            started = time.perf_counter()
            exported = export_points(points_file)
            log(f"maps: exported {exported} points in {time.perf_counter() - started:.1f}s")
            node = stack.enter_context(supercluster(points_file))
            floor_server, _ = stack.enter_context(_node_server("fixed_body_server.mjs"))
        headers = {"Authorization": f"Token {token}"}
        # Warm both web workers and the Node servers on views outside the measured set.
        for view in warm_views:
            for _ in range(WORKERS):
                client.get(f"{base}/api/v1/reports/clusters", params={"bbox": view["bbox"], "zoom": view["zoom"]})
            if baselines:
                client.get(f"{node}/clusters", params={"bbox": view["bbox"], "zoom": view["zoom"]})
                client.get(f"{floor_server}/bytes", params={"n": 4096})
        with connection.cursor() as cursor, prepared_cursor() as prepared:
            for i, view in enumerate(views):
                params = {"bbox": view["bbox"], "zoom": view["zoom"]}
                z, x, y = view["tile"]
                samples["cluster"].append(_timed_get(client, f"{base}/api/v1/reports/clusters", params, (200,))[0])
                if baselines:
                    samples["supercluster"].append(_timed_get(client, f"{node}/clusters", params, (200,))[0])
                took, size = _timed_get(client, f"{base}/tiles/reports/{z}/{x}/{y}.mvt", {}, (200, 204))
                samples["tile"].append(took)
                sql, sql_params = report_tile_sql(z, x, y)
                # Run as the tile view runs it: prepared, on a server-side-binding cursor.
                samples["tile_sql"].append(_timed_sql(prepared, sql, sql_params, prepare=True))
                if baselines:
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
            if baselines:
                # The naive tiles on their own pass: each reads up to a million rows (hundreds of
                # milliseconds), which would evict the caches the next view's samples run on.
                for view in views:
                    samples["tile_naive"].append(_timed_sql(cursor, NAIVE_TILE_SQL, view["tile"]))
    figures: dict[str, float] = {}
    for name, values in samples.items():
        figures[f"{name}_p95_ms"] = round(percentile(values, 95), 1)
    for name in ("cluster", "supercluster", "tile", "tile_naive", "tile_sql", "tile_transport", "healthz"):
        if name in samples:
            figures[f"{name}_p50_ms"] = round(percentile(samples[name], 50), 1)
    if baselines:
        floor = [sql + http for sql, http in zip(samples["tile_sql"], samples["tile_transport"], strict=True)]
        figures["tile_floor_p95_ms"] = round(percentile(floor, 95), 1)
    figures["map_viewports"] = len(views)
    return figures
