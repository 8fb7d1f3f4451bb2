"""Deterministic demo data: a synthetic Tây Ninh province, its categories and agencies.

Everything is generated in code (no external files besides data/categories.json),
so a fresh checkout can show a working portal. Demo unit codes start with "D" so
they never collide with official codes.
"""

from __future__ import annotations

import json
import math
import random
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import shapely
from django.conf import settings
from django.db import transaction
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon, mapping

from agencies.models import Agency
from boundaries.models import AdminUnit, Level
from boundaries.services import boundaries_import
from demo.alerts import demo_alerts_load
from demo.open311 import demo_open311_load
from demo.questions import demo_questions_load
from demo.reports import demo_reports_load
from incidents.models import Category

SEED = 72
GRID = 1e-6
CATEGORIES_PATH = Path(settings.BASE_DIR) / "data" / "categories.json"
EMAIL_DOMAIN = "demo.tayninh.gov.vn"

PROVINCE_CODE = "D72"
PROVINCE_NAME = "Tỉnh Tây Ninh (demo)"
PROVINCE_CENTER = (106.13, 11.33)


@dataclass(frozen=True)
class DistrictSpec:
    code: str
    name: str
    kind: str
    seed: tuple[float, float]  # roughly where the real one lies, to split the province
    wards: tuple[str, ...]


DISTRICTS: tuple[DistrictSpec, ...] = (
    DistrictSpec(
        "D703",
        "Thành phố Tây Ninh",
        "Thành phố",
        (106.10, 11.33),
        (
            "Phường 1",
            "Phường 2",
            "Phường 3",
            "Phường IV",
            "Phường Ninh Sơn",
            "Phường Ninh Thạnh",
            "Phường Hiệp Ninh",
            "Xã Bình Minh",
        ),
    ),
    DistrictSpec(
        "D705",
        "Huyện Tân Biên",
        "Huyện",
        (105.99, 11.52),
        (
            "Thị trấn Tân Biên",
            "Xã Thạnh Bình",
            "Xã Tân Lập",
            "Xã Hòa Hiệp",
            "Xã Trà Vong",
            "Xã Mỏ Công",
            "Xã Tân Phong",
        ),
    ),
    DistrictSpec(
        "D706",
        "Huyện Tân Châu",
        "Huyện",
        (106.22, 11.52),
        ("Thị trấn Tân Châu", "Xã Suối Ngô", "Xã Tân Hòa", "Xã Tân Hưng", "Xã Suối Dây", "Xã Tân Đông"),
    ),
    DistrictSpec(
        "D707",
        "Huyện Dương Minh Châu",
        "Huyện",
        (106.27, 11.30),
        ("Thị trấn Dương Minh Châu", "Xã Phan", "Xã Suối Đá", "Xã Bàu Năng", "Xã Chà Là", "Xã Truông Mít"),
    ),
    DistrictSpec(
        "D708",
        "Huyện Châu Thành",
        "Huyện",
        (105.97, 11.25),
        ("Thị trấn Châu Thành", "Xã Thái Bình", "Xã An Cơ", "Xã Hảo Đước", "Xã Ninh Điền", "Xã Biên Giới"),
    ),
    DistrictSpec(
        "D709",
        "Thị xã Hòa Thành",
        "Thị xã",
        (106.14, 11.18),
        (
            "Phường Long Hoa",
            "Phường Hiệp Tân",
            "Phường Long Thành Bắc",
            "Phường Long Thành Trung",
            "Xã Trường Tây",
            "Xã Long Thành Nam",
        ),
    ),
)
WARD_KINDS = ("Thị trấn", "Phường", "Xã")

PROVINCE_AGENCY = "ubnd-d72"
# Provincial departments and the category codes they handle.
DEPARTMENTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("so-gtvt", "Sở Giao thông Vận tải", ("giao-thong", "chieu-sang")),
    ("so-tnmt", "Sở Tài nguyên và Môi trường", ("ve-sinh-moi-truong", "o-nhiem", "dat-dai")),
)


class Writer(Protocol):
    def write(self, msg: str, /) -> Any: ...


@dataclass(frozen=True)
class DemoUnit:
    code: str
    name: str
    kind: str
    parent_code: str
    geom: MultiPolygon


