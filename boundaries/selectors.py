"""Read-only boundary queries: locating points, listing and fetching units."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.db import connection, transaction
from django.contrib.gis.db.models import GeometryField
from django.db.models import Func, QuerySet, Value

from .models import AdminUnit, AdminUnitPiece, Level


@dataclass(frozen=True, slots=True)
class UnitRef:
    id: int
    code: str
    name: str
    kind: str
    level: int


@dataclass(frozen=True, slots=True)
class Location:
    """The chain of units containing a point, finest first."""

    chain: tuple[UnitRef, ...]
    # Metres outside the unit when matched within the tolerance, else 0.
    distance_m: float = 0.0

    def at_level(self, level: int) -> UnitRef | None:
        return next((unit for unit in self.chain if unit.level == level), None)

    @property
    def ward(self) -> UnitRef | None:
        return self.at_level(Level.WARD)

    @property
    def district(self) -> UnitRef | None:
        return self.at_level(Level.DISTRICT)

    @property
    def province(self) -> UnitRef | None:
        return self.at_level(Level.PROVINCE)


_PIECES = AdminUnitPiece._meta.db_table
_UNITS = AdminUnit._meta.db_table

# The finest unit whose piece covers the point; on a shared border the lowest
# code wins, so the answer is deterministic. Pieces only exist for units in force.
_CHAIN_COLUMNS = """
    u.id, u.code, u.name, u.kind, u.level,
    p.id, p.code, p.name, p.kind, p.level,
    g.id, g.code, g.name, g.kind, g.level
"""
_CHAIN_JOINS = f"""
    JOIN {_UNITS} u ON u.id = hit.unit_id
    LEFT JOIN {_UNITS} p ON p.id = u.parent_id
    LEFT JOIN {_UNITS} g ON g.id = p.parent_id
"""
_LOCATE_SQL = f"""
    WITH hit AS (
        SELECT unit_id FROM {_PIECES}
        WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))
        ORDER BY level DESC, code
        LIMIT 1
    )
    SELECT {_CHAIN_COLUMNS}, 0.0 FROM hit {_CHAIN_JOINS}
"""  # noqa: S608 (table names from model metadata)
_NEAREST_SQL = f"""
    WITH pt AS (SELECT ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326) AS geom),
    hit AS (
        SELECT piece.unit_id, ST_Distance(piece.geom::geography, pt.geom::geography) AS distance
        FROM {_PIECES} piece, pt
        WHERE piece.geom && ST_Expand(pt.geom, %(degrees)s)
          AND ST_DWithin(piece.geom::geography, pt.geom::geography, %(metres)s)
        ORDER BY piece.level DESC, distance, piece.code
        LIMIT 1
    )
    SELECT {_CHAIN_COLUMNS}, hit.distance FROM hit {_CHAIN_JOINS}
