"""Cell arithmetic for the pre-aggregated report grid (table incidents_report_grid, migration 0004).

Level L cells are WORLD_METRES / 2**L wide in EPSG:3857, anchored at the origin. The table holds
every report, per status and visibility; a trigger keeps it current with every insert, update and delete.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

WORLD_METRES = 40_075_016.685_578_5
MERCATOR_MAX_LAT = 85.051_128_78
MIN_LEVEL = 2
MAX_LEVEL = 18


def sql_named(sql: str, params: Sequence[Any], prefix: str) -> tuple[str, dict[str, Any]]:
    """Django's %s-style SQL with its parameters as %(name)s ones, to embed in a named-parameter query."""
    names = {f"{prefix}{i}": value for i, value in enumerate(params)}
    order = iter(names)
    # A doubled percent sign stays a literal one.
    named = re.sub(r"%([%s])", lambda m: "%%" if m.group(1) == "%" else f"%({next(order)})s", sql)
    return named, names


def cell_metres(level: int) -> float:
    return WORLD_METRES / 2.0**level


def mercator(lng: float, lat: float) -> tuple[float, float]:
    lat = max(-MERCATOR_MAX_LAT, min(MERCATOR_MAX_LAT, lat))
    x = lng / 360 * WORLD_METRES
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / (2 * math.pi) * WORLD_METRES
    return x, y


def columns(gx0: int, gx1: int) -> list[int]:
    """The cell columns gx0..gx1 as a list, for `gx = ANY(...)`: each column is then its own narrow
    range of the (level, gx, gy, …) key, where `gx BETWEEN` would read every row between."""
    return list(range(gx0, gx1 + 1))


def cell_range(bbox: tuple[float, float, float, float], level: int) -> tuple[int, int, int, int]:
    """(gx_min, gx_max, gy_min, gy_max) of the cells touching the box (lng/lat)."""
    size = cell_metres(level)
    x0, y0 = mercator(bbox[0], bbox[1])
    x1, y1 = mercator(bbox[2], bbox[3])
    return math.floor(x0 / size), math.floor(x1 / size), math.floor(y0 / size), math.floor(y1 / size)
