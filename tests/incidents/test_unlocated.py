"""Reports without a pin: a channel that could not find the place files the report anyway, routed by
category over the province; it is on no map; staff set the pin, and the report is routed again."""

from __future__ import annotations

import dataclasses
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from agencies.models import Role
from audit.models import AuditEvent
from incidents import services
from incidents.models import Channel, Report, ReportEvent, ReportStatus
from tests.conftest import captcha_fields, point_in
from tests.factories import pin, report_input, staff_make

pytestmark = pytest.mark.django_db

MAIL = services.Sender(channel=Channel.EMAIL, sms_receipt=False, phone_required=False, location_optional=True)


def unlocated(category: str = "cay-xanh", *, title: str = "Cây đổ chắn đường", public: bool | None = None) -> Report:
    data = dataclasses.replace(report_input(category=category, title=title), lng=None, lat=None, is_public=public)
    return services.report_create(data=data, sender=MAIL)


def grid_total() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(n), 0) FROM incidents_report_grid WHERE level = 18")
        return int(cursor.fetchone()[0])


def test_without_a_pin_the_report_goes_to_the_department_of_its_category_or_the_province(
    demo_once: None, db: None
) -> None:
    before = grid_total()
    road = unlocated("giao-thong")
    tree = unlocated("cay-xanh")
    for report in (road, tree):
        report.refresh_from_db()
        assert report.location is None and report.ward is None and report.district is None
        assert report.province.code == "D72"
        assert report.status == ReportStatus.FORWARDED
    # The department for roads; the province's general desk for the rest.
    assert road.agency is not None and road.agency.code == "so-gtvt"
    assert tree.agency is not None and tree.agency.code == "ubnd-d72"
    assert "Chưa có vị trí" in ReportEvent.objects.get(report=tree, action="forwarded").note
    # On no map: the trigger-kept grid has no cell for them, and a rebuild agrees.
    assert grid_total() == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT incidents_report_grid_rebuild()")
    assert grid_total() == before


def test_the_site_and_the_app_still_need_a_pin(demo_once: None, db: None, client: Client) -> None:
    data = dataclasses.replace(report_input(), lng=None, lat=None)
    with pytest.raises(ValidationError) as refused:
        services.report_create(data=data, sender=services.WEB)
    assert "location" in refused.value.message_dict
    # A channel that may file without a pin still refuses a half-given or bad one.
    with pytest.raises(ValidationError) as half:
        services.report_create(data=dataclasses.replace(data, lat="11.3"), sender=MAIL)
    assert "location" in half.value.message_dict
    payload = {
        **captcha_fields(client),
        "kind": "feedback",
        "category": "cay-xanh",
        "title": "Cây đổ chắn ngang đường",
        "description": "Một cây lớn đổ chắn ngang đường.",
        "reporter": {"name": "Nguyễn Văn An", "phone": "0912345678"},
    }
    response = client.post("/api/v1/reports/", json.dumps(payload), content_type="application/json")
    assert response.status_code == 400 and "location" in response.json()["errors"]
    assert not Report.objects.exists()


def test_staff_set_the_pin_and_the_report_is_routed_again(demo_once: None, db: None) -> None:
    report = unlocated("cay-xanh")
    desk = staff_make("tiepnhan", "ubnd-d72", Role.OFFICER)
    outsider = staff_make("phuong", "ubnd-d25450", Role.OFFICER)
    lng, lat = point_in("D25450")
    with pytest.raises(Exception, match="quyền"):
        services.report_set_location(report=report, actor=outsider, lat=lat, lng=lng)
    with pytest.raises(ValidationError) as outside:
        services.report_set_location(report=report, actor=desk, lat=8.0, lng=107.5)
    assert "location" in outside.value.message_dict
    before = grid_total()

    services.report_set_location(report=report, actor=desk, lat=str(lat), lng=str(lng), ip_address="127.0.0.1")

    report.refresh_from_db()
    assert pin(report) == pytest.approx((lng, lat))
    assert report.ward is not None and report.ward.code == "D25450" and report.district is not None
    assert report.agency is not None and report.agency.code == "ubnd-d25450"
    assert report.status == ReportStatus.FORWARDED
    actions = list(report.events.order_by("pk").values_list("action", flat=True))
    assert actions[-2:] == ["located", "reassigned"]
    audit = AuditEvent.objects.get(action="report.locate")
    assert audit.details["to_agency"] == "ubnd-d25450" and audit.details["from_agency"] == "ubnd-d72"
    # Now on the map: the trigger added it to the grid.
    assert grid_total() == before + 1