@transaction.atomic
def demo_load(*, stdout: Writer | None = None, reports: int = 0) -> dict[str, int]:
    """Create or update the demo boundaries, categories and agencies; return their counts.

    Idempotent: units, categories and agencies are upserted by code, and a second
    run with the same code leaves the boundary tables unchanged.
    """

    def say(line: str) -> None:
        if stdout is not None:
            stdout.write(line + "\n")

    levels = demo_units()
    with tempfile.TemporaryDirectory(prefix="demo-boundaries-") as folder:
        for level, units in levels.items():
            path = Path(folder) / f"level-{level}.geojson"
            _write_collection(path, units)
            result = boundaries_import(path=str(path), level=level)
            say(
                f"boundaries level {level}: created {result.created}, updated {result.updated}, "
                f"unchanged {result.unchanged}, pieces {result.pieces}"
            )
    categories = _load_categories()
    questions = demo_questions_load()
    agencies = _load_agencies(levels)
    made = demo_reports_load(count=reports) if reports else 0
    alerts = demo_alerts_load()
    open311_clients = demo_open311_load()
    return {
        "provinces": len(levels[Level.PROVINCE]),
        "districts": len(levels[Level.DISTRICT]),
        "wards": len(levels[Level.WARD]),
        "categories": len(categories),
        "questions": questions,
        "agencies": len(agencies),
        "reports": made,
        "alerts": alerts,
        "open311 clients": open311_clients,
    }


def demo_units() -> dict[int, list[DemoUnit]]:
    """The demo units by level, tiling exactly: wards make up districts, districts the province."""
    rng = random.Random(SEED)  # noqa: S311 (reproducible demo data, not secrets)
    province = _province_outline(rng)

    district_seeds = [
        (lon + rng.uniform(-0.015, 0.015), lat + rng.uniform(-0.015, 0.015)) for lon, lat in (d.seed for d in DISTRICTS)
    ]
    district_cells = _voronoi_split(province, district_seeds)

    ward_cells: list[Polygon | MultiPolygon] = []
    ward_district: list[int] = []
    for index, (spec, cell) in enumerate(zip(DISTRICTS, district_cells, strict=True)):
        seeds = _spread_points(cell, len(spec.wards), rng)
        ward_cells.extend(_voronoi_split(cell, seeds))
        ward_district.extend([index] * len(spec.wards))

    faces_by_ward = _snap_to_grid(ward_cells)

    def merged(ward_indexes: Sequence[int]) -> MultiPolygon:
        faces = [face for i in ward_indexes for face in faces_by_ward[i]]
        return _as_multipolygon(shapely.union_all(faces, grid_size=GRID))

    wards: list[DemoUnit] = []
    districts: list[DemoUnit] = []
    for index, spec in enumerate(DISTRICTS):
        members = [i for i, d in enumerate(ward_district) if d == index]
        districts.append(DemoUnit(spec.code, spec.name, spec.kind, PROVINCE_CODE, merged(members)))
        for number, (ward_index, name) in enumerate(zip(members, spec.wards, strict=True)):
            # Codes in the range of the real Tây Ninh wards (25xxx), prefixed D.
            code = f"D{25450 + index * 20 + number}"
            wards.append(DemoUnit(code, name, _ward_kind(name), spec.code, merged([ward_index])))
    whole = DemoUnit(PROVINCE_CODE, PROVINCE_NAME, "Tỉnh", "", merged(range(len(ward_cells))))

    _check_coverage(whole, districts, wards)
    return {Level.PROVINCE: [whole], Level.DISTRICT: districts, Level.WARD: wards}


def _province_outline(rng: random.Random) -> Polygon:
    # A star-shaped outline (one vertex per angle) is always a simple polygon;
    # smoothing the noise keeps it irregular without spikes.
    count = 40
    noise = [rng.uniform(-1.0, 1.0) for _ in range(count)]
    lon0, lat0 = PROVINCE_CENTER
    ring = []
    for i in range(count):
        smooth = (noise[i - 1] + 2 * noise[i] + noise[(i + 1) % count]) / 4
        radius = 0.245 + 0.06 * smooth
        angle = 2 * math.pi * i / count
        ring.append((round(lon0 + radius * math.cos(angle), 6), round(lat0 + 1.1 * radius * math.sin(angle), 6)))
    return Polygon(ring)


def _voronoi_split(area: Polygon | MultiPolygon, seeds: Sequence[tuple[float, float]]) -> list[Polygon | MultiPolygon]:
    """Voronoi cells of the seeds, clipped to the area, in the order of the seeds."""
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=area.envelope.buffer(0.1), ordered=True)
    return [shapely.intersection(cell, area) for cell in shapely.get_parts(cells)]


def _spread_points(area: Polygon | MultiPolygon, count: int, rng: random.Random) -> list[tuple[float, float]]:
    """Random points inside the area, kept apart so no cell is a sliver."""
    min_x, min_y, max_x, max_y = area.bounds
    spacing = 0.6 * math.sqrt(area.area / count)
    points: list[tuple[float, float]] = []
    attempts = 0
    while len(points) < count:
        attempts += 1
        if attempts % 500 == 0:
            spacing *= 0.8
        x, y = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
        if not area.contains(Point(x, y)):
            continue
        if all(math.hypot(x - px, y - py) >= spacing for px, py in points):
            points.append((x, y))
    return points


