"""The warnings API: public queries, staff operations, Web Push subscriptions, the schema."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import SavedPlace, User
from agencies.models import Agency, Role, StaffRole
from alerts.models import Alert, Status
from audit.models import AuditEvent
from boundaries.models import AdminUnit
from common.gis import CoordinateError, parse_bbox
from tests.conftest import point_in

from .conftest import OTHER_DISTRICT, WARD, published

pytestmark = pytest.mark.django_db


def body(**overrides: Any) -> dict[str, Any]:
    now = timezone.now()
    data: dict[str, Any] = {
        "headline": "Cảnh báo cháy rừng",
        "description": "Nguy cơ cháy rừng cấp IV.",
        "category": "fire",
        "severity": "Severe",
        "urgency": "Immediate",
        "certainty": "Observed",
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(hours=12)).isoformat(),
        "area": [{"kind": "unit", "code": WARD}],
        "agency": "ubnd-d703",
    }
    data.update(overrides)
    return data


def test_active_alerts_at_a_point(client: Client, officer: User, leader: User) -> None:
    alert = published(officer, leader)
    lng, lat = point_in(WARD)
    response = client.get("/api/v1/alerts/active", {"lat": str(lat), "lng": str(lng)})
    assert response.status_code == 200
    [item] = response.json()
    assert item["id"] == alert.pk and item["headline"] == alert.headline
    assert item["cap_url"] == f"/api/v1/alerts/{alert.pk}.cap"
    lng, lat = point_in(OTHER_DISTRICT)
    assert client.get("/api/v1/alerts/active", {"lat": str(lat), "lng": str(lng)}).json() == []
    bad = client.get("/api/v1/alerts/active", {"lat": "123", "lng": "106"})
    assert bad.status_code == 400 and "lat" in bad.json()["detail"]
    assert bad.json().keys() == {"detail", "errors"}  # the one error shape
    assert client.get("/api/v1/alerts/active", {"lat": "abc", "lng": "106"}).status_code == 400


def test_bbox_geojson(client: Client, officer: User, leader: User) -> None:
    alert = published(officer, leader)
    lng, lat = point_in(WARD)
    near = f"{lng - 0.05},{lat - 0.05},{lng + 0.05},{lat + 0.05}"
    data = client.get("/api/v1/alerts/", {"bbox": near}).json()
    assert data["type"] == "FeatureCollection"
    [feature] = data["features"]
    assert feature["id"] == alert.pk and feature["geometry"]["type"] == "MultiPolygon"
    assert client.get("/api/v1/alerts/", {"bbox": "100,20,100.1,20.1"}).json()["features"] == []
    # In the past the alert was not yet published.
    past = (timezone.now() - timedelta(days=1)).isoformat()
    assert client.get("/api/v1/alerts/", {"bbox": near, "at": past}).json()["features"] == []
    assert client.get("/api/v1/alerts/", {"bbox": "1,2,3"}).status_code == 400
    assert client.get("/api/v1/alerts/", {"at": "hôm qua"}).status_code == 400


@pytest.mark.parametrize("bbox", ["1,2,3", "nan,11,107,12", "-181,11,107,12", "107,11,106,12", "tây,11,107,12"])
def test_a_bad_bbox_is_refused_as_every_map_api_refuses_it(client: Client, db: None, bbox: str) -> None:
    # One bbox parser (common.gis.parse_bbox, as the boundaries and map APIs), in the one error shape.
    response = client.get("/api/v1/alerts/", {"bbox": bbox})
    assert response.status_code == 400
    with pytest.raises(CoordinateError) as refused:
        parse_bbox(bbox)
    expected = str(refused.value)
    assert response.json() == {"detail": expected, "errors": {"bbox": [expected]}}


def test_staff_create_submit_approve_over_the_api(client: Client, officer: User, leader: User) -> None:
    refused = client.post("/api/v1/alerts/", body(), content_type="application/json")
    assert refused.status_code == 403 and refused.json().keys() == {"detail", "errors"}
    client.force_login(officer)
    created = client.post("/api/v1/alerts/", body(), content_type="application/json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["status"] == "draft"
    area = created.json()["area"]
    assert area["type"] == "MultiPolygon" and area == json.loads(Alert.objects.get(pk=pk).area.geojson)
    assert client.post(f"/api/v1/alerts/{pk}/submit").json()["status"] == "submitted"
    refused = client.post(f"/api/v1/alerts/{pk}/approve")
    assert refused.status_code == 403 and "lãnh đạo" in refused.json()["detail"]
    client.force_login(leader)
    approved = client.post(f"/api/v1/alerts/{pk}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    cancelled = client.post(f"/api/v1/alerts/{pk}/cancel", {"reason": "Đã khống chế"}, content_type="application/json")
    assert cancelled.json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("overrides", "key", "fragment"),
    [
        ({"ends_at": (timezone.now() - timedelta(days=2)).isoformat()}, "ends_at", "sau thời gian bắt đầu"),
        ({"area": [{"kind": "polygon", "geometry": {"type": "Point", "coordinates": [1, 2]}}]}, "area", "Polygon"),
        ({"area": [{"kind": "circle", "lat": 11.3, "lng": 106.1, "radius_m": -5}]}, "area", "lớn hơn 0"),
        ({"area": [{"kind": "unit", "code": OTHER_DISTRICT}]}, "area", "ngoài địa bàn"),
        ({"area": [{"kind": "circle", "lat": -91, "lng": 106.1, "radius_m": 5}]}, "area", "lat"),
    ],
)
def test_bad_staff_input_is_a_vietnamese_400(
    client: Client, officer: User, overrides: dict[str, Any], key: str, fragment: str
) -> None:
    client.force_login(officer)
    before = Alert.objects.count()
    response = client.post("/api/v1/alerts/", body(**overrides), content_type="application/json")
    assert response.status_code == 400
    assert fragment in " ".join(response.json()["errors"][key])
    assert Alert.objects.count() == before


def _preview(client: Client, area: list[dict[str, Any]], agency: str = "ubnd-d703") -> dict[str, Any]:
    response = client.post("/api/v1/alerts/preview", {"area": area, "agency": agency}, content_type="application/json")
    assert response.status_code == 200, response.json()
    preview: dict[str, Any] = response.json()
    return preview


def test_preview_counts_registered_people_in_coarse_bands(client: Client, officer: User) -> None:
    client.force_login(officer)
    ward = AdminUnit.objects.get(code=WARD)
    lng, lat = point_in(WARD)
    whole_ward = [{"kind": "unit", "code": WARD}]
    small_circle = [{"kind": "circle", "lat": lat, "lng": lng, "radius_m": 30}]
    # The demo's few citizens are there already.
    before = _preview(client, whole_ward)
    assert before["people_band"] == {"min": 0, "max": 10} and before["people"] == "Dưới 10 người"
    assert before["area"]["type"] == "MultiPolygon"
    for index in range(10):
        user = User.objects.create_user(username=f"dan{index}", password="x", notify_alerts=True)
        SavedPlace.objects.create(user=user, label="Nhà", ward=ward)
    pinned = User.objects.create_user(username="dan_pin", password="x", notify_alerts=True)
    SavedPlace.objects.create(user=pinned, label="Cơ quan", location=ward.geom.point_on_surface)
    after = _preview(client, whole_ward)
    assert after["people_band"] == {"min": 10, "max": 100} and after["people"] == "Từ 10 đến 100 người"
    # One person more or less inside a small circle cannot be told apart: no exact count anywhere.
    small = _preview(client, small_circle)
    assert small["people_band"] == {"min": 0, "max": 10}
    assert not any(isinstance(value, int) for value in (small["people"], after["people"]))


def test_preview_checks_the_agency_and_jurisdiction_as_create_does(client: Client, officer: User) -> None:
    # A writer for two agencies: the district and one of its wards.
    StaffRole.objects.create(user=officer, agency=Agency.objects.get(code="ubnd-d25450"), role=Role.OFFICER)
    client.force_login(officer)
    elsewhere = [{"kind": "unit", "code": OTHER_DISTRICT}]
    for agency, status, key in [
        ("", 400, "agency"),  # which agency's jurisdiction? create asks too
        ("ubnd-d705", 403, None),  # not theirs
        ("ubnd-d703", 400, "area"),  # outside its jurisdiction
        ("khong-co", 400, "agency"),
    ]:
        response = client.post(
            "/api/v1/alerts/preview", {"area": elsewhere, "agency": agency}, content_type="application/json"
        )
        created = client.post("/api/v1/alerts/", body(area=elsewhere, agency=agency), content_type="application/json")
        assert response.status_code == created.status_code == status, (agency, response.json())
        assert "people" not in response.json()
        if key:
            assert key in response.json()["errors"] and key in created.json()["errors"]
    assert _preview(client, [{"kind": "unit", "code": WARD}], agency="ubnd-d25450")["people_band"]["min"] == 0


def test_previews_are_rate_limited_and_audited(client: Client, officer: User, settings: SettingsWrapper) -> None:
    settings.ALERT_PREVIEW_RATE = "2/hour"
    client.force_login(officer)
    area = [{"kind": "unit", "code": WARD}]
    _preview(client, area)
    _preview(client, area)
    refused = client.post(
        "/api/v1/alerts/preview", {"area": area, "agency": "ubnd-d703"}, content_type="application/json"
    )
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json" and "phút" in refused.json()["detail"]
    assert 0 < int(refused["Retry-After"]) <= 3600
    events = AuditEvent.objects.filter(action="alert.preview")
    assert events.count() == 2
    event = events.first()
    assert event is not None and event.actor == officer and event.object_ref == "ubnd-d703"
    assert event.details["people_band"] == [0, 10] and len(event.details["bbox"]) == 4


def test_detail_hides_drafts_from_the_public(client: Client, officer: User, leader: User) -> None:
    alert = published(officer, leader)
    assert client.get(f"/api/v1/alerts/{alert.pk}/").json()["status"] == Status.APPROVED
    client.force_login(officer)
    draft = client.post("/api/v1/alerts/", body(), content_type="application/json").json()
    client.logout()
    assert client.get(f"/api/v1/alerts/{draft['id']}/").status_code == 404


def test_the_area_is_documented_as_geojson(client: Client, db: None) -> None:
    # The parts of the input (drf-gis geometry for a drawn part) and the stored area of the output.
    schemas = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["components"]["schemas"]
    parts = {"type": "array", "items": {"$ref": "#/components/schemas/AreaPart"}}
    assert schemas["AlertInput"]["properties"]["area"].items() >= parts.items()
    assert schemas["AlertPreviewInput"]["properties"]["area"].items() >= parts.items()
    part = schemas["AreaPart"]["properties"]
    assert schemas[part["kind"]["$ref"].rpartition("/")[2]]["enum"] == ["polygon", "circle", "unit"]
    assert [kind["properties"]["type"]["enum"] for kind in part["geometry"]["oneOf"]] == [["Polygon"], ["MultiPolygon"]]
    assert schemas["Alert"]["properties"]["area"]["properties"]["type"]["enum"] == ["MultiPolygon"]


def test_every_endpoint_is_in_the_schema(client: Client, demo: None) -> None:
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    for path in [
        "/api/v1/alerts/",
        "/api/v1/alerts/active",
        "/api/v1/alerts/feed.atom",
        "/api/v1/alerts/preview",
        "/api/v1/alerts/{id}.cap",
        "/api/v1/alerts/{id}/",
        "/api/v1/alerts/{id}/submit",
        "/api/v1/alerts/{id}/approve",
        "/api/v1/alerts/{id}/cancel",
        "/api/v1/alerts/{id}/update",
        "/api/v1/push/subscriptions",
    ]:
        assert path in paths, path
