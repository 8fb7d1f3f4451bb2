"""Point lookup figures (issue: boundaries with fast point lookup)."""

from __future__ import annotations

import random
import statistics
import time

from bench.common import log, percentile

BATCH_POINTS = 100_000
SINGLE_POINTS = 1_000


def random_points_in_vietnam(count: int, seed: int) -> list[tuple[float, float]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(g), ST_Y(g) FROM (SELECT (ST_Dump(ST_GeneratePoints(ST_Union(geom), %s, %s))).geom g "
            "FROM boundaries_adminunit WHERE level = 1) s",
            [count, seed],
        )
        points: list[tuple[float, float]] = cursor.fetchall()
    # ST_GeneratePoints yields them grouped by polygon; shuffle like real traffic.
    random.Random(seed).shuffle(points)
    return points


def naive_locate(cursor: object, lng: float, lat: float) -> list[int]:
    """The baseline: one plain ST_Contains query per level on the unsplit polygons."""
    found = []
    for level in (1, 2, 3):
        cursor.execute(  # type: ignore[attr-defined]
            "SELECT id FROM boundaries_adminunit WHERE level = %s "
            "AND ST_Contains(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) LIMIT 1",
            [level, lng, lat],
        )
        row = cursor.fetchone()  # type: ignore[attr-defined]
        if row:
            found.append(row[0])
    return found


def run() -> dict[str, float]:
    from django.db import connection

    from boundaries.selectors import locate, locate_many

    points = random_points_in_vietnam(BATCH_POINTS, seed=2025)
    locate_many(points[:2000])  # warm the caches
    rates = []
    for _ in range(3):
        started = time.perf_counter()
        located = locate_many(points)
        rates.append(len(points) / (time.perf_counter() - started))
    missing = sum(1 for loc in located if loc is None)
    log(f"batch rates {[round(r) for r in rates]}, {missing} points outside every unit")

    sample = points[:SINGLE_POINTS]
    single: list[float] = []
    naive: list[float] = []
    with connection.cursor() as cursor:
        for lng, lat in sample[:100]:
            locate(lng, lat)
            naive_locate(cursor, lng, lat)
        # Interleaved, point by point, so both see the same moments of machine noise.
        for lng, lat in sample:
            started = time.perf_counter()
            locate(lng, lat)
            single.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            naive_locate(cursor, lng, lat)
            naive.append((time.perf_counter() - started) * 1000)
    return {
        "locate_batch_per_s": round(statistics.median(rates)),
        "locate_single_p50_ms": round(percentile(single, 50), 3),
        "locate_single_p99_ms": round(percentile(single, 99), 3),
        "naive_single_p50_ms": round(percentile(naive, 50), 3),
        "naive_single_p99_ms": round(percentile(naive, 99), 3),
    }