def test_every_surface_takes_a_report_without_a_pin_and_shows_it_on_no_map(
    demo_once: None, db: None, client: Client
) -> None:
    pinned = services.report_create(data=report_input(title="Ổ gà có ghim"), sender=services.WEB)
    report = unlocated("cay-xanh", title="Cây đổ không rõ nơi", public=True)
    admin = staff_make("quantri.kiemthu2", "ubnd-d72", Role.ADMIN)
    box = "105.0,10.5,107.5,12.0"

    # The public map (clusters from the grid, reports at high zoom), its tiles and the officers' heatmap.
    clusters = client.get("/api/v1/reports/clusters", {"bbox": box, "zoom": "9"})
    assert clusters.status_code == 200
    assert sum(f["properties"].get("count", 1) for f in clusters.json()["features"]) == 1
    lng, lat = pin(pinned)
    near = f"{lng - 0.002},{lat - 0.002},{lng + 0.002},{lat + 0.002}"
    close = client.get("/api/v1/reports/clusters", {"bbox": near, "zoom": "18", "category": "cay-xanh"})
    assert [f["id"] for f in close.json()["features"]] == [pinned.code]
    assert client.get("/tiles/reports/8/203/121.mvt").status_code in (200, 204)

    # The public list and detail API: GeoJSON with a null geometry, which GeoJSON allows.
    listed = client.get("/api/v1/reports/")
    assert listed.status_code == 200, listed.content
    features = {f["id"]: f for f in listed.json()["results"]["features"]}
    assert features[report.code]["geometry"] is None and features[pinned.code]["geometry"]["type"] == "Point"
    detail = client.get(f"/api/v1/reports/{report.code}/")
    assert detail.status_code == 200 and detail.json()["location"] is None
    # Its public page: no map, and the place is said to be being confirmed.
    page = client.get(f"/phan-anh/{report.code}/").content.decode()
    assert 'id="report-map"' not in page and "đang được cơ quan tiếp nhận xác minh" in page
    # Open311: lat and long null.
    request = client.get(f"/open311/v2/requests/{report.code}.json").json()[0]
    assert request["lat"] is None and request["long"] is None and request["address_id"] is None
    assert client.get("/open311/v2/requests.json").status_code == 200

    client.force_login(admin)
    heat = client.get("/api/v1/stats/heatmap", {"bbox": box, "zoom": "9"})
    assert heat.status_code == 200 and heat.json()["total"] == 1
    assert client.get("/api/v1/stats/heatmap", {"bbox": box, "zoom": "9", "category": "cay-xanh"}).json()["total"] == 1
    # The statistics count it in a row of its own; the export has its row with no ward or district.
    areas = client.get("/api/v1/stats/by-area", {"level": "district"}).json()
    unknown = [row for row in areas["results"] if row["key"] == ""]
    assert unknown and unknown[0]["label"] == "Chưa xác định vị trí" and unknown[0]["received"] == 1
    assert sum(row["received"] for row in areas["results"]) == 2
    export = client.get("/api/v1/stats/export.csv", HTTP_ACCEPT="text/csv")
    rows = [line for line in b"".join(export.streaming_content).decode().splitlines() if report.code in line]  # type: ignore[attr-defined]
    assert len(rows) == 1 and ",,," in rows[0]
    assert client.get("/thong-ke/").status_code == 200

    # Staff: marked in the worklist, found by the filter, and the pin is set on the report page.
    worklist = client.get("/can-bo/phan-anh/", {"unlocated": "on"}).content.decode()
    assert report.code in worklist and pinned.code not in worklist and "Chưa có vị trí" in worklist
    staff_page = client.get(f"/can-bo/phan-anh/{report.code}/").content.decode()
    assert 'id="location"' in staff_page and 'id="report-map"' not in staff_page
    refused = client.post(f"/can-bo/phan-anh/{report.code}/vi-tri/", {"ward": "", "lat": "", "lng": ""})
    assert refused.status_code == 400
    done = client.post(f"/can-bo/phan-anh/{report.code}/vi-tri/", {"ward": "D25450"})
    assert done.status_code == 303
    report.refresh_from_db()
    assert report.ward is not None and report.ward.code == "D25450"


def test_the_staff_api_sets_the_pin_in_the_one_error_shape(demo_once: None, db: None, client: Client) -> None:
    report = unlocated("giao-thong")
    client.force_login(staff_make("sogtvt", "so-gtvt", Role.OFFICER))
    url = f"/api/v1/reports/{report.code}/location"
    outside = client.post(url, {"lat": "8.0", "lng": "107.5"}, content_type="application/json")
    assert outside.status_code == 400 and "location" in outside.json()["errors"]
    lng, lat = point_in("D25450")
    done = client.post(url, {"lat": str(lat), "lng": str(lng)}, content_type="application/json")
    assert done.status_code == 200, done.content
    assert done.json()["location"]["type"] == "Point" and done.json()["ward"]["code"] == "D25450"
