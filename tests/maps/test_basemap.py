"""Our own basemap: the demo's extract loaded with the real osm2pgsql, served as vector tiles
(GET /tiles/basemap/{z}/{x}/{y}.mvt: layers water, waterways, roads, places, each feature with kind
and name)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from common.gis import SRID
from demo.basemap import ATTRIBUTION, TOWN_WARD, demo_basemap_osm
from demo.province import demo_units
from maps.basemap import basemap_source, basemap_tile
from maps.services import BasemapImport
from tests.maps.conftest import town_centre
from tests.maps.test_tiles import tile_of

TOWN_ZOOM = 16


@pytest.mark.django_db
def test_without_a_basemap_its_tiles_are_404() -> None:
    # First in the module: the module's import below has not run yet.
    assert basemap_source() is None
    assert Client().get("/tiles/basemap/14/13020/7672.mvt").status_code == 404


def names(tile: dict[str, Any], layer: str) -> set[str]:
    return {f["properties"].get("name") for f in tile.get(layer, {}).get("features", [])} - {None}


@pytest.mark.django_db
def test_the_import_keeps_roads_water_and_places_with_names_in_our_srid(demo_basemap: BasemapImport) -> None:
    assert demo_basemap.roads > 10 and demo_basemap.waterways == 2 and demo_basemap.water == 1
    assert demo_basemap.places == len(demo_units()[3]) + 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT f_table_name, srid FROM geometry_columns WHERE f_table_schema = 'basemap' ORDER BY 1")
        assert cursor.fetchall() == [("places", SRID), ("roads", SRID), ("water", SRID), ("waterways", SRID)]
        cursor.execute("SELECT name FROM basemap.places WHERE kind = 'city'")
        assert cursor.fetchall() == [("Tây Ninh",)]
    assert basemap_source() is not None and basemap_source().attribution == ATTRIBUTION  # type: ignore[union-attr]


@pytest.mark.django_db
def test_a_town_tile_holds_named_streets_water_and_places(demo_basemap: BasemapImport) -> None:
    x, y = tile_of(*town_centre(), TOWN_ZOOM)
    response = Client().get(f"/tiles/basemap/{TOWN_ZOOM}/{x}/{y}.mvt")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert response["Cache-Control"] == "public, max-age=3600"
    tile = mapbox_vector_tile.decode(response.content)
    assert {"Đường số 4", "Hẻm 4"} <= names(tile, "roads")
    assert TOWN_WARD in names(tile, "places")
    streets = [f for f in tile["roads"]["features"] if f["properties"].get("name", "").startswith("Đường số")]
    assert streets and all(f["properties"]["kind"] == "residential" for f in streets)


@pytest.mark.django_db
def test_a_wide_tile_leaves_the_streets_out_and_keeps_the_highway_and_river(demo_basemap: BasemapImport) -> None:
    z = 9
    x, y = tile_of(*town_centre(), z)
    tile = mapbox_vector_tile.decode(basemap_tile(z, x, y) or b"")
    assert "Quốc lộ 22B" in names(tile, "roads")
    assert "Sông Vàm Cỏ Đông" in names(tile, "waterways")
    assert not any(name.startswith(("Đường số", "Hẻm")) for name in names(tile, "roads"))
    assert "Tây Ninh" in names(tile, "places") and TOWN_WARD not in names(tile, "places")


@pytest.mark.django_db
def test_a_tile_outside_the_extract_is_204_and_304_follows_the_etag(demo_basemap: BasemapImport) -> None:
    empty = Client().get("/tiles/basemap/14/0/0.mvt")
    assert empty.status_code == 204 and empty.content == b""
    assert empty["Cache-Control"] == "public, max-age=3600"
    x, y = tile_of(*town_centre(), 12)
    first = Client().get(f"/tiles/basemap/12/{x}/{y}.mvt")
    assert first.status_code == 200
    again = Client().get(f"/tiles/basemap/12/{x}/{y}.mvt", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["3/8/0", "3/0/8", "23/0/0", "99999/1/1", "a/0/0", "1/-1/0"])
def test_a_bad_tile_address_is_404(demo_basemap: BasemapImport, path: str) -> None:
    assert Client().get(f"/tiles/basemap/{path}.mvt").status_code == 404


def test_a_failed_import_leaves_the_basemap_in_use(
    demo_basemap: BasemapImport, tmp_path: Path, django_db_blocker: pytest.FixtureRequest
) -> None:
    broken = tmp_path / "broken.osm"
    broken.write_text(demo_basemap_osm()[:5000], encoding="utf-8")
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        with pytest.raises(CommandError, match="osm2pgsql failed"):
            call_command("basemap_import", str(broken))
        x, y = tile_of(*town_centre(), TOWN_ZOOM)
        assert "Đường số 4" in names(mapbox_vector_tile.decode(basemap_tile(TOWN_ZOOM, x, y) or b""), "roads")
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('basemap_load.roads')")
            assert cursor.fetchone() == (None,)
