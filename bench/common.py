"""Benchmark plumbing: a database of its own, the shared boundary set, timing helpers."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from io import StringIO
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SHARED_DATA = BASE_DIR.parent / "shared" / "data" / "vn"
EXPECTED = {1: 62, 2: 692, 3: 9853}


def setup_django(suffix: str = "bench") -> None:
    """Point Django at a separate, kept database `<name>_<suffix>` (never the dev data): the benchmarks',
    or the load test's (`make loadtest`)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
    import django
    from django.conf import settings

    db = settings.DATABASES["default"]
    db.setdefault("TEST", {})["NAME"] = f"{db['NAME']}_{suffix}"
    django.setup()
    from django.db import connection
    from django.db.migrations.exceptions import InconsistentMigrationHistory

    original = connection.settings_dict["NAME"]
    try:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=True)
    except InconsistentMigrationHistory:
        # Migrations were rewritten since the kept database was made: start it afresh.
        log("benchmark database out of date: recreating it")
        connection.close()
        connection.settings_dict["NAME"] = original
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=False)


def load_boundaries() -> None:
    """Import all of Vietnam once; later runs find it there and skip."""
    from django.core.management import call_command

    from boundaries.models import AdminUnit

    files = {1: "provinces.geojson.gz", 2: "districts.geojson.gz", 3: "wards_synthetic.geojson.gz"}
    for level, name in files.items():
        if AdminUnit.objects.filter(level=level).count() == EXPECTED[level]:
            continue
        started = time.perf_counter()
        call_command("import_boundaries", str(SHARED_DATA / name), "--level", str(level), stdout=StringIO())
        log(f"imported level {level} in {time.perf_counter() - started:.1f}s")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=1000, method="inclusive")[int(pct * 10) - 1]


def time_each(function: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds per call."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples
