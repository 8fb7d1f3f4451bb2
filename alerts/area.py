"""The warning area: parsing and checking the parts a staff member draws or picks (polygons,
circles, administrative units), the vertex and size limits, their union, the jurisdiction check,
who lives inside (the people query that delivery runs too, and the banded count a preview shows), and
the small pieces a published area is cut into for the point query.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from rest_framework_gis.fields import GeometryField

from accounts.models import User as Account
from agencies.models import Agency
from boundaries.models import AdminUnit
from common.gis import SRID, CoordinateError, make_point, metres_to_degrees, parse_lat_lng, to_multipolygon

from .models import Alert, AlertAreaPart, AlertPiece

Kind = AlertAreaPart.Kind

# Circles: at least a few metres, at most a province across.
MAX_RADIUS_M = 100_000.0
MAX_PARTS = 50
# Vertices of all the drawn polygons of one warning together (every ring of every part).
MAX_POLYGON_VERTICES = 5_000
# An area may stick out of the jurisdiction by this much (drawing by hand on a border).
JURISDICTION_TOLERANCE_M = 100.0
# A ward counts as inside when at least this share of it lies in the area (borders only touch).
WARD_SHARE = 0.01


@dataclass
@dataclass
class AreaResult:
    geom: MultiPolygon
    parts: list[AlertAreaPart]
    description: str


# drf-gis parses the GeoJSON; it does not check type, SRID, size or validity, so the checks below do.
GEOJSON = GeometryField()


def _polygon_from_geojson(raw: Any, index: int) -> list[Polygon]:
    where = f"Vùng vẽ thứ {index}"
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ValidationError(f"{where}: GeoJSON không đọc được.") from None
    if isinstance(raw, dict) and raw.get("type") == "Feature":
        raw = raw.get("geometry")
    if not isinstance(raw, dict) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValidationError(f"{where}: cần một GeoJSON Polygon (hoặc MultiPolygon).")
    try:
        # Type and coordinates only: a "crs" member would name another SRID, and GeoJSON is WGS 84.
        geom = GEOJSON.to_internal_value({"type": raw["type"], "coordinates": raw.get("coordinates")})
    except ValidationError:
        raise ValidationError(f"{where}: GeoJSON sai cấu trúc (mỗi vòng cần ít nhất 4 điểm, khép kín).") from None
    geom.srid = SRID
    # Every ring of every polygon counts, before any of them is checked (validity costs per vertex).
    if geom.num_points > MAX_POLYGON_VERTICES:
        raise ValidationError(f"{where}: quá nhiều đỉnh (tối đa {MAX_POLYGON_VERTICES} cho cả vùng).")
    polygons: list[Polygon] = [p for p in geom if isinstance(p, Polygon)] if isinstance(geom, MultiPolygon) else []
    if isinstance(geom, Polygon):
        polygons = [geom]
    for polygon in polygons:
        for x, y in polygon.exterior_ring.coords:
            if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
                raise ValidationError(f"{where}: tọa độ nằm ngoài phạm vi (kinh độ -180..180, vĩ độ -90..90).")
        if not polygon.valid:
            raise ValidationError(
                f"{where} tự cắt nhau hoặc không hợp lệ ({polygon.valid_reason}). "
                "Hãy vẽ lại sao cho các cạnh không cắt nhau."
            )
        if polygon.area <= 0:
            raise ValidationError(f"{where}: vùng có diện tích bằng 0.")
    return polygons


def _parse_parts(raw_parts: Any) -> list[AlertAreaPart]:
    if not isinstance(raw_parts, list) or not raw_parts:
        raise ValidationError("Cần ít nhất một vùng: vẽ đa giác, vẽ hình tròn hoặc chọn đơn vị hành chính.")
    if len(raw_parts) > MAX_PARTS:
        raise ValidationError(f"Tối đa {MAX_PARTS} phần vùng cho một cảnh báo.")
    parts: list[AlertAreaPart] = []
    unit_codes: list[str] = []
    vertices = 0
    for index, raw in enumerate(raw_parts, start=1):
        if not isinstance(raw, dict):
            raise ValidationError(f"Phần vùng thứ {index} không hợp lệ.")
        kind = raw.get("kind")
        if kind == Kind.POLYGON:
            for polygon in _polygon_from_geojson(raw.get("geometry"), index):
                # The limit holds for the whole area, not per part: many parts just under it add up.
                vertices += polygon.num_points
                if vertices > MAX_POLYGON_VERTICES:
                    raise ValidationError(f"Cả vùng cảnh báo có quá nhiều đỉnh (tối đa {MAX_POLYGON_VERTICES}).")
                parts.append(AlertAreaPart(kind=Kind.POLYGON, polygon=polygon))
        elif kind == Kind.CIRCLE:
            try:
                lng, lat = parse_lat_lng(raw.get("lat"), raw.get("lng"))
            except CoordinateError as exc:
                raise ValidationError(f"Hình tròn thứ {index}: {exc}") from None
            try:
                radius = float(raw.get("radius_m"))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise ValidationError(f"Hình tròn thứ {index}: bán kính phải là một số (mét).") from None
            if not math.isfinite(radius) or radius <= 0:
                raise ValidationError(f"Hình tròn thứ {index}: bán kính phải lớn hơn 0 mét.")
            if radius > MAX_RADIUS_M:
                raise ValidationError(
                    f"Hình tròn thứ {index}: bán kính tối đa {MAX_RADIUS_M / 1000:g} km; vùng lớn hơn hãy chọn "
                    "đơn vị hành chính."
                )
            parts.append(AlertAreaPart(kind=Kind.CIRCLE, center=make_point(lng, lat), radius_m=radius))
        elif kind == Kind.UNIT:
            code = str(raw.get("code") or "").strip()
            if not code:
                raise ValidationError(f"Phần vùng thứ {index}: thiếu mã đơn vị hành chính.")
            unit_codes.append(code)
            parts.append(AlertAreaPart(kind=Kind.UNIT, unit=AdminUnit(code=code)))
        else:
            raise ValidationError(f"Phần vùng thứ {index}: loại phải là polygon, circle hoặc unit.")
    if unit_codes:
        units = {u.code: u for u in AdminUnit.objects.current().filter(code__in=unit_codes).defer("geom")}
        missing = [code for code in unit_codes if code not in units]
        if missing:
            raise ValidationError(f"Không có đơn vị hành chính mã {', '.join(missing)}.")
        for part in parts:
            if part.kind == Kind.UNIT:
                part.unit = units[part.unit.code]  # type: ignore[union-attr]
    for position, part in enumerate(parts):
        part.position = position
    return parts


_UNION_SQL = f"""
    SELECT ST_AsEWKB(ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(g)), 3)))
    FROM (
        SELECT ST_GeomFromEWKB(b) AS g FROM unnest(%(polygons)s::bytea[]) AS b
        UNION ALL
        SELECT ST_Buffer(ST_SetSRID(ST_MakePoint(c.lng, c.lat), {SRID})::geography, c.r, 'quad_segs=16')::geometry
        FROM unnest(%(lngs)s::float8[], %(lats)s::float8[], %(radii)s::float8[]) AS c(lng, lat, r)
        UNION ALL
        SELECT geom FROM {AdminUnit._meta.db_table} WHERE id = ANY(%(units)s::bigint[])
    ) s
