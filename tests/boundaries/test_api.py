"""The boundary API as the mobile app and the map pages call it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import connection
from django.test import Client

from boundaries.models import AdminUnit

pytestmark = pytest.mark.django_db


def _ward_point() -> tuple[str, float, float]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
            "FROM boundaries_adminunit WHERE level = 3 ORDER BY code LIMIT 1"
        )
        code, lng, lat = cursor.fetchone()
        return str(code), float(lng), float(lat)


def test_locate_answers_the_chain(client: Client, tay_ninh: object) -> None:
    code, lng, lat = _ward_point()
    response = client.get("/api/v1/boundaries/locate", {"lat": str(lat), "lng": str(lng)})
    assert response.status_code == 200
    body = response.json()
    assert body["ward"]["code"] == code
    assert body["province"] == {"code": "72", "name": "Tỉnh Tây Ninh", "kind": "Tỉnh", "level": 1}
    assert [unit["level"] for unit in body["chain"]] == [3, 2, 1]
    assert body["district"]["code"] == body["chain"][1]["code"]
    assert body["distance_m"] == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"lng": "106.1"}, "Thiếu tham số lat"),
        ({"lat": "11.3"}, "Thiếu tham số lng"),
        ({"lat": "91", "lng": "106"}, "lat phải nằm trong khoảng -90 đến 90"),
        ({"lat": "11", "lng": "-180.5"}, "lng phải nằm trong khoảng -180 đến 180"),
        ({"lat": "abc", "lng": "106"}, "lat phải là một số"),
        ({"lat": "nan", "lng": "106"}, "lat phải nằm trong khoảng"),
        ({"lat": "11", "lng": "inf"}, "lng phải nằm trong khoảng"),
    ],
)
def test_locate_refuses_bad_coordinates(client: Client, params: dict[str, str], message: str) -> None:
    response = client.get("/api/v1/boundaries/locate", params)
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_locate_outside_every_unit_is_404_with_a_message(client: Client, tay_ninh: object) -> None:
    response = client.get("/api/v1/boundaries/locate", {"lat": "8.0", "lng": "107.5"})
    assert response.status_code == 404
    assert "ngoài địa bàn" in response.json()["detail"]


def test_list_filters_by_level_and_parent(client: Client, tay_ninh: object) -> None:
    body = client.get("/api/v1/boundaries/", {"level": 2}).json()
    assert body["count"] == 9
    assert {unit["parent"] for unit in body["results"]} == {"72"}
    assert all(unit["level"] == 2 for unit in body["results"])
    district = body["results"][0]["code"]
    wards = client.get("/api/v1/boundaries/", {"parent": district, "limit": 500}).json()
    assert wards["count"] > 0 and {unit["parent"] for unit in wards["results"]} == {district}
    assert "geom" not in wards["results"][0] and "geometry" not in wards["results"][0]


@pytest.mark.parametrize("level", ["0", "4", "x"])
def test_list_refuses_a_bad_level(client: Client, level: str) -> None:
    response = client.get("/api/v1/boundaries/", {"level": level})
    assert response.status_code == 400
    assert "level" in response.json()["detail"]


def _vertices(geometry: dict[str, Any]) -> int:
    return sum(len(ring) for polygon in geometry["coordinates"] for ring in polygon)


def test_detail_is_geojson_and_simplify_makes_it_lighter(client: Client, tay_ninh: object) -> None:
    full = client.get("/api/v1/boundaries/72/").json()
    assert full["type"] == "Feature" and full["id"] == "72"
    assert full["geometry"]["type"] == "MultiPolygon"
    assert full["properties"]["name"] == "Tỉnh Tây Ninh"
    light = client.get("/api/v1/boundaries/72/", {"simplify": "0.01"}).json()
    assert _vertices(light["geometry"]) < _vertices(full["geometry"]) / 5
    assert client.get("/api/v1/boundaries/72/", {"simplify": "-1"}).status_code == 400
    assert client.get("/api/v1/boundaries/72/", {"simplify": "abc"}).status_code == 400


def test_detail_of_an_unknown_code_is_404(client: Client, tay_ninh: object) -> None:
    response = client.get("/api/v1/boundaries/00000/")
    assert response.status_code == 404
    assert "00000" in response.json()["detail"]


def test_list_with_geometry_is_a_feature_collection(client: Client, tay_ninh: object) -> None:
    body = client.get("/api/v1/boundaries/", {"level": "2", "geometry": "true", "simplify": "0.005"}).json()
    assert body["count"] == 9
    collection = body["results"]
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 9
    assert all(feature["geometry"]["type"] == "MultiPolygon" for feature in collection["features"])


def test_openapi_schema_and_docs_are_served_locally(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("/api/v1/boundaries/locate", "/api/v1/boundaries/", "/api/v1/boundaries/{code}/"):
        assert path in schema["paths"], path
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()


def _database_geojson(code: str, simplify: float) -> dict[str, Any]:
    """The outline as PostGIS writes it (what the API answered before drf-gis serialised it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_AsGeoJSON(CASE WHEN %s > 0 THEN ST_Multi(ST_SimplifyPreserveTopology(geom, %s)) "
            "ELSE geom END, 6) FROM boundaries_adminunit WHERE code = %s",
            [simplify, simplify, code],
        )
        outline: dict[str, Any] = json.loads(cursor.fetchone()[0])
        return outline


@pytest.mark.parametrize("simplify", [0, 0.005])
def test_features_carry_the_outline_to_six_decimals_and_the_unit_fields(
    client: Client, tay_ninh: object, simplify: float
) -> None:
    listed = client.get("/api/v1/boundaries/", {"level": "2", "geometry": "true", "simplify": str(simplify)}).json()
    plain = client.get("/api/v1/boundaries/", {"level": "2"}).json()["results"]
    features = listed["results"]["features"]
    assert [{k: v for k, v in feature["properties"].items() if k != "label_point"} for feature in features] == plain
    for feature in features[:3]:
        assert feature["type"] == "Feature" and feature["id"] == feature["properties"]["code"]
        assert feature["geometry"] == _database_geojson(feature["id"], simplify)
    detail = client.get("/api/v1/boundaries/72/", {"simplify": str(simplify)}).json()
    assert detail["geometry"] == _database_geojson("72", simplify)


def test_the_schema_documents_a_unit_as_a_geojson_feature(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    answer = schema["paths"]["/api/v1/boundaries/{code}/"]["get"]["responses"]["200"]["content"]["application/json"]
    feature = schema["components"]["schemas"][answer["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert feature["properties"]["geometry"]["properties"]["type"]["enum"] == ["MultiPolygon"]
    assert set(feature["properties"]["properties"]["properties"]) == {
        "code",
        "name",
        "kind",
        "level",
        "parent",
        "valid_from",
        "valid_to",
        "label_point",
    }


def test_a_concave_units_label_point_lies_inside_it(client: Client, django_assert_num_queries: Any) -> None:
    """The fallback map writes a unit's name at `label_point` ([lng, lat]): a point the database finds on the
    unit's surface, not its box's centre, which falls in the sea for a bay-shaped coastal unit."""
    # A "U": two arms and a bottom bar; the bbox centre (0.5, 0.5) is in the gap between the arms.
    u_shape = Polygon(((0, 0), (1, 0), (1, 1), (0.8, 1), (0.8, 0.2), (0.2, 0.2), (0.2, 1), (0, 1), (0, 0)))
    AdminUnit.objects.create(code="99901", name="Vịnh", kind="Xã", level=3, geom=MultiPolygon(u_shape, srid=4326))
    with django_assert_num_queries(2):  # the count and the page: the label points come with the page
        body = client.get("/api/v1/boundaries/", {"level": "3", "geometry": "true", "bbox": "-1,-1,2,2"}).json()
    (feature,) = body["results"]["features"]
    lng, lat = feature["properties"]["label_point"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_Contains(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326)), "
            "ST_Contains(geom, ST_Centroid(ST_Envelope(geom))) FROM boundaries_adminunit WHERE code = '99901'",
            [lng, lat],
        )
        inside, box_centre_inside = cursor.fetchone()
    assert not box_centre_inside  # the shape is one where the old label point was wrong
    assert inside
    detail = client.get("/api/v1/boundaries/99901/").json()
    assert detail["properties"]["label_point"] == [lng, lat]
