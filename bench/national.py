"""National scale (issue 19): the map at one million reports, then at ten million over the whole country, in one
run on a database of its own (`<name>_bench_national`, dropped afterwards unless BENCH_NATIONAL_KEEP=1).

Each scale is loaded afresh inside PostgreSQL (bench.maps.load_reports), then our own figures are taken over
the same viewports (drawn once, at the first scale) from the same client: clusters, tiles (and their SQL),
heatmap and healthz. The first scale's figures keep the maps group's names (`cluster_p95_ms`, `tile_p95_ms`,
`heatmap_p95_ms`, `map_load_s`); each further scale's carry its size (`cluster_p95_ms_10m`, `map_load_s_10m`),
with the ratio to the first (`cluster_ratio_10m`, `tile_ratio_10m`, `heatmap_ratio_10m`). The target: every
ratio at most 1.5 (the map's cost does not grow with the number of reports).
"""

from __future__ import annotations

import os

from bench import maps
from bench.common import log

SCALES = [int(v) for v in os.environ.get("BENCH_NATIONAL_REPORTS", "1000000,10000000").split(",")]
VIEWPORTS = int(os.environ.get("BENCH_NATIONAL_VIEWPORTS", "300"))
FIGURES = ("cluster_p50_ms", "cluster_p95_ms", "tile_p50_ms", "tile_p95_ms", "tile_sql_p95_ms", "heatmap_p95_ms")
RATIOS = ("cluster", "tile", "tile_sql", "heatmap")


def scale_label(count: int) -> str:
    """10000000 -> "10m", 3000000 -> "3m", 500000 -> "500k"."""
    if count % 1_000_000 == 0:
        return f"{count // 1_000_000}m"
    return f"{count // 1000}k" if count % 1000 == 0 else str(count)


def run() -> dict[str, float]:
    figures: dict[str, float] = {}
    views: list[dict[str, object]] = []
    warm: list[dict[str, object]] = []
    first = ""
    for count in SCALES:
        label = scale_label(count)
        log(f"national: {label} reports")
        loaded = maps.load_reports(count)
        if not views:
            # The same views at every scale, drawn at the first.
            views, warm = maps.viewports(VIEWPORTS), maps.viewports(20)[:10]
        maps.warm_caches()
        measured = {**loaded, **maps.measure(views, warm, baselines=False)}
        suffix = "" if not first else f"_{label}"
        for name in ("map_reports", "map_load_s", "healthz_p95_ms", *FIGURES):
            if name in measured:
                figures[name + suffix] = measured[name]
        if not first:
            first = label
            continue
        for kind in RATIOS:
            before = figures[f"{kind}_p95_ms"]
            figures[f"{kind}_ratio_{label}"] = round(measured[f"{kind}_p95_ms"] / before, 2) if before else 0.0
    figures["national_viewports"] = len(views)
    return figures


def drop_database() -> None:
    """Drop the national database (tens of gigabytes at ten million reports) unless asked to keep it."""
    import psycopg
    from django.db import connection

    from tests.servers import database_url

    if os.environ.get("BENCH_NATIONAL_KEEP") == "1":
        return
    name = str(connection.settings_dict["NAME"])
    url = database_url({**connection.settings_dict, "NAME": "postgres"}).replace("postgis://", "postgresql://", 1)
    connection.close()
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())
    log(f"national: dropped {name}")