"""  # noqa: S608 (table name from model metadata)


def area_union(parts: Sequence[AlertAreaPart]) -> MultiPolygon:
    """The parts as one valid MultiPolygon: polygons, circles buffered in metres, unit geometries."""
    polygons = [bytes(p.polygon.ewkb) for p in parts if p.kind == Kind.POLYGON and p.polygon is not None]
    circles = [p for p in parts if p.kind == Kind.CIRCLE and p.center is not None]
    with connection.cursor() as cursor:
        cursor.execute(
            _UNION_SQL,
            {
                "polygons": polygons,
                "lngs": [p.center.x for p in circles],  # type: ignore[union-attr]
                "lats": [p.center.y for p in circles],  # type: ignore[union-attr]
                "radii": [p.radius_m for p in circles],
                "units": [p.unit_id or p.unit.pk for p in parts if p.kind == Kind.UNIT and p.unit is not None],
            },
        )
        (raw,) = cursor.fetchone()
    if raw is None:
        raise ValidationError("Vùng cảnh báo trống.")
    geom = to_multipolygon(GEOSGeometry(memoryview(bytes(raw))))
    geom.srid = SRID
    if geom.empty:
        raise ValidationError("Vùng cảnh báo trống.")
    return geom


_JURISDICTION_SQL = f"""
    WITH j AS (
        SELECT ST_Union(u.geom) AS geom FROM {AdminUnit._meta.db_table} u
        JOIN {Agency.jurisdiction.through._meta.db_table} aj ON aj.adminunit_id = u.id
        WHERE aj.agency_id = %(agency)s
    )
    SELECT j.geom IS NOT NULL,
        CASE WHEN j.geom IS NULL THEN false
             WHEN ST_Covers(j.geom, %(area)s::geometry) THEN true
             ELSE ST_Covers(ST_Buffer(j.geom, %(tolerance)s), %(area)s::geometry) END
    FROM j
