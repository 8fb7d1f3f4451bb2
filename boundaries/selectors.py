"""Read-only boundary queries: locating points, listing and fetching units."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.gis.db.models import GeometryField, PointField
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.gis.geos import Polygon
from django.db import connection, transaction
from django.db.models import Func, JSONField, QuerySet, Value

from common.db import prepared_cursor
from common.gis import SRID, Bbox

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

# Batches from this size on take the temporary-table path.
LARGE_BATCH = 1000

_POINTS = "unnest(%(idx)s::integer[], %(lng)s::float8[], %(lat)s::float8[]) AS pt(idx, lng, lat)"
_POINT_GEOM = f"ST_SetSRID(ST_MakePoint(pt.lng, pt.lat), {SRID})"
# Each point goes to the finest unit whose piece covers it (covers: border
# points count); on a shared border the lowest code wins, so the answer is
# deterministic. Pieces exist only for units in force. The lookups answer unit
# ids; the units' names and parents come from the chain cache below.
_COVERS_SQL = f"""
    SELECT DISTINCT ON (pt.idx) pt.idx, piece.unit_id, 0.0::float8
    FROM {_POINTS}
    JOIN {_PIECES} piece ON ST_Covers(piece.geom, {_POINT_GEOM})
    ORDER BY pt.idx, piece.level DESC, piece.code
"""  # noqa: S608 (table names come from model metadata)
# The same for one point: scalar parameters plan and run faster than arrays.
_COVERS_ONE_SQL = f"""
    SELECT unit_id FROM {_PIECES}
    WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(%(lng)s::float8, %(lat)s::float8), {SRID}))
    ORDER BY level DESC, code
    LIMIT 1
"""  # noqa: S608
# Outside every unit: the finest, then nearest unit within the tolerance. The
# degree box (widened for the latitude) lets the index find the candidates.
_NEAR_SQL = f"""
    SELECT DISTINCT ON (pt.idx) pt.idx, piece.unit_id,
        ST_Distance(piece.geom::geography, {_POINT_GEOM}::geography) AS distance
    FROM {_POINTS}
    JOIN {_PIECES} piece
      ON piece.geom && ST_Expand(
            {_POINT_GEOM},
            %(metres)s / (110574.0 * greatest(cos(radians(least(abs(pt.lat), 89.0))), 0.01)) * 1.01)
     AND ST_DWithin(piece.geom::geography, {_POINT_GEOM}::geography, %(metres)s)
    ORDER BY pt.idx, piece.level DESC, distance, piece.code
"""  # noqa: S608
# The large-batch first pass: points in a temporary table with a spatial
# index, matched from the polygon side. Each ward piece probes the points in
# its box, and PostGIS reuses the piece's prepared geometry for all of them.
_WARD_PASS_SQL = f"""
    SELECT DISTINCT ON (pt.idx) pt.idx, piece.unit_id
    FROM {_PIECES} piece
    CROSS JOIN LATERAL (
        SELECT idx FROM locate_points pt WHERE ST_Covers(piece.geom, {_POINT_GEOM})
    ) pt
    WHERE piece.level = 3
    ORDER BY pt.idx, piece.code
"""  # noqa: S608
_CHAINS_SQL = f"""
    SELECT u.id, u.code, u.name, u.kind, u.level,
        p.id, p.code, p.name, p.kind, p.level,
        g.id, g.code, g.name, g.kind, g.level
    FROM {_UNITS} u
    LEFT JOIN {_UNITS} p ON p.id = u.parent_id
    LEFT JOIN {_UNITS} g ON g.id = p.parent_id
    WHERE u.id = ANY(%(ids)s::bigint[])
