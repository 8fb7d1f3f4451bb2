"""GET /tiles/reports/{z}/{x}/{y}.mvt: vector tiles of public reports made by PostGIS.

An empty tile is answered 204 No Content (no body, still cacheable); Leaflet.VectorGrid,
MapLibre and OpenLayers all treat it as an empty tile.
"""

from __future__ import annotations

import json
import math
from io import StringIO
from typing import Any

import mapbox_vector_tile
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from incidents.models import Report
from maps import tiles
from maps.tiles import report_tile
from tests.conftest import point_in
from tests.factories import pin, report_make


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
    count: int = row[0]
    return count


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
    x, y = tile_of(*pin(report), z)
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
@pytest.mark.parametrize("z", [15, 18])
def test_a_dense_tile_past_the_cluster_zoom_holds_cells_whose_counts_add_up(
    demo: None, monkeypatch: pytest.MonkeyPatch, z: int
) -> None:
    made = [report_make(ward="D25450") for _ in range(4)]  # one spot
    Report.objects.filter(pk=made[0].pk).update(is_public=False)
    x, y = tile_of(*pin(made[0]), z)
    public = public_in_tile(z, x, y)
    assert public >= 3
    # More public reports in the tile than a tile may carry one by one: the grid's cells with counts.
    monkeypatch.setattr(tiles, "MAX_TILE_REPORTS", public - 1)
    features = mapbox_vector_tile.decode(report_tile(z, x, y))["reports"]["features"]
    assert features and all(f["properties"]["kind"] == "cluster" for f in features)
    assert all(set(f["properties"]) == {"kind", "count"} for f in features)
    assert sum(f["properties"]["count"] for f in features) == public
    # Exactly as many as it may carry: the reports themselves, each once, without a count.
    monkeypatch.setattr(tiles, "MAX_TILE_REPORTS", public)
    features = mapbox_vector_tile.decode(report_tile(z, x, y))["reports"]["features"]
    assert len(features) == public
    assert all(f["properties"]["kind"] == "report" and "count" not in f["properties"] for f in features)
    assert made[0].code not in {f["properties"]["code"] for f in features}


@pytest.mark.django_db
def test_hidden_reports_stay_out_of_the_tiles(reports: list[Report]) -> None:
    report = reports[0]
    Report.objects.filter(pk=report.pk).update(is_public=False)
    z = 18
    x, y = tile_of(*pin(report), z)
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
    inside = next(r for r in reports if tile_of(*pin(r), 8) == (x, y))
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


def wsgi_get(path: str, **headers: str) -> tuple[str, dict[str, str], bytes]:
    """One GET through the WSGI entry point gunicorn serves (geo.wsgi), not the test client."""
    from wsgiref.util import setup_testing_defaults

    from geo.wsgi import application

    environ: dict[str, object] = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "HTTP_HOST": "127.0.0.1"}
    for name, value in headers.items():
        environ[name if name == "QUERY_STRING" else "HTTP_" + name.upper().replace("-", "_")] = value
    setup_testing_defaults(environ)
    answer: dict[str, object] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: object = None) -> None:
        answer["status"], answer["headers"] = status, dict(response_headers)

    body = b"".join(application(environ, start_response))
    return str(answer["status"]), answer["headers"], body  # type: ignore[return-value]


@pytest.mark.django_db(transaction=True)
def test_tiles_through_the_wsgi_short_path_answer_like_the_full_stack(reports: list[Report]) -> None:
    x, y = tile_of(*point_in("D72"), 8)
    path = f"/tiles/reports/8/{x}/{y}.mvt"
    full = Client().get(path)
    status, headers, body = wsgi_get(path)
    assert status == "200 OK" and body == full.content == report_tile(8, x, y)
    for name in ("Content-Type", "ETag", "Cache-Control"):
        assert headers[name] == full[name]
    assert headers["Content-Length"] == str(len(body))
    status, headers, body = wsgi_get(path, **{"If-None-Match": full["ETag"]})
    assert status == "304 Not Modified" and body == b""
    empty_x, empty_y = tile_of(2.35, 48.85, 10)
    assert wsgi_get(f"/tiles/reports/10/{empty_x}/{empty_y}.mvt")[0] == "204 No Content"
    # Out of range: the full stack answers with its Vietnamese 404 page.
    status, headers, body = wsgi_get("/tiles/reports/3/8/0.mvt")
    assert status.startswith("404") and "text/html" in headers["Content-Type"] and "<html" in body.decode()
    # Everything else is Django as usual.
    assert wsgi_get("/healthz")[0] == "200 OK"


@pytest.mark.django_db(transaction=True)
def test_clusters_through_the_wsgi_short_path_answer_like_the_full_stack(reports: list[Report]) -> None:
    path = "/api/v1/reports/clusters"
    query = "bbox=105.5,10.8,106.8,11.9&zoom=9"
    full = Client().get(f"{path}?{query}")
    status, headers, body = wsgi_get(path, QUERY_STRING=query)
    assert status == "200 OK" and full.status_code == 200
    assert json.loads(body) == full.json() and full.json()["features"]
    assert headers["Cache-Control"] == full["Cache-Control"]
    status, headers, body = wsgi_get(path, QUERY_STRING="bbox=1,2,3&zoom=9")
    assert status.startswith("400") and json.loads(body) == Client().get(f"{path}?bbox=1,2,3&zoom=9").json()


@pytest.mark.django_db(transaction=True)
def test_the_short_path_keeps_the_https_rules(reports: list[Report], settings: Any, monkeypatch: Any) -> None:
    from django.core.wsgi import get_wsgi_application

    import geo.wsgi

    settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS = True, 3600
    # Middleware reads its settings once, when the handler is built (as gunicorn does at start).
    monkeypatch.setattr(geo.wsgi, "django_application", get_wsgi_application())
    x, y = tile_of(*point_in("D72"), 8)
    path = f"/tiles/reports/8/{x}/{y}.mvt"
    status, headers, _ = wsgi_get(path)
    assert status.startswith("301") and headers["Location"].startswith("https://")
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    status, headers, body = wsgi_get(path, **{"X-Forwarded-Proto": "https"})
    assert status == "200 OK" and body and headers["Strict-Transport-Security"].startswith("max-age=3600")
