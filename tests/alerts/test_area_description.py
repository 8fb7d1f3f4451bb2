"""The area description a warning gets by default (it goes into the SMS): the names of the wards the drawn
area covers, computed in the database from the area; a whole district is named as the district."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User
from alerts import services
from boundaries.models import AdminUnit
from tests.alerts.conftest import DISTRICT, WARD, alert_input

pytestmark = pytest.mark.django_db


def _inner_square(code: str, fraction: float = 0.3) -> dict[str, object]:
    """A drawn polygon: a small square around a point inside the unit (well inside, touching no other ward)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_AsGeoJSON(ST_Intersection(geom, ST_Buffer(ST_PointOnSurface(geom), "
            "%s * sqrt(ST_Area(geom)) / 4)), 6) FROM boundaries_adminunit WHERE code = %s",
            [fraction, code],
        )
        (geojson,) = cursor.fetchone()
    geometry = json.loads(geojson)
    if geometry["type"] == "MultiPolygon":
        geometry = {"type": "Polygon", "coordinates": geometry["coordinates"][0]}
    return {"kind": "polygon", "geometry": geometry}


def test_a_drawn_area_is_described_by_the_wards_it_covers(officer: User) -> None:
    alert = services.alert_create(actor=officer, data=alert_input(area=[_inner_square(WARD)]))
    ward = AdminUnit.objects.get(code=WARD)
    assert alert.area_description == ward.name
    assert "khoanh vẽ" not in alert.area_description


def test_a_whole_district_is_named_as_the_district(officer: User) -> None:
    alert = services.alert_create(actor=officer, data=alert_input(area=[{"kind": "unit", "code": DISTRICT}]))
    assert alert.area_description == AdminUnit.objects.get(code=DISTRICT).name


def test_wards_are_named_once_each_and_in_order(officer: User) -> None:
    wards = list(AdminUnit.objects.filter(parent__code=DISTRICT).order_by("name")[:2])
    area = [_inner_square(w.code) for w in wards] + [{"kind": "unit", "code": wards[0].code}]
    alert = services.alert_create(actor=officer, data=alert_input(area=area))
    assert alert.area_description == ", ".join(w.name for w in wards)


def test_a_typed_description_wins(officer: User) -> None:
    alert = services.alert_create(
        actor=officer, data=alert_input(area=[_inner_square(WARD)], area_description="Ven sông Vàm Cỏ")
    )
    assert alert.area_description == "Ven sông Vàm Cỏ"


def test_the_preview_says_the_description(client: Client, officer: User) -> None:
    client.force_login(officer)
    response = client.post(
        "/api/v1/alerts/preview",
        {"area": [_inner_square(WARD)], "agency": "ubnd-d703"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["area_description"] == AdminUnit.objects.get(code=WARD).name