"""  # noqa: S608

# Unit chains (unit, parent, grandparent) by unit id, per process. Boundaries
# change rarely and through an import, which clears this; other processes see
# a change within CHAIN_CACHE_SECONDS. Reading the chain with every lookup
# cost more than the lookup itself.
CHAIN_CACHE_SECONDS = 60.0
_chain_cache: dict[int, tuple[UnitRef, ...]] = {}
_chain_cache_since = time.monotonic()


def chain_cache_clear() -> None:
    global _chain_cache_since
    _chain_cache.clear()
    _chain_cache_since = time.monotonic()


def _chains(unit_ids: set[int]) -> dict[int, tuple[UnitRef, ...]]:
    """Each unit's chain, finest first, from the cache or the database."""
    if time.monotonic() - _chain_cache_since > CHAIN_CACHE_SECONDS:
        chain_cache_clear()
    missing = [unit_id for unit_id in unit_ids if unit_id not in _chain_cache]
    if missing:
        with prepared_cursor() as cursor:
            cursor.execute(_CHAINS_SQL, {"ids": missing}, prepare=True)
            for row in cursor.fetchall():
                _chain_cache[row[0]] = tuple(
                    UnitRef(*row[offset : offset + 5]) for offset in (0, 5, 10) if row[offset] is not None
                )
    return {unit_id: _chain_cache[unit_id] for unit_id in unit_ids if unit_id in _chain_cache}


# For queries that go on from the unit a point lies in (report routing): the
# finest covering unit, as a subquery taking %(lng)s and %(lat)s.
COVERING_UNIT_SQL = _COVERS_ONE_SQL


def location_of(unit_id: int) -> Location | None:
    """The chain of a unit in force, as `locate` answers it for a point inside the unit."""
    chain = _chains({unit_id}).get(unit_id)
    return Location(chain=chain) if chain is not None else None


def province_served() -> Location | None:
    """The province this deployment serves, as a location without a point: the one province in force
    (the stats page and home read it so too); None when there is none or more than one."""
    provinces = list(AdminUnit.objects.current().filter(level=Level.PROVINCE).values_list("id", flat=True)[:2])
    return location_of(provinces[0]) if len(provinces) == 1 else None


def _point_params(indexes: Sequence[int], points: Sequence[tuple[float, float]]) -> dict[str, Any]:
    return {
        "idx": list(indexes),
        "lng": [float(points[i][0]) for i in indexes],
        "lat": [float(points[i][1]) for i in indexes],
    }


def _locate_small(
    indexes: Sequence[int], points: Sequence[tuple[float, float]], tolerance: float
) -> dict[int, Location]:
    """Locate a few points, driving each lookup from the point side, with prepared statements."""
    with prepared_cursor() as cursor:
        cursor.execute(_COVERS_SQL, _point_params(indexes, points), prepare=True)
        hits = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
        missing = [i for i in indexes if i not in hits]
        if missing and tolerance > 0:
            cursor.execute(_NEAR_SQL, {**_point_params(missing, points), "metres": tolerance}, prepare=True)
            hits.update((row[0], (row[1], row[2])) for row in cursor.fetchall())
    chains = _chains({unit_id for unit_id, _ in hits.values()})
    return {
        idx: Location(chain=chains[unit_id], distance_m=float(distance))
        for idx, (unit_id, distance) in hits.items()
        if unit_id in chains
    }


def locate(lng: float, lat: float, *, tolerance_m: float | None = None) -> Location | None:
    """The ward, district and province containing a point, or None outside them all.

    Points on a border count as inside (covers). A point outside every unit but
    within the tolerance (settings.BOUNDARY_TOLERANCE_M) of one goes to the
    nearest unit.
    """
    with prepared_cursor() as cursor:
        cursor.execute(_COVERS_ONE_SQL, {"lng": float(lng), "lat": float(lat)}, prepare=True)
        row = cursor.fetchone()
    if row is not None:
        chain = _chains({row[0]}).get(row[0])
        if chain is not None:
            return Location(chain=chain)
    tolerance = settings.BOUNDARY_TOLERANCE_M if tolerance_m is None else tolerance_m
    if tolerance <= 0:
        return None
    return _locate_small([0], [(lng, lat)], tolerance).get(0)