"""  # noqa: S608


def area_check_jurisdiction(geom: MultiPolygon, agency: Agency) -> None:
    """Refuse an area reaching outside the agency's jurisdiction (beyond a small tolerance)."""
    tolerance = metres_to_degrees(JURISDICTION_TOLERANCE_M, geom.centroid.y)
    with connection.cursor() as cursor:
        # psycopg adapts the EWKB memoryview; django-stubs' cursor parameters do not list memoryview.
        cursor.execute(_JURISDICTION_SQL, {"agency": agency.pk, "area": geom.ewkb, "tolerance": tolerance})  # type: ignore[dict-item]
        has, inside = cursor.fetchone()
    if not has:
        raise ValidationError(f"Cơ quan “{agency.name}” chưa được giao địa bàn nên chưa phát hành được cảnh báo.")
    if not inside:
        raise ValidationError(
            f"Vùng cảnh báo vượt ra ngoài địa bàn quản lý của “{agency.name}”. "
            "Hãy thu hẹp vùng vẽ hoặc chọn đơn vị hành chính trong địa bàn."
        )


# A unit counts as wholly inside when this share of it lies in the area (drawn borders wobble).
WHOLE_SHARE = 0.98
DESCRIPTION_MAX = 300

# Districts and wards meeting the area, with the share of each inside it: computed in the database from the
# area itself, so a drawn polygon is named by the wards it covers exactly as picked units are.
_DESCRIBE_SQL = f"""
    WITH area AS (SELECT %(area)s::geometry AS geom)
    SELECT u.id, u.parent_id, u.level, u.name,
        ST_Area(ST_Intersection(u.geom, area.geom)) / NULLIF(ST_Area(u.geom), 0) AS share
    FROM {AdminUnit._meta.db_table} u, area
    WHERE u.level IN (1, 2, 3) AND ST_Intersects(u.geom, area.geom)
      AND u.valid_from <= %(day)s AND (u.valid_to IS NULL OR u.valid_to > %(day)s)
    ORDER BY u.level, u.name, u.id
"""  # noqa: S608 (table name from model metadata)


def area_describe(geom: MultiPolygon) -> str:
    """The names of the units the area covers, for people (this text goes into the SMS): a province or
    district lying wholly inside is named itself, otherwise the wards with more than WARD_SHARE inside;
    cut to DESCRIPTION_MAX characters with the count of the names left out."""
    with connection.cursor() as cursor:
        cursor.execute(_DESCRIBE_SQL, {"area": geom.ewkb, "day": timezone.localdate()})  # type: ignore[dict-item]
        rows = cursor.fetchall()
    whole: set[int] = set()
    names: list[str] = []
    for unit_id, parent_id, level, name, share in rows:
        if parent_id in whole:
            whole.add(unit_id)
            continue
        if level < 3 and (share or 0) >= WHOLE_SHARE:
            whole.add(unit_id)
            names.append(name)
        elif level == 3 and (share or 0) > WARD_SHARE:
            names.append(name)
    return _join_names(names)


def _join_names(names: list[str]) -> str:
    text = ", ".join(names)
    if len(text) <= DESCRIPTION_MAX:
        return text
    for keep in range(len(names) - 1, 0, -1):
        # Stored text for SMS and CAP, in Vietnamese whatever the writer's page language.
        text = ", ".join(names[:keep]) + f" và {len(names) - keep} đơn vị khác"
        if len(text) <= DESCRIPTION_MAX:
            return text
    return names[0][:DESCRIPTION_MAX]


