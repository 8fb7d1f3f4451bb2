"""GET /tiles/reports/{z}/{x}/{y}.mvt: vector tiles of public reports made by PostGIS.

An empty tile is answered 204 No Content (no body, still cacheable); Leaflet.VectorGrid,
MapLibre and OpenLayers all treat it as an empty tile.
"""

from __future__ import annotations

import math
from io import StringIO

import mapbox_vector_tile
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from incidents.models import Report
from incidents.tiles import report_tile
from tests.conftest import point_in


def tile_of(lng: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lng + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def public_in_tile(z: int, x: int, y: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM incidents_report r, ST_TileEnvelope(%s, %s, %s) e "
            "WHERE r.is_public AND ST_Intersects(ST_Transform(r.location, 3857), e)",
            [z, x, y],
        )
        row = cursor.fetchone()
    assert row is not None
    return row[0]


@pytest.fixture
def reports(demo: None) -> list[Report]:
    call_command("load_demo", "--reports", "60", stdout=StringIO())
    return list(Report.objects.all())


@pytest.mark.django_db
def test_a_low_zoom_tile_holds_clusters_of_the_public_reports(reports: list[Report]) -> None:
    Report.objects.filter(pk__in=[r.pk for r in reports[:4]]).update(is_public=False)
    z = 6
    x, y = tile_of(*point_in("D72"), z)
    response = Client().get(f"/tiles/reports/{z}/{x}/{y}.mvt")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert response["Cache-Control"] == "public, max-age=60"
    assert response["ETag"].startswith('"') and len(response["ETag"]) > 10
    assert response.content == report_tile(z, x, y)
    tile = mapbox_vector_tile.decode(response.content)
    features = tile["reports"]["features"]
    assert features and all(f["properties"]["kind"] == "cluster" for f in features)
    assert all(f["geometry"]["type"] == "Point" for f in features)
    assert sum(f["properties"]["count"] for f in features) == public_in_tile(z, x, y) > 10


@pytest.mark.django_db
def test_a_high_zoom_tile_holds_the_reports_with_code_status_and_category_only(reports: list[Report]) -> None:
    report = reports[0]
    z = 16
    x, y = tile_of(report.location.x, report.location.y, z)
    response = Client().get(f"/tiles/reports/{z}/{x}/{y}.mvt")
    assert response.status_code == 200
    features = mapbox_vector_tile.decode(response.content)["reports"]["features"]
    assert len(features) == public_in_tile(z, x, y) >= 1
    mine = next(f for f in features if f["properties"]["code"] == report.code)
    assert mine["properties"] == {
        "kind": "report",
        "code": report.code,
        "status": report.status,
        "category": report.category.code,
    }
    # Never the reporter: the tile's bytes carry none of it.
    for value in (report.reporter_name, report.reporter_phone, report.reporter_email):
        assert value.encode() not in response.content


@pytest.mark.django_db
def test_hidden_reports_stay_out_of_the_tiles(reports: list[Report]) -> None:
    report = reports[0]
    Report.objects.filter(pk=report.pk).update(is_public=False)
    z = 18
    x, y = tile_of(report.location.x, report.location.y, z)
    data = report_tile(z, x, y)
    codes = [f["properties"]["code"] for f in mapbox_vector_tile.decode(data).get("reports", {}).get("features", [])]
    assert report.code not in codes


@pytest.mark.django_db
def test_an_empty_tile_is_204_without_a_body(reports: list[Report]) -> None:
    z = 10
    x, y = tile_of(2.35, 48.85, z)  # Paris: no report there
    response = Client().get(f"/tiles/reports/{z}/{x}/{y}.mvt")
    assert response.status_code == 204
    assert response.content == b""
    assert response["Cache-Control"] == "public, max-age=60"
    assert report_tile(z, x, y) == b""


@pytest.mark.django_db
def test_if_none_match_answers_304(reports: list[Report]) -> None:
    x, y = tile_of(*point_in("D72"), 8)
    client = Client()
    first = client.get(f"/tiles/reports/8/{x}/{y}.mvt")
    assert first.status_code == 200
    again = client.get(f"/tiles/reports/8/{x}/{y}.mvt", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    stale = client.get(f"/tiles/reports/8/{x}/{y}.mvt", headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200
    # A change to the reports changes the tile, so the old ETag no longer holds.
    inside = next(r for r in reports if tile_of(r.location.x, r.location.y, 8) == (x, y))
    Report.objects.filter(pk=inside.pk).update(is_public=False)
    changed = client.get(f"/tiles/reports/8/{x}/{y}.mvt", headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["23/0/0", "0/1/0", "0/0/1", "3/8/0", "3/0/8", "3/-1/0", "99999/0/0"])
def test_out_of_range_tiles_are_404(path: str) -> None:
    assert Client().get(f"/tiles/reports/{path}.mvt").status_code == 404


@pytest.mark.django_db
def test_the_world_tile_counts_every_public_report(reports: list[Report]) -> None:
    features = mapbox_vector_tile.decode(report_tile(0, 0, 0))["reports"]["features"]
    assert sum(f["properties"]["count"] for f in features) == Report.objects.filter(is_public=True).count()


def test_out_of_range_is_refused_by_the_tile_function() -> None:
    with pytest.raises(ValueError):
        report_tile(2, 4, 0)
