"""The pre-aggregated report grid behind the map: a new report is on the map (clusters and tiles) at
once, answers may be cached for at most a minute, and the trigger-kept grid always equals a rebuild."""

from __future__ import annotations

import math
import re
from typing import Any

import mapbox_vector_tile
import pytest
from django.db import connection
from django.test import Client

from incidents.models import Report, ReportStatus
from maps import grid
from maps.map_api import GRID_LEVEL_OFFSET, REPORTS_FROM_ZOOM
from maps.tasks import compact_report_grid
from tests.factories import pin, report_make

BBOX = "105.0,10.5,107.0,12.0"


def tile_of(lng: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lng + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def cluster_total(client: Client, **params: Any) -> int:
    response = client.get("/api/v1/reports/clusters", {"bbox": BBOX, "zoom": 9, **params})
    assert response.status_code == 200
    return sum(f["properties"].get("count", 1) for f in response.json()["features"])


def tile_total(client: Client, z: int, x: int, y: int) -> int:
    response = client.get(f"/tiles/reports/{z}/{x}/{y}.mvt")
    if response.status_code == 204:
        return 0
    features = mapbox_vector_tile.decode(response.content)["reports"]["features"]
    return sum(f["properties"].get("count", 1) for f in features)


def max_age(response: Any) -> int:
    match = re.search(r"max-age=(\d+)", response["Cache-Control"])
    assert match, response["Cache-Control"]
    return int(match.group(1))


@pytest.mark.django_db
def test_a_new_report_is_on_the_map_and_in_the_tiles_at_once(demo: None) -> None:
    client = Client()
    first = report_make(ward="D25450", title="Ổ gà trước chợ")
    x, y = pin(first)
    low_tile = tile_of(x, y, 8)
    high_tile = tile_of(x, y, 16)
    near = f"{x - 0.004},{y - 0.004},{x + 0.004},{y + 0.004}"
    before = (cluster_total(client), cluster_total(client, status="open"), tile_total(client, 8, *low_tile))
    before_high = tile_total(client, 16, *high_tile)

    second = report_make(ward="D25450", title="Ổ gà thứ hai trước chợ")

    # Clusters from the grid (no filter, status filter), a tile made from the grid, the high zoom
    # list and a high zoom tile made from the reports: all see it without waiting.
    assert cluster_total(client) == before[0] + 1
    assert cluster_total(client, status="open") == before[1] + 1
    assert tile_total(client, 8, *low_tile) == before[2] + 1
    assert tile_total(client, 16, *high_tile) == before_high + 1
    listed = client.get("/api/v1/reports/clusters", {"bbox": near, "zoom": str(REPORTS_FROM_ZOOM)}).json()
    codes = [f["properties"].get("code") for f in listed["features"]]
    assert second.code in codes
    # Caches may keep an answer for at most a minute.
    assert max_age(client.get("/api/v1/reports/clusters", {"bbox": BBOX, "zoom": "9"})) <= 60
    assert max_age(client.get(f"/tiles/reports/8/{low_tile[0]}/{low_tile[1]}.mvt")) <= 60


def grid_rows() -> set[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT level, gx, gy, status, public, n, sum_id, round(sum_lng::numeric, 6), round(sum_lat::numeric, 6) "
            "FROM incidents_report_grid WHERE n <> 0"
        )
        return set(cursor.fetchall())


@pytest.mark.django_db
def test_the_trigger_kept_grid_equals_a_rebuild(demo: None) -> None:
    reports = [report_make(ward=ward) for ward in ("D25450", "D25451", "D25470", "D25450")]
    # Every kind of change the grid follows: status, visibility, location, removal; and one it ignores.
    # Moves to a status that sorts before the old one and after it: the trigger orders its locks by status.
    Report.objects.filter(pk=reports[0].pk).update(status=ReportStatus.COMPLETED)
    Report.objects.filter(pk=reports[0].pk).update(status=ReportStatus.IN_PROGRESS)
    Report.objects.filter(pk=reports[0].pk).update(status=ReportStatus.AWAITING_APPROVAL)
    Report.objects.filter(pk=reports[1].pk).update(is_public=False)
    Report.objects.filter(pk=reports[2].pk).update(location=reports[3].location)
    Report.objects.filter(pk=reports[3].pk).update(title="Tiêu đề mới", support_count=3)
    report_make(ward="D25452").delete()
    kept = grid_rows()
    assert kept
    with connection.cursor() as cursor:
        cursor.execute("SELECT incidents_report_grid_rebuild()")
    assert grid_rows() == kept
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM incidents_report_grid WHERE n <= 0")
        assert cursor.fetchone() == (0,)
        cursor.execute("SELECT level, sum(n) FROM incidents_report_grid GROUP BY level")
        assert {total for _, total in cursor.fetchall()} == {Report.objects.count()}


def to_lng_lat(x: float, y: float) -> tuple[float, float]:
    return x / grid.WORLD_METRES * 360, math.degrees(math.atan(math.sinh(2 * math.pi * y / grid.WORLD_METRES)))


def cluster_cells(client: Client, zoom: int, bbox: str, **params: Any) -> list[tuple[int, float, float]]:
    response = client.get("/api/v1/reports/clusters", {"bbox": bbox, "zoom": zoom, **params})
    assert response.status_code == 200, response.content
    return sorted(
        (
            f["properties"].get("count", 1),
            round(f["geometry"]["coordinates"][0], 6),
            round(f["geometry"]["coordinates"][1], 6),
        )
        for f in response.json()["features"]
    )


@pytest.mark.django_db
def test_grid_clusters_equal_live_ones_at_every_clustered_zoom(demo: None) -> None:
    """Unfiltered views read the grid (every zoom below REPORTS_FROM_ZOOM, 16 included); a filter that
    keeps every report makes the same cells from the reports themselves: both must agree."""
    reports = [report_make(ward=ward) for ward in ("D25450", "D25450", "D25451", "D25470", "D25450")]
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT level FROM incidents_report_grid ORDER BY level")
        assert [level for (level,) in cursor.fetchall()] == list(range(grid.MIN_LEVEL, grid.MAX_LEVEL + 1))
    assert grid.MAX_LEVEL >= REPORTS_FROM_ZOOM - 1 + GRID_LEVEL_OFFSET
    client = Client()
    x, y = grid.mercator(*pin(reports[0]))
    for zoom in range(5, REPORTS_FROM_ZOOM):
        # 7 x 7 cells around the first report, the box a hair inside their outer edges: the grid's
        # cells touching the box are then exactly those whose reports the box covers.
        size = grid.cell_metres(zoom + GRID_LEVEL_OFFSET)
        gx, gy = math.floor(x / size), math.floor(y / size)
        west, south = to_lng_lat((gx - 3) * size + size * 1e-6, (gy - 3) * size + size * 1e-6)
        east, north = to_lng_lat((gx + 4) * size - size * 1e-6, (gy + 4) * size - size * 1e-6)
        bbox = f"{west!r},{south!r},{east!r},{north!r}"
        from_grid = cluster_cells(client, zoom, bbox)
        live = cluster_cells(client, zoom, bbox, kind="feedback")
        assert from_grid == live, zoom
        assert sum(count for count, _, _ in from_grid) >= 1, zoom


def laid_out_in_key_order() -> bool:
    """Whether each level's rows lie on disk (ctid) in key order: what puts neighbouring cells on shared pages."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT level, gx, gy, status, public FROM incidents_report_grid ORDER BY ctid")
        by_disk = cursor.fetchall()
    levels = {row[0] for row in by_disk}
    return all(
        [row for row in by_disk if row[0] == level] == sorted(row for row in by_disk if row[0] == level)
        for level in levels
    )


@pytest.mark.django_db
def test_the_grid_is_laid_out_in_key_order_by_a_rebuild_and_by_the_nightly_compaction(demo: None) -> None:
    for ward in ("D25450", "D25451", "D25470", "D25452", "D25453"):
        report_make(ward=ward)
    with connection.cursor() as cursor:
        cursor.execute("SELECT incidents_report_grid_rebuild()")
    assert laid_out_in_key_order()

    # Reports filed later add cells at the end of the table; the compaction puts them in place.
    report_make(ward="D25471")
    report_make(ward="D25456")
    assert not laid_out_in_key_order()
    added = grid_rows()
    compact_report_grid(timestamp=0)
    assert laid_out_in_key_order()
    assert grid_rows() == added  # the same cells and sums, only moved


def test_the_worker_compacts_the_grid_every_night_in_vietnam() -> None:
    from procrastinate.contrib.django import app

    periodic = {key[0]: task for key, task in app.periodic_registry.periodic_tasks.items()}
    # 20:30 UTC is 03:30 in Vietnam (UTC+7).
    assert periodic["incidents.tasks.compact_report_grid"].cron == "30 20 * * *"