def area_build(raw_parts: Any, *, agency: Agency | None = None) -> AreaResult:
    """Parse, union and (with an agency) check an area; ValidationError keyed "area" on bad input."""
    try:
        parts = _parse_parts(raw_parts)
        geom = area_union(parts)
        if agency is not None:
            area_check_jurisdiction(geom, agency)
    except ValidationError as exc:
        raise ValidationError({"area": exc.messages}) from None
    return AreaResult(geom=geom, parts=parts, description=area_describe(geom))


_PEOPLE_SQL_TEMPLATE = """
    people AS (
        SELECT sp.user_id FROM {places} sp
        WHERE sp.ward_id IN (
            SELECT w.id FROM {units} w, area
            WHERE w.level = 3 AND ST_Intersects(w.geom, area.geom)
              AND ST_Area(ST_Intersection(w.geom, area.geom)) > %(share)s * ST_Area(w.geom)
        )
        UNION
        SELECT sp.user_id FROM {places} sp, area
        WHERE sp.location IS NOT NULL AND ST_Covers(area.geom, sp.location)
    )
"""


def people_sql() -> str:
    """The `people` CTE: opted-in or not, whoever saved a ward meeting the `area` CTE or a point inside it."""
    from accounts.models import SavedPlace

    return _PEOPLE_SQL_TEMPLATE.format(places=SavedPlace._meta.db_table, units=AdminUnit._meta.db_table)


def area_people_count(geom: MultiPolygon) -> int:
    """How many opted-in people have a saved place (ward or point) inside the area."""
    users = Account._meta.db_table
    count_sql = (
        f"SELECT count(*) FROM {users} u JOIN people p ON p.user_id = u.id WHERE u.notify_alerts AND u.is_active"  # noqa: S608
    )
    sql = "WITH area AS (SELECT %(area)s::geometry AS geom), " + people_sql() + count_sql
    with connection.cursor() as cursor:
        cursor.execute(sql, {"area": geom.ewkb, "share": WARD_SHARE})  # type: ignore[dict-item]  # EWKB memoryview, as above
        (count,) = cursor.fetchone()
    return int(count)


# would find a person's saved home by bisection.
PEOPLE_BANDS = (10, 100, 1_000, 10_000, 100_000)


@dataclass(frozen=True)
class PeopleBand:
    """[low, high) people; high None for the top band."""

    low: int
    high: int | None

    @property
    def label(self) -> str:
        low, high = number_format(self.low, force_grouping=True), number_format(self.high or 0, force_grouping=True)
        if self.low == 0:
            return _("Dưới %(high)s người") % {"high": high}
        if self.high is None:
            return _("Từ %(low)s người trở lên") % {"low": low}
        return _("Từ %(low)s đến %(high)s người") % {"low": low, "high": high}


def people_band(count: int) -> PeopleBand:
    low = 0
    for high in PEOPLE_BANDS:
        if count < high:
            return PeopleBand(low=low, high=high)
        low = high
    return PeopleBand(low=low, high=None)


# The subdivided pieces of a published area, each with the window it is in force in.
_PIECES_SQL = f"""
    INSERT INTO {AlertPiece._meta.db_table} (alert_id, geom, valid_from, valid_to)
    SELECT a.id, s.geom, greatest(a.starts_at, a.approved_at), a.ends_at
    FROM {Alert._meta.db_table} a
    CROSS JOIN LATERAL ST_Subdivide(a.area, %(vertices)s) AS s(geom)
    WHERE a.id = %(alert)s
"""  # noqa: S608


def area_pieces_publish(*, alert: Alert) -> None:
    """Cut the published area into small pieces, each in force from approval to the end (the point query reads them)."""
    with connection.cursor() as cursor:
        cursor.execute(_PIECES_SQL, {"alert": alert.pk, "vertices": settings.BOUNDARY_PIECE_MAX_VERTICES})


def area_pieces_withdraw(*, alert: Alert, at: datetime) -> None:
    """End the pieces still in force at `at` (the alert is superseded or cancelled)."""
    AlertPiece.objects.filter(alert=alert, valid_to__gt=at).update(valid_to=at)