def _snap_to_grid(cells: Sequence[Polygon | MultiPolygon]) -> list[list[Polygon]]:
    """Round the cells to the grid as one coverage, returning each cell's faces.

    Rounding cells one by one would open hairline gaps and overlaps where a
    vertex of one cell lies on an edge of its neighbour; noding all edges
    together and rebuilding the faces keeps shared edges identical.
    """
    edges = shapely.union_all([cell.boundary for cell in cells], grid_size=GRID)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(edges)))
    by_cell: list[list[Polygon]] = [[] for _ in cells]
    for face in faces:
        overlaps = [shapely.intersection(face, cell).area for cell in cells]
        by_cell[max(range(len(cells)), key=overlaps.__getitem__)].append(face)
    if any(not group for group in by_cell):
        raise RuntimeError("A demo cell vanished when rounded to the grid.")
    return by_cell


def _as_multipolygon(geom: shapely.Geometry) -> MultiPolygon:
    geom = shapely.transform(geom, lambda coords: np.round(coords, 6))
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    polygons = [part for part in shapely.get_parts(geom) if isinstance(part, Polygon) and not part.is_empty]
    return MultiPolygon(polygons)


def _check_coverage(province: DemoUnit, districts: list[DemoUnit], wards: list[DemoUnit]) -> None:
    # The generator is deterministic, so this only fires if shapely/GEOS change behaviour.
    groups = [(province, districts)] + [(d, [w for w in wards if w.parent_code == d.code]) for d in districts]
    for parent, children in groups:
        geoms = [child.geom for child in children]
        if not all(geom.is_valid for geom in [parent.geom, *geoms]):
            raise RuntimeError(f"Invalid demo geometry under {parent.code}.")
        if not shapely.coverage_is_valid(geoms):
            raise RuntimeError(f"Demo units under {parent.code} overlap.")
        if abs(sum(geom.area for geom in geoms) - parent.geom.area) > 1e-9 * parent.geom.area:
            raise RuntimeError(f"Demo units under {parent.code} do not fill it.")


def _ward_kind(name: str) -> str:
    return next(kind for kind in WARD_KINDS if name.startswith(kind + " "))


def _write_collection(path: Path, units: list[DemoUnit]) -> None:
    features = [
        {
            "type": "Feature",
            "properties": {"code": u.code, "name": u.name, "kind": u.kind, "parent_code": u.parent_code},
            "geometry": mapping(u.geom),
        }
        for u in units
    ]
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8"
    )


def _load_categories() -> list[Category]:
    entries = json.loads(CATEGORIES_PATH.read_text(encoding="utf-8"))
    categories = []
    for position, entry in enumerate(entries, start=1):
        category, _ = Category.objects.update_or_create(
            code=entry["code"],
            defaults={
                "name": entry["name"],
                "name_en": entry.get("name_en", ""),
                "description": entry["description"],
                "deadline_days": entry["deadline_days"],
                "duplicate_radius_m": entry["duplicate_radius_m"],
                "sort_order": position,
                "is_active": True,
            },
        )
        categories.append(category)
    return categories


def _load_agencies(levels: dict[int, list[DemoUnit]]) -> list[Agency]:
    units = {u.code: u for u in AdminUnit.objects.filter(code__in=[d.code for ds in levels.values() for d in ds])}

    def upsert(code: str, name: str, level: int, parent: Agency | None, unit_code: str) -> Agency:
        agency, _ = Agency.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "level": level,
                "parent": parent,
                "email": f"{code}@{EMAIL_DOMAIN}",
                "phone": _phone(code),
                "is_active": True,
            },
        )
        agency.jurisdiction.set([units[unit_code]])
        return agency

    province = levels[Level.PROVINCE][0]
    # The province UBND takes every category: it is the routing fallback.
    fallback = upsert(PROVINCE_AGENCY, f"UBND {PROVINCE_NAME}", Level.PROVINCE, None, province.code)
    fallback.categories.clear()
    agencies = [fallback]
    for code, name, category_codes in DEPARTMENTS:
        department = upsert(code, name, Level.PROVINCE, None, province.code)
        department.categories.set(Category.objects.filter(code__in=category_codes))
        agencies.append(department)

    district_agencies: dict[str, Agency] = {}
    for district in levels[Level.DISTRICT]:
        agency = upsert(
            f"ubnd-{district.code.lower()}", f"UBND {district.name}", Level.DISTRICT, fallback, district.code
        )
        agency.categories.clear()
        district_agencies[district.code] = agency
        agencies.append(agency)
    for ward in levels[Level.WARD]:
        parent = district_agencies[ward.parent_code]
        agency = upsert(f"ubnd-{ward.code.lower()}", f"UBND {ward.name}", Level.WARD, parent, ward.code)
        agency.categories.clear()
        agencies.append(agency)
    return agencies


def _phone(code: str) -> str:
    # Seeded by the code so an agency keeps its number whatever the order.
    rng = random.Random(f"{SEED}-{code}")  # noqa: S311
    return f"0276 38{rng.randrange(100):02d} {rng.randrange(1000):03d}"
