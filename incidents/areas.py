"""An area people subscribe to or read a feed of: a ward, a district, or a radius around a point; parsed in
one place from what a form or a URL gives (the names the report filters use: ward, district; lat, lng,
radius in metres)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from boundaries.models import AdminUnit, Level
from common.gis import SRID

RADIUS_MIN_M = 100
ONE_AREA = gettext_lazy(
    "Hãy chọn đúng một khu vực: một phường, xã; một quận, huyện; hoặc một điểm trên bản đồ và bán kính."
)


def radius_max_m() -> int:
    return int(getattr(settings, "AREA_RADIUS_MAX_M", 5000))


@dataclass(frozen=True)
class Area:
    """A ward or district (`unit`), or the circle of `radius_m` metres around `center`."""

    unit: AdminUnit | None = None
    center: Point | None = None
    radius_m: int | None = None

    def params(self) -> dict[str, str]:
        """The URL parameters naming this area (the feed's and the subscription page's)."""
        if self.unit is not None:
            return {"ward" if self.unit.level == Level.WARD else "district": self.unit.code}
        center = cast(Point, self.center)  # an area without a unit is a circle
        return {"lat": f"{center.y:.6f}", "lng": f"{center.x:.6f}", "radius": str(self.radius_m)}

    def describe(self) -> str:
        if self.unit is not None:
            return self.unit.name
        center = cast(Point, self.center)
        return _("bán kính %(radius)s m quanh điểm %(lat).5f, %(lng).5f") % {
            "radius": self.radius_m,
            "lat": center.y,
            "lng": center.x,
        }


def _number(errors: dict[str, list[str]], name: str, value: str, low: float, high: float) -> float | None:
    try:
        number = float(value.strip().replace(",", "."))
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or not low <= number <= high:
        errors.setdefault(name, []).append(
            _("Giá trị phải là một số từ %(low)s đến %(high)s.") % {"low": low, "high": high}
        )
        return None
    return number


def area_parse(*, ward: str = "", district: str = "", lat: str = "", lng: str = "", radius: str = "") -> Area:
    """The area these parameters name; ValidationError by field when they name none, more than one, or
    something unknown (a unit code not in force, a point off the globe, a radius out of bounds)."""
    ward, district = ward.strip()[:20], district.strip()[:20]
    point = bool(lat.strip() or lng.strip())
    chosen = [name for name, given in (("ward", ward), ("district", district), ("lat", point)) if given]
    if len(chosen) != 1:
        raise ValidationError({chosen[-1] if chosen else "ward": [ONE_AREA]})
    if ward or district:
        level, code, name = (Level.WARD, ward, "ward") if ward else (Level.DISTRICT, district, "district")
        unit = AdminUnit.objects.current().filter(code=code, level=level).first()
        if unit is None:
            raise ValidationError({name: [_("Không có đơn vị hành chính mã này.")]})
        return Area(unit=unit)
    errors: dict[str, list[str]] = {}
    y = _number(errors, "lat", lat, -90, 90)
    x = _number(errors, "lng", lng, -180, 180)
    metres = _number(errors, "radius", radius or "", RADIUS_MIN_M, radius_max_m())
    if errors or x is None or y is None or metres is None:
        raise ValidationError(errors)
    return Area(center=Point(x, y, srid=SRID), radius_m=int(metres))
