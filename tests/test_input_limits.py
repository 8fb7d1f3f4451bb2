"""Limits on what one request may carry: page sizes, body sizes, JSON depth, vertices of a warning's area."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from agencies.models import Role
from alerts import services as alert_services
from tests.alerts.conftest import WARD, alert_input, staff
from tests.conftest import point_in
from tests.factories import report_make

pytestmark = pytest.mark.django_db


def ring(lng: float, lat: float, vertices: int, radius: float = 0.0005) -> list[list[float]]:
    points = [
        [lng + radius * math.cos(2 * math.pi * i / vertices), lat + radius * math.sin(2 * math.pi * i / vertices)]
        for i in range(vertices)
    ]
    return [*points, points[0]]


def test_the_vertex_limit_counts_every_polygon_of_a_multipolygon(demo: None) -> None:
    officer = staff("canbo_dinh", "ubnd-d703", Role.OFFICER)
    lng, lat = point_in(WARD)
    # Ten polygons of 600 vertices: each under the limit of 5,000, together 6,000.
    multi = {
        "type": "MultiPolygon",
        "coordinates": [[ring(lng + i * 0.002, lat, 600)] for i in range(10)],
    }
    with pytest.raises(ValidationError, match="đỉnh"):
        alert_services.alert_create(actor=officer, data=alert_input(area=[{"kind": "polygon", "geometry": multi}]))
    # The same count over separate parts of one area.
    parts = [
        {"kind": "polygon", "geometry": {"type": "Polygon", "coordinates": [ring(lng + i * 0.002, lat, 1200)]}}
        for i in range(5)
    ]
    with pytest.raises(ValidationError, match="đỉnh"):
        alert_services.alert_create(actor=officer, data=alert_input(area=parts))
    # Under the limit in all: taken.
    alert_services.alert_create(actor=officer, data=alert_input(area=parts[:4]))


def _page(client: Client, url: str, **params: Any) -> dict[str, Any]:
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    page: dict[str, Any] = response.json()
    return page


def test_every_api_list_has_a_maximum_page_size(demo: None, client: Client, settings: Any) -> None:
    settings.API_MAX_PAGE_SIZE = 3
    for _ in range(4):
        report_make()
    reports = _page(client, "/api/v1/reports/", limit="1000000")
    assert len(reports["results"]["features"]) == 3 and reports["count"] == 4 and reports["next"]
    units = _page(client, "/api/v1/boundaries/", limit="1000000")
    assert len(units["results"]) == 3 and units["count"] > 3 and units["next"]
    # A limit no database integer holds is clamped the same way, and a far offset is an empty page.
    assert len(_page(client, "/api/v1/reports/", limit="9" * 20)["results"]["features"]) == 3
    assert _page(client, "/api/v1/reports/", offset="9" * 20)["results"]["features"] == []


def test_request_bodies_are_capped(client: Client, settings: Any) -> None:
    settings.REQUEST_MAX_BYTES = 1000
    big = "x" * 2000
    # The sign-in endpoints take no more than REQUEST_MAX_BYTES, form or JSON.
    response = client.post("/api/v1/auth/login/", {"username": big, "password": "x"})
    assert response.status_code == 413 and response.json()["errors"]["body"]
    page = client.post("/tai-khoan/dang-nhap/", {"username": big, "password": "x"})
    assert page.status_code == 413 and "quá lớn" in page.content.decode()
    # Refused before the body is read: a declared length is enough.
    declared = client.generic("POST", "/api/v1/auth/login/", b"", CONTENT_LENGTH=str(400 * 1024 * 1024))
    assert declared.status_code == 413
    # The report uploads take their attachments: ATTACHMENT_MAX_COUNT × ATTACHMENT_MAX_BYTES and more.
    upload = client.generic("POST", "/api/v1/reports/", b"", CONTENT_LENGTH="2000", content_type="application/json")
    assert upload.status_code != 413
    assert settings.REQUEST_UPLOAD_MAX_BYTES > settings.ATTACHMENT_MAX_COUNT * settings.ATTACHMENT_MAX_BYTES
    too_big = settings.REQUEST_UPLOAD_MAX_BYTES + 1
    assert client.generic("POST", "/api/v1/reports/", b"", CONTENT_LENGTH=str(too_big)).status_code == 413
    # A chunked body without a length is refused, not silently dropped.
    chunked = client.generic("POST", "/api/v1/auth/login/", b"", HTTP_TRANSFER_ENCODING="chunked")
    assert chunked.status_code == 411 and chunked.json()["detail"]


def test_deep_json_is_a_400_in_the_error_shape(client: Client) -> None:
    deep = "[" * 1000 + "]" * 1000
    for url in ("/api/v1/auth/login/", "/api/v1/reports/", "/api/v1/push/subscriptions"):
        response = client.post(url, deep, content_type="application/json")
        assert response.status_code == 400, (url, response.status_code)
        assert response.json()["detail"] and isinstance(response.json()["errors"], dict)
    # Brackets inside strings do not count.
    text = json.dumps({"username": "[" * 100, "password": "{" * 100})
    assert client.post("/api/v1/auth/login/", text, content_type="application/json").status_code == 400


def test_text_the_database_cannot_hold_is_refused_everywhere(demo: None, client: Client) -> None:
    code = report_make().code
    for body in ('{"name": "a\\u0000b"}', '{"name": "\\ud800"}', '{"a\\u0000": 1}'):
        response = client.post(f"/api/v1/reports/{code}/support", body, content_type="application/json")
        assert response.status_code == 400 and "không hợp lệ" in response.json()["detail"], body
    for url in (f"/api/v1/reports/{code}%00/", "/api/v1/reports/?q=a%00", "/phan-anh/?q=%00", "/thong-ke/?from=%00"):
        response = client.get(url)
        assert response.status_code == 400, url
        if url.startswith("/api/"):
            assert response.json()["errors"]
        else:
            assert "không hợp lệ" in response.content.decode()
    form = client.post("/tai-khoan/dang-nhap/", {"username": "a\x00", "password": "x"})
    assert form.status_code == 400


def test_the_csv_export_answers_errors_in_json(demo: None, client: Client) -> None:
    response = client.get("/api/v1/stats/export.csv", {"from": "hôm qua"}, HTTP_ACCEPT="text/csv")
    assert response.status_code in (400, 403)
    assert response["Content-Type"].startswith("application/json") and response.json()["detail"]
