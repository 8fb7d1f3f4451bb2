"""GIS helpers shared by the apps: one SRID, explicit point construction."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point, Polygon

# The one spatial reference of stored geometry (WGS 84 longitude/latitude, settings.GEO_SRID):
# models, SQL and parsed input name it, never the number.
SRID: int = settings.GEO_SRID


class CoordinateError(ValueError):
    """A coordinate a person gave cannot be a place on Earth."""


def parse_coordinate(value: object, *, name: str, limit: float) -> float:
    """Parse one latitude or longitude, with a message a person understands."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise CoordinateError(f"Thiếu tham số {name}.")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise CoordinateError(f"{name} phải là một số, nhận được {value!r}.") from None
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise CoordinateError(f"{name} phải nằm trong khoảng -{limit:g} đến {limit:g}.")
    return number


def parse_lat_lng(lat: object, lng: object) -> tuple[float, float]:
    """Return (lng, lat) from user input, validated."""
    return (
        parse_coordinate(lng, name="lng", limit=180),
        parse_coordinate(lat, name="lat", limit=90),
    )


# (west, south, east, north) in WGS 84 degrees.
Bbox = tuple[float, float, float, float]


def parse_bbox(raw: str) -> Bbox:
    """A map view's box from "west,south,east,north", with a message a person understands.

    A box across the antimeridian (west > east) is refused: Vietnam is far from it.
    """
    try:
        numbers = [float(part) for part in raw.split(",")]
    except ValueError:
        raise CoordinateError("bbox phải là tây,nam,đông,bắc (4 số).") from None
    # "nan" and "inf" parse as floats but are not numbers a person means.
    if len(numbers) != 4 or not all(math.isfinite(value) for value in numbers):
        raise CoordinateError("bbox phải là tây,nam,đông,bắc (4 số).")
    west, south, east, north = numbers
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        raise CoordinateError("bbox nằm ngoài phạm vi: kinh độ từ -180 đến 180, vĩ độ từ -90 đến 90.")
    if west >= east or south >= north:
        raise CoordinateError("bbox phải có tây < đông và nam < bắc.")
    return west, south, east, north


def metres_to_degrees(metres: float, lat: float) -> float:
    """A distance in degrees that surely covers `metres` around latitude `lat` (for index boxes)."""
    cos_lat = max(math.cos(math.radians(min(abs(lat), 89.0))), 0.01)
    return metres / (110_574.0 * cos_lat) * 1.01


def make_point(lng: float, lat: float) -> Point:
    return Point(lng, lat, srid=SRID)


def to_multipolygon(geom: GEOSGeometry) -> MultiPolygon:
    """Promote a Polygon to a MultiPolygon; keep only the areal parts otherwise."""
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon(geom, srid=geom.srid)
    polygons: list[Polygon] = []
    for part in geom:  # type: ignore[attr-defined]  # a GeometryCollection, e.g. from make_valid
        if isinstance(part, Polygon):
            polygons.append(part)
        elif isinstance(part, MultiPolygon):
            polygons.extend(part)  # type: ignore[arg-type]
    return MultiPolygon(*polygons, srid=geom.srid)
