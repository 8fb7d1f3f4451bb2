"""The demo's basemap: a small OpenStreetMap XML extract written from the demo province's own
geography (places named after its wards and towns, a few named roads, a river, a lake and a street
grid in the provincial town), loaded with the real importer (osm2pgsql, maps.services.basemap_import).

Generated, not copied from OpenStreetMap, so it ships no third-party data and needs no download;
a deployment loads its real extract with `manage.py basemap_import FILE.osm.pbf` instead.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

from boundaries.models import Level
from demo.province import DISTRICTS, demo_units
from maps.services import BasemapImport, basemap_import

ATTRIBUTION = "Bản đồ nền demo (dữ liệu tự tạo)"
# The demo province's town centre: the street grid of the provincial town is laid around it.
TOWN_WARD = "Phường 1"
GRID_STREETS = 6
GRID_STEP = 0.003  # degrees, about 330 m


def _place_kind(name: str) -> str:
    if name.startswith("Phường"):
        return "suburb"
    if name.startswith("Thị trấn"):
        return "town"
    return "village"


class _OsmWriter:
    """Nodes and ways numbered from 1 (osm2pgsql refuses the negative ids of unsaved editor data)."""

    def __init__(self) -> None:
        # osm2pgsql reads a file in OpenStreetMap's order: every node, then every way.
        self.nodes: list[str] = []
        self.ways: list[str] = []
        self.next_id = 1

    def _id(self) -> int:
        value = self.next_id
        self.next_id += 1
        return value

    @staticmethod
    def _tags(tags: dict[str, str]) -> str:
        return "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())

    def node(self, lon: float, lat: float, tags: dict[str, str] | None = None) -> int:
        node_id = self._id()
        self.nodes.append(
            f'<node id="{node_id}" version="1" lat="{lat:.7f}" lon="{lon:.7f}">{self._tags(tags or {})}</node>'
        )
        return node_id

    def way(self, points: list[tuple[float, float]], tags: dict[str, str], closed: bool = False) -> None:
        refs = [self.node(lon, lat) for lon, lat in points]
        if closed:
            refs.append(refs[0])
        nds = "".join(f'<nd ref="{ref}"/>' for ref in refs)
        self.ways.append(f'<way id="{self._id()}" version="1">{nds}{self._tags(tags)}</way>')

    def xml(self) -> str:
        body = "\n".join(self.nodes + self.ways)
        head = '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="geo-feedback demo">'
        return f"{head}\n{body}\n</osm>\n"


def demo_basemap_osm() -> str:
    """The demo extract as OpenStreetMap XML (deterministic: the same text on every run)."""
    levels = demo_units()
    centre = {unit.name: unit.geom.representative_point() for unit in levels[Level.WARD]}
    district_centre = {unit.code: unit.geom.representative_point() for unit in levels[Level.DISTRICT]}
    osm = _OsmWriter()

    for name, point in centre.items():
        osm.node(point.x, point.y, {"place": _place_kind(name), "name": name})
    town = district_centre[DISTRICTS[0].code]
    osm.node(town.x + 0.004, town.y + 0.004, {"place": "city", "name": "Tây Ninh"})

    def through(*names: str) -> list[tuple[float, float]]:
        return [(centre[n].x, centre[n].y) for n in names]

    def via_districts(*codes: str) -> list[tuple[float, float]]:
        return [(district_centre[c].x, district_centre[c].y) for c in codes]

    osm.way(via_districts("D709", "D703", "D705"), {"highway": "trunk", "name": "Quốc lộ 22B", "ref": "QL22B"})
    osm.way(via_districts("D703", "D707", "D706"), {"highway": "primary", "name": "Đường tỉnh 781", "ref": "ĐT781"})
    osm.way(via_districts("D703", "D708"), {"highway": "secondary", "name": "Đường tỉnh 786"})
    osm.way(through("Phường 1", "Phường 2", "Phường 3"), {"highway": "primary", "name": "Đường 30/4"})
    osm.way(
        through("Phường 3", "Phường IV", "Phường Ninh Sơn"),
        {"highway": "secondary", "name": "Đường Cách Mạng Tháng Tám"},
    )
    osm.way(
        through("Phường 1", "Phường Hiệp Ninh", "Phường Ninh Thạnh"),
        {"highway": "tertiary", "name": "Đường Trần Hưng Đạo"},
    )
    osm.way(through("Phường 2", "Phường Ninh Thạnh"), {"highway": "tertiary", "name": "Đường Nguyễn Chí Thanh"})

    # A street grid in the provincial town, so the closest zooms show streets to pin on.
    origin = centre[TOWN_WARD]
    half = GRID_STREETS // 2
    for i in range(GRID_STREETS):
        offset = (i - half) * GRID_STEP
        span = [(-half * GRID_STEP), ((GRID_STREETS - 1 - half) * GRID_STEP)]
        osm.way(
            [(origin.x + span[0], origin.y + offset), (origin.x + span[1], origin.y + offset)],
            {"highway": "residential", "name": f"Đường số {i + 1}"},
        )
        osm.way(
            [(origin.x + offset, origin.y + span[0]), (origin.x + offset, origin.y + span[1])],
            {"highway": "residential", "name": f"Hẻm {i + 1}"},
        )

    # The Vàm Cỏ Đông river winding down the west of the province, a stream through the town, the lake.
    river = [(105.97 + 0.03 * math.sin(k / 3), 11.62 - k * 0.025) for k in range(24)]
    osm.way(river, {"waterway": "river", "name": "Sông Vàm Cỏ Đông"})
    osm.way(
        [(origin.x - 0.02, origin.y + 0.012), (origin.x - 0.004, origin.y + 0.002), (origin.x + 0.02, origin.y - 0.01)],
        {"waterway": "stream", "name": "Rạch Tây Ninh"},
    )
    lake = district_centre["D707"]
    ring = [
        (lake.x + 0.05 + 0.045 * math.cos(a / 8 * math.pi), lake.y + 0.08 + 0.03 * math.sin(a / 8 * math.pi))
        for a in range(16)
    ]
    osm.way(ring, {"natural": "water", "water": "reservoir", "name": "Hồ Dầu Tiếng"}, closed=True)
    return osm.xml()


def demo_basemap_load() -> BasemapImport:
    """Write the demo extract and load it with osm2pgsql as the basemap (replacing any basemap)."""
    with tempfile.TemporaryDirectory(prefix="demo-basemap-") as folder:
        path = Path(folder) / "demo-basemap.osm"
        path.write_text(demo_basemap_osm(), encoding="utf-8")
        return basemap_import(path=str(path), attribution=ATTRIBUTION)