def locate_many(points: Sequence[tuple[float, float]], *, tolerance_m: float | None = None) -> list[Location | None]:
    """Locate many (lng, lat) points; the same answers as `locate`, point by point.

    Small batches are one query. Large ones are copied into an indexed
    temporary table and matched against the ward pieces from the polygon side;
    the few points no ward covers are then located one level up, or by tolerance.
    """
    tolerance = settings.BOUNDARY_TOLERANCE_M if tolerance_m is None else tolerance_m
    if len(points) < LARGE_BATCH:
        small = _locate_small(range(len(points)), points, tolerance)
        return [small.get(i) for i in range(len(points))]

    hits: dict[int, int] = {}
    # The temporary table lives for this transaction only.
    with transaction.atomic(), connection.cursor() as cursor:
        # JIT compiling costs more than these short joins gain from it.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("CREATE TEMP TABLE locate_points (idx integer, lng float8, lat float8) ON COMMIT DROP")
        with cursor.cursor.copy("COPY locate_points (idx, lng, lat) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "float8", "float8"])
            for idx, (lng, lat) in enumerate(points):
                copy.write_row((idx, float(lng), float(lat)))
        cursor.execute(f"CREATE INDEX ON locate_points USING gist ((ST_SetSRID(ST_MakePoint(lng, lat), {SRID})))")
        cursor.execute(_WARD_PASS_SQL)
        hits.update(cursor.fetchall())
        rest = [i for i in range(len(points)) if i not in hits]
        extra = _locate_small(rest, points, tolerance) if rest else {}
    # One Location per unit, shared by all the points in it.
    locations = {unit_id: Location(chain=chain) for unit_id, chain in _chains(set(hits.values())).items()}
    return [locations.get(hits[i]) if i in hits else extra.get(i) for i in range(len(points))]


def unit_list(
    *, level: int | None = None, parent_code: str | None = None, bbox: Bbox | None = None
) -> QuerySet[AdminUnit]:
    """Units in force, by level and parent; with `bbox`, only those whose geometry meets the box.

    The box test is ST_Intersects in the database: its `&&` step reads the GiST index on
    the units' geometry, so a map view over ten thousand wards touches only the few it shows.
    """
    units = AdminUnit.objects.current().select_related("parent").defer("geom")
    if level is not None:
        units = units.filter(level=level)
    if parent_code:
        units = units.filter(parent__code=parent_code)
    if bbox is not None:
        box = Polygon.from_bbox(bbox)
        box.srid = settings.GEO_SRID
        units = units.filter(geom__intersects=box)
    return units


class _SimplifyPreserveTopology(Func):
    function = "ST_SimplifyPreserveTopology"
    output_field = GeometryField(srid=SRID)


class _Multi(Func):
    function = "ST_Multi"


def with_outline(units: QuerySet[AdminUnit], *, simplify: float = 0.0, precision: int = 6) -> QuerySet[AdminUnit]:
    """Annotate `outline`: each unit's geometry as a GeoJSON dict, simplified (topology kept) when asked,
    and `label_point`: a point inside the unit where a map writes its name.

    The database writes the GeoJSON, to `precision` decimals: reading the geometry into GEOS and
    rounding each coordinate in Python took twice as long for the map's district layer. The label point
    is ST_PointOnSurface of the full outline, in the same query: the centre of the unit's box falls
    outside a concave or coastal unit.
    """
    geom = (
        _Multi(_SimplifyPreserveTopology("geom", Value(simplify)), output_field=GeometryField(srid=SRID))
        if simplify > 0
        else "geom"
    )
    outline = AsGeoJSON(geom, precision=precision, output_field=JSONField())
    return units.select_related("parent").defer("geom").annotate(outline=outline, label_point=_PointOnSurface("geom"))


class _PointOnSurface(Func):
    function = "ST_PointOnSurface"
    output_field = PointField(srid=SRID)


def unit_point(code: str, *, level: int | None = None) -> tuple[float, float] | None:
    """A point surely inside the unit in force with this code, as (lng, lat); None if there is none."""
    units = AdminUnit.objects.current().filter(code=code)
    if level is not None:
        units = units.filter(level=level)
    point = units.annotate(inside=_PointOnSurface("geom")).values_list("inside", flat=True).first()
    return (point.x, point.y) if point is not None else None
