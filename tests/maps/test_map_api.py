"""GET /api/v1/reports/clusters: grid clusters at low zoom, reports at high zoom, never personal data."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.contrib.gis.geos import Polygon
from django.core.management import call_command
from rest_framework.test import APIClient

from incidents.models import OPEN_STATUSES, Report
from tests.factories import pin

URL = "/api/v1/reports/clusters"
# The demo province D72 lies well inside this box.
BBOX = (105.0, 10.5, 107.0, 12.0)
BBOX_PARAM = ",".join(str(v) for v in BBOX)


@pytest.fixture
def reports(demo: None) -> list[Report]:
    call_command("load_demo", "--reports", "60", stdout=StringIO())
    return list(Report.objects.all())


def get(**params: Any) -> Any:
    return APIClient().get(URL, params)


def total(features: list[dict[str, Any]]) -> int:
    return sum(f["properties"]["count"] if f["properties"]["kind"] == "cluster" else 1 for f in features)


def public_in_bbox(**filters: Any) -> int:
    return Report.objects.filter(is_public=True, location__coveredby=Polygon.from_bbox(BBOX), **filters).count()


@pytest.mark.django_db
def test_low_zoom_clusters_sum_to_the_public_reports_in_view(reports: list[Report]) -> None:
    hidden = reports[:5]
    Report.objects.filter(pk__in=[r.pk for r in hidden]).update(is_public=False)
    response = get(bbox=BBOX_PARAM, zoom=9)
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    clusters = [f for f in body["features"] if f["properties"]["kind"] == "cluster"]
    assert clusters, "at zoom 9 the demo's reports fall into shared cells"
    assert total(body["features"]) == public_in_bbox() == 55
    for feature in clusters:
        props = feature["properties"]
        assert sum(props["statuses"].values()) == props["count"] >= 2
        assert feature["geometry"]["coordinates"] == [props["lng"], props["lat"]]
        assert BBOX[0] <= props["lng"] <= BBOX[2] and BBOX[1] <= props["lat"] <= BBOX[3]
    text = response.content.decode()
    for report in hidden:
        assert report.code not in text


@pytest.mark.django_db
def test_filters_change_the_sums(reports: list[Report]) -> None:
    every = total(get(bbox=BBOX_PARAM, zoom=9).json()["features"])
    open_count = total(get(bbox=BBOX_PARAM, zoom=9, status="open").json()["features"])
    completed = total(get(bbox=BBOX_PARAM, zoom=9, status="completed").json()["features"])
    assert open_count == public_in_bbox(status__in=OPEN_STATUSES)
    assert completed == public_in_bbox(status="completed")
    assert 0 < open_count < every and 0 < completed < every
    category = reports[0].category
    by_category = total(get(bbox=BBOX_PARAM, zoom=9, category=category.code).json()["features"])
    assert by_category == public_in_bbox(category=category) < every
    district = next(r.district for r in reports if r.district is not None)
    by_district = total(get(bbox=BBOX_PARAM, zoom=9, district=district.code).json()["features"])
    assert by_district == public_in_bbox(district=district) < every
    ideas = total(get(bbox=BBOX_PARAM, zoom=9, kind="idea").json()["features"])
    assert ideas == public_in_bbox(kind="idea")
    assert total(get(bbox=BBOX_PARAM, zoom=9, **{"from": "2000-01-01", "to": "2000-01-02"}).json()["features"]) == 0
    # A smaller box holds fewer reports.
    report = reports[0]
    x, y = pin(report)
    small = get(bbox=f"{x - 0.01},{y - 0.01},{x + 0.01},{y + 0.01}", zoom=12).json()["features"]
    assert 1 <= total(small) < every


@pytest.mark.django_db
def test_high_zoom_lists_reports_without_personal_data(reports: list[Report]) -> None:
    report = reports[0]
    Report.objects.filter(pk=report.pk).update(confidential=True)
    x, y = pin(report)
    response = get(bbox=f"{x - 0.005},{y - 0.005},{x + 0.005},{y + 0.005}", zoom=16)
    assert response.status_code == 200
    features = response.json()["features"]
    assert features and all(f["properties"]["kind"] == "report" for f in features)
    mine = next(f for f in features if f["properties"]["code"] == report.code)
    assert set(mine["properties"]) == {
        "kind", "code", "title", "status", "status_label", "created_at", "thumbnail_url", "url"
    }  # fmt: skip
    assert mine["properties"]["url"] == f"/phan-anh/{report.code}/"
    assert mine["properties"]["thumbnail_url"] is None
    assert mine["geometry"]["coordinates"] == pytest.approx([x, y])


@pytest.mark.django_db
@pytest.mark.parametrize("zoom", [5, 9, 13, 17])
def test_no_reporter_data_at_any_zoom(reports: list[Report], zoom: int) -> None:
    Report.objects.filter(pk__in=[r.pk for r in reports[:10]]).update(confidential=True)
    x, y = pin(reports[0])
    bbox = f"{x - 0.01},{y - 0.01},{x + 0.01},{y + 0.01}" if zoom >= 13 else BBOX_PARAM
    response = get(bbox=bbox, zoom=zoom)
    assert response.status_code == 200, response.content
    text = response.content.decode()
    text_ascii = json.dumps(response.json())
    assert "reporter" not in text and "phone" not in text and "email" not in text
    for report in reports:
        for value in (report.reporter_phone, report.reporter_email, report.reporter_name, report.reporter_id_number):
            if value:
                assert value not in text and value not in text_ascii


@pytest.mark.django_db
def test_a_lone_report_in_its_cell_comes_as_a_report(reports: list[Report]) -> None:
    report = reports[0]
    x, y = pin(report)
    Report.objects.exclude(pk=report.pk).update(is_public=False)
    features = get(bbox=BBOX_PARAM, zoom=8).json()["features"]
    assert len(features) == 1
    assert features[0]["properties"]["kind"] == "report"
    assert features[0]["properties"]["code"] == report.code
    assert features[0]["geometry"]["coordinates"] == pytest.approx([x, y])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"zoom": "9"}, "Thiếu bbox"),
        ({"bbox": "1,2,3", "zoom": "9"}, "4 số"),
        ({"bbox": "a,b,c,d", "zoom": "9"}, "4 số"),
        ({"bbox": "nan,1,2,3", "zoom": "9"}, "4 số"),
        ({"bbox": "106,11,200,12", "zoom": "9"}, "ngoài phạm vi"),
        ({"bbox": "106,-95,107,12", "zoom": "9"}, "ngoài phạm vi"),
        ({"bbox": "107,11,106,12", "zoom": "9"}, "tây < đông"),
        ({"bbox": "106,12,107,11", "zoom": "9"}, "nam < bắc"),
        ({"bbox": BBOX_PARAM}, "Thiếu zoom"),
        ({"bbox": BBOX_PARAM, "zoom": "x"}, "số nguyên"),
        ({"bbox": BBOX_PARAM, "zoom": "9.5"}, "số nguyên"),
        ({"bbox": BBOX_PARAM, "zoom": "23"}, "từ 0 đến 22"),
        ({"bbox": BBOX_PARAM, "zoom": "-1"}, "từ 0 đến 22"),
        ({"bbox": "-180,-85,180,85", "zoom": "10"}, "quá lớn"),
        ({"bbox": BBOX_PARAM, "zoom": "9", "status": "nope"}, "Trạng thái không hợp lệ"),
        ({"bbox": BBOX_PARAM, "zoom": "9", "from": "hôm qua"}, "Ngày không hợp lệ"),
    ],
)
def test_bad_requests_are_refused_with_a_message(demo: None, params: dict[str, str], message: str) -> None:
    response = get(**params)
    assert response.status_code == 400
    assert message in response.json()["detail"]


@pytest.mark.django_db
def test_the_whole_world_at_zoom_zero_is_allowed(reports: list[Report]) -> None:
    response = get(bbox="-180,-85,180,85", zoom=0)
    assert response.status_code == 200
    assert total(response.json()["features"]) == Report.objects.filter(is_public=True).count()
