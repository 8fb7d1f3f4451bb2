"""The boundary list's bbox: the map loads the wards of its view instead of the first page of the country."""

from __future__ import annotations

import pytest
import shapely
from django.db import connection
from django.test import Client

from boundaries import selectors
from boundaries.models import AdminUnit

pytestmark = pytest.mark.django_db

URL = "/api/v1/boundaries/"
Box = tuple[float, float, float, float]


def _inner_box() -> Box:
    """A box over part of the province: some wards inside it, some across its edges, most outside."""
    west, south, east, north = AdminUnit.objects.get(level=1).geom.extent
    width, height = east - west, north - south
    return (west + 0.31 * width, south + 0.37 * height, west + 0.58 * width, south + 0.61 * height)


def _meeting(box: Box, **filters: object) -> set[str]:
    """Codes of the stored units meeting the box, worked out with shapely (GEOS in Python), not the API's SQL."""
    shape = shapely.box(*box)
    return {
        unit.code
        for unit in AdminUnit.objects.current().filter(**filters)
        if shapely.from_wkb(bytes(unit.geom.wkb)).intersects(shape)
    }


def _param(box: Box) -> str:
    return ",".join(repr(value) for value in box)


def _codes(client: Client, **params: str | int) -> tuple[int, set[str]]:
    body = client.get(URL, {"limit": 1000, **params}).json()
    return body["count"], {unit["code"] for unit in body["results"]}


def test_bbox_answers_exactly_the_wards_meeting_the_box(client: Client, tay_ninh: object) -> None:
    box = _inner_box()
    expected = _meeting(box, level=3)
    all_wards = AdminUnit.objects.filter(level=3).count()
    # The box is a real test: some wards in, many out.
    assert 5 <= len(expected) < all_wards / 2
    count, codes = _codes(client, level=3, bbox=_param(box))
    assert codes == expected and count == len(expected)
    # The same units as a FeatureCollection, paged with the count of the whole answer.
    body = client.get(URL, {"level": "3", "bbox": _param(box), "geometry": "true", "simplify": "0.0005", "limit": "3"})
    page = body.json()
    assert page["count"] == len(expected) and page["next"] is not None
    assert page["results"]["type"] == "FeatureCollection"
    assert {feature["id"] for feature in page["results"]["features"]} <= expected
    assert len(page["results"]["features"]) == 3


def test_bbox_combines_with_level_and_parent(client: Client, tay_ninh: object) -> None:
    box = _inner_box()
    districts = _meeting(box, level=2)
    assert 1 <= len(districts) < AdminUnit.objects.filter(level=2).count()
    assert _codes(client, level=2, bbox=_param(box)) == (len(districts), districts)
    # Without a level, every level: the province, the districts and the wards.
    everything = _meeting(box)
    assert _codes(client, bbox=_param(box)) == (len(everything), everything)
    assert "72" in everything and everything >= districts
    # A district's wards meeting the box: never another district's, and for a district the box
    # cuts through, only part of its own.
    split = 0
    for district in sorted(districts):
        expected = _meeting(box, level=3, parent__code=district)
        assert _codes(client, level=3, parent=district, bbox=_param(box)) == (len(expected), expected)
        split += 0 < len(expected) < AdminUnit.objects.filter(parent__code=district).count()
    assert split >= 1


def test_a_box_away_from_every_unit_answers_none(client: Client, tay_ninh: object) -> None:
    body = client.get(URL, {"level": "3", "bbox": "107.5,7.5,108.0,8.0", "geometry": "true"}).json()
    assert body["count"] == 0
    assert body["results"] == {"type": "FeatureCollection", "features": []}


def test_without_bbox_nothing_changes(client: Client, tay_ninh: object) -> None:
    wards = set(AdminUnit.objects.current().filter(level=3).values_list("code", flat=True))
    assert _codes(client, level=3) == (len(wards), wards)
    # An empty bbox is no bbox, as for the other parameters.
    assert client.get(URL, {"level": "3", "bbox": ""}).json() == client.get(URL, {"level": "3"}).json()
    body = client.get(URL, {"level": "2", "geometry": "true", "simplify": "0.005"}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 9 and len(body["results"]["features"]) == 9
    feature = body["results"]["features"][0]
    assert set(feature) == {"type", "id", "geometry", "properties"}


FORMAT = "bbox phải là tây,nam,đông,bắc (4 số)."
RANGE = "bbox nằm ngoài phạm vi: kinh độ từ -180 đến 180, vĩ độ từ -90 đến 90."
ORDER = "bbox phải có tây < đông và nam < bắc."


@pytest.mark.parametrize(
    ("bbox", "message"),
    [
        ("abc", FORMAT),
        ("106,11,107", FORMAT),
        ("106,11,107,12,13", FORMAT),
        ("106,11,,12", FORMAT),
        ("106;11;107;12", FORMAT),
        ("tây,11,107,12", FORMAT),
        ("-181,11,107,12", RANGE),
        ("106,11,180.5,12", RANGE),
        ("106,-90.5,107,12", RANGE),
        ("106,11,107,91", RANGE),
        ("nan,11,107,12", FORMAT),
        ("106,11,inf,12", FORMAT),
        ("107,11,106,12", ORDER),
        ("106,11,106,12", ORDER),
        ("106,12,107,11", ORDER),
        ("106,11,107,11", ORDER),
    ],
)
def test_a_bad_bbox_is_refused_with_a_message(client: Client, bbox: str, message: str) -> None:
    response = client.get(URL, {"level": "3", "geometry": "true", "bbox": bbox})
    assert response.status_code == 400
    assert response.json() == {"detail": message, "errors": {}}


def test_the_box_is_matched_by_an_index_capable_predicate(tay_ninh: object) -> None:
    # ST_Intersects, which PostGIS expands to `geom && box` (what the GiST index answers) plus the exact
    # test when it plans an index scan; whether it does depends on the table's size and statistics.
    units = selectors.unit_list(bbox=_inner_box())
    assert "ST_Intersects" in str(units.query)
    assert _gist_index() is not None


def _gist_index() -> str | None:
    return next((name for name, sql in _indexes() if "USING gist" in sql and "(geom)" in sql), None)


def _indexes() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [AdminUnit._meta.db_table])
        indexes: list[tuple[str, str]] = cursor.fetchall()
    return indexes


def test_the_schema_documents_bbox(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/boundaries/"]["get"]["parameters"]}
    assert {"level", "parent", "geometry", "simplify", "bbox", "limit", "offset"} <= set(parameters)
    assert "west,south,east,north" in parameters["bbox"]["description"]