"""  # noqa: S608


def _degrees_for(metres: float, lat: float) -> float:
    # A box in degrees that surely contains the metric radius, for the index.
    cos_lat = max(math.cos(math.radians(min(abs(lat), 89.0))), 0.01)
    return metres / (110_574.0 * cos_lat) * 1.01


def _chain_from_row(row: Sequence[object]) -> Location:
    chain = []
    for offset in (0, 5, 10):
        if row[offset] is not None:
            chain.append(UnitRef(*row[offset : offset + 5]))  # type: ignore[arg-type]
    return Location(chain=tuple(chain), distance_m=float(row[15]))  # type: ignore[arg-type]


def locate(lng: float, lat: float, *, tolerance_m: float | None = None) -> Location | None:
    """The ward, district and province containing a point, or None outside them all.

    Points on a border count as inside (covers). A point outside every unit but
    within the tolerance (settings.BOUNDARY_TOLERANCE_M) of one goes to the
    nearest unit.
    """
    tolerance = settings.BOUNDARY_TOLERANCE_M if tolerance_m is None else tolerance_m
    with connection.cursor() as cursor:
        cursor.execute(_LOCATE_SQL, (lng, lat))
        row = cursor.fetchone()
        if row is None and tolerance > 0:
            cursor.execute(
                _NEAREST_SQL,
                {"lng": lng, "lat": lat, "metres": tolerance, "degrees": _degrees_for(tolerance, lat)},
            )
            row = cursor.fetchone()
    return _chain_from_row(row) if row else None


def locate_many(points: Sequence[tuple[float, float]], *, tolerance_m: float | None = None) -> list[Location | None]:
    """Locate many (lng, lat) points in a few queries; same answers as `locate`.

    The points are copied into a temporary table, then matched level by level,
    finest first, each level only for the points the finer one left.
    """
    tolerance = settings.BOUNDARY_TOLERANCE_M if tolerance_m is None else tolerance_m
    if not points:
        return []
    hits: dict[int, int] = {}
    distances: dict[int, float] = {}
    # The temporary table lives for this transaction only.
    with transaction.atomic(), connection.cursor() as cursor:
        # JIT compiling costs more than these short joins gain from it.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("CREATE TEMP TABLE locate_points (idx integer, geom geometry(Point, 4326)) ON COMMIT DROP")
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy("COPY locate_points (idx, geom) FROM STDIN") as copy:
            for idx, (lng, lat) in enumerate(points):
                copy.write_row((idx, f"SRID=4326;POINT({float(lng)!r} {float(lat)!r})"))
        # With the points indexed, a large batch is answered from the polygon
        # side: each piece probes the points in its box, and PostGIS reuses the
        # piece's prepared geometry for every point it tests. The planner picks
        # the point side for small batches.
        cursor.execute("CREATE INDEX ON locate_points USING gist (geom)")
        cursor.execute("ANALYZE locate_points")
        for level in (Level.WARD, Level.DISTRICT, Level.PROVINCE):
            cursor.execute(
                f"""
                SELECT DISTINCT ON (pt.idx) pt.idx, piece.unit_id
                FROM {_PIECES} piece
                JOIN locate_points pt ON ST_Covers(piece.geom, pt.geom)
                WHERE piece.level = %s
                ORDER BY pt.idx, piece.code
                """,  # noqa: S608
                [int(level)],
            )
            found = cursor.fetchall()
            hits.update(found)
            if len(hits) == len(points):
                break
            # Keep only the points still unmatched for the coarser level.
            cursor.execute(
                "DELETE FROM locate_points pt USING unnest(%s::integer[]) AS found(idx) WHERE pt.idx = found.idx",
                [[idx for idx, _ in found]],
            )
        if tolerance > 0 and len(hits) < len(points):
            for idx, (lng, lat) in enumerate(points):
                if idx not in hits:
                    near = locate(lng, lat, tolerance_m=tolerance)
                    if near is not None:
                        hits[idx] = near.chain[0].id
                        distances[idx] = near.distance_m
        chains = _chains_for(set(hits.values()), cursor)
    result: list[Location | None] = []
    for idx in range(len(points)):
        unit_id = hits.get(idx)
        if unit_id is None:
            result.append(None)
        else:
            chain = chains[unit_id]
            result.append(Location(chain=chain.chain, distance_m=distances.get(idx, 0.0)))
    return result


def _chains_for(unit_ids: set[int], cursor: object) -> dict[int, Location]:
    if not unit_ids:
        return {}
    cursor.execute(  # type: ignore[attr-defined]
        f"WITH hit AS (SELECT unnest(%s::bigint[]) AS unit_id) SELECT {_CHAIN_COLUMNS}, 0.0 FROM hit {_CHAIN_JOINS}",  # noqa: S608
        [list(unit_ids)],
    )
    return {row[0]: _chain_from_row(row) for row in cursor.fetchall()}  # type: ignore[attr-defined]


def unit_list(*, level: int | None = None, parent_code: str | None = None) -> QuerySet[AdminUnit]:
    units = AdminUnit.objects.current().select_related("parent").defer("geom")
    if level is not None:
        units = units.filter(level=level)
    if parent_code:
        units = units.filter(parent__code=parent_code)
    return units


class _SimplifyPreserveTopology(Func):
    function = "ST_SimplifyPreserveTopology"
    output_field = GeometryField(srid=4326)


class _Multi(Func):
    function = "ST_Multi"


def with_geojson(units: QuerySet[AdminUnit], *, simplify: float = 0.0, precision: int = 6) -> QuerySet[AdminUnit]:
    """Annotate `geojson`: each unit's geometry as GeoJSON text, simplified in the database."""
    geom = (
        _Multi(_SimplifyPreserveTopology("geom", Value(simplify)), output_field=GeometryField(srid=4326))
        if simplify > 0
        else "geom"
    )
    return units.select_related("parent").defer("geom").annotate(geojson=AsGeoJSON(geom, precision=precision))
