"""Writes of the maps app: upkeep of the pre-aggregated report grid, the basemap import."""

from __future__ import annotations

import os
import shutil
import subprocess  # noqa: S404 (osm2pgsql is the importer)
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction

from common.gis import SRID

from . import basemap


def report_grid_compact() -> None:
    """Rewrite the map's pre-aggregated grid (incidents_report_grid) in key order, as a rebuild lays it out.

    Cells new since then landed wherever a page had room, so a map view slowly goes back to reading a
    page per row. CLUSTER holds an exclusive lock while it runs (about 3 s at a million reports):
    reports sent meanwhile wait for it; none fail.
    """
    with connection.cursor() as cursor:
        cursor.execute("CLUSTER incidents_report_grid USING incidents_report_grid_pkey")
        cursor.execute("ANALYZE incidents_report_grid")


class BasemapImportError(Exception):
    """osm2pgsql could not load the extract; the basemap in use (if any) is left as it was."""


@dataclass(frozen=True)
class BasemapImport:
    roads: int
    waterways: int
    water: int
    places: int


def basemap_import(*, path: str, attribution: str = basemap.OSM_ATTRIBUTION) -> BasemapImport:
    """Load an OpenStreetMap extract (.osm.pbf, .osm or .osm.bz2) as our basemap with osm2pgsql.

    osm2pgsql loads a staging schema over its own connection (the project's database settings);
    one transaction then swaps it for the basemap in use, so tiles never see half an import and a
    failed import leaves the old basemap. Runs outside any transaction: osm2pgsql must see the
    staging schema we create.
    """
    if connection.in_atomic_block:
        raise BasemapImportError("basemap_import runs osm2pgsql on its own connection: call it outside a transaction")
    source = Path(path)
    if not source.is_file():
        raise BasemapImportError(f"No such file: {path}")
    program = shutil.which("osm2pgsql")
    if program is None:
        raise BasemapImportError("osm2pgsql is not installed (scripts/system-deps.sh installs it)")
    db = connection.settings_dict
    staging = basemap.SCHEMA + "_load"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {staging} CASCADE")
        cursor.execute(f"CREATE SCHEMA {staging}")
    env = {
        **os.environ,
        "BASEMAP_SCHEMA": staging,
        "BASEMAP_SRID": str(SRID),
        "PGHOST": str(db.get("HOST") or ""),
        "PGPORT": str(db.get("PORT") or ""),
        "PGUSER": str(db.get("USER") or ""),
        "PGPASSWORD": str(db.get("PASSWORD") or ""),
        "PGDATABASE": str(db["NAME"]),
    }
    command = [program, "--output=flex", f"--style={basemap.STYLE}", "--create", "--log-progress=false"]
    command += ["--database", str(db["NAME"]), str(source)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 (fixed program, our arguments)
    if done.returncode != 0:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {staging} CASCADE")
        raise BasemapImportError("osm2pgsql failed: " + done.stderr.strip()[-2000:])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {staging}.meta (attribution text NOT NULL, source text NOT NULL, "
            "imported_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor.execute(
            f"INSERT INTO {staging}.meta (attribution, source) VALUES (%s, %s)",  # noqa: S608 (our schema name)
            [attribution, source.name],
        )
        cursor.execute(f"DROP SCHEMA IF EXISTS {basemap.SCHEMA} CASCADE")
        cursor.execute(f"ALTER SCHEMA {staging} RENAME TO {basemap.SCHEMA}")
        counts = {}
        for table in ("roads", "waterways", "water", "places"):
            cursor.execute(f"SELECT count(*) FROM {basemap.SCHEMA}.{table}")  # noqa: S608 (our table names)
            counts[table] = cursor.fetchone()[0]
    return BasemapImport(**counts)


def basemap_drop() -> None:
    """Remove the basemap: maps fall back to the outside tile URL, or to our boundaries alone."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {basemap.SCHEMA} CASCADE")
