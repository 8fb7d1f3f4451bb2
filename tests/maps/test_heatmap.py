"""The officers' heatmap data: /api/v1/stats/heatmap, /api/v1/stats/choropleth and a ward's report list.

Aggregates are checked against reports made here; an officer never sees counts from outside the
jurisdiction of their agencies.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from agencies.models import Role
from incidents.models import Report, ReportStatus
from maps import grid, heatmap
from tests.factories import pin, report_make, staff_make

HEAT = "/api/v1/stats/heatmap"
CHOROPLETH = "/api/v1/stats/choropleth"
# The demo province D72 lies inside this view at zoom 9.
VIEW = {"bbox": "105.0,10.5,107.0,12.0", "zoom": "9"}
# Wards of the demo: D25450 and D25451 in district D703 (Thành phố Tây Ninh), D25470 in D705.
IN_D703 = ("D25450", "D25450", "D25450", "D25451", "D25451")
IN_D705 = ("D25470", "D25470")


@pytest.fixture
def reports(demo: None) -> dict[str, list[Report]]:
    made: dict[str, list[Report]] = {}
    for ward in IN_D703 + IN_D705:
        made.setdefault(ward, []).append(report_make(ward=ward, title=f"Đèn đường hỏng ở {ward}"))
    return made


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def officer(demo: None) -> User:
    """An officer of the city (district D703) UBND: the city's wards are the jurisdiction."""
    return staff_make("canbo_thanhpho", "ubnd-d703", Role.OFFICER)


@pytest.fixture
def admin(demo: None) -> User:
    return staff_make("quantri_tinh", "ubnd-d72", Role.ADMIN)


def heat_total(client: APIClient, **params: Any) -> int:
    response = client.get(HEAT, {**VIEW, **params})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total"] == sum(cell[2] for cell in body["cells"])
    return int(body["total"])


def wards_by_code(client: APIClient, **params: Any) -> dict[str, dict[str, Any]]:
    response = client.get(CHOROPLETH, {**VIEW, **params})
    assert response.status_code == 200, response.content
    return {f["properties"]["code"]: f for f in response.json()["features"]}


@pytest.mark.django_db
def test_an_officer_sees_only_the_jurisdiction(reports: dict[str, list[Report]], officer: User, admin: User) -> None:
    assert heat_total(client_for(officer)) == len(IN_D703) == 5
    assert heat_total(client_for(admin)) == len(IN_D703) + len(IN_D705) == 7
    wards = wards_by_code(client_for(officer))
    assert "D25470" not in wards
    assert all(
        code in {"D25450", "D25451", "D25452", "D25453", "D25454", "D25455", "D25456", "D25457"} for code in wards
    )
    assert len(wards) == 8
    assert wards["D25450"]["properties"]["count"] == 3
    assert wards["D25451"]["properties"]["count"] == 2
    assert wards["D25452"]["properties"]["count"] == 0
    assert wards["D25452"]["properties"]["overdue_rate"] is None
    assert wards["D25450"]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    everything = wards_by_code(client_for(admin))
    assert everything["D25470"]["properties"]["count"] == 2
    assert len(everything) > len(wards)
    # Even when the officer's view is elsewhere in the province, nothing outside comes back.
    d705 = client_for(officer).get(HEAT, {"bbox": "105.8,11.3,106.3,11.7", "zoom": "11"}).json()
    admin_d705 = client_for(admin).get(HEAT, {"bbox": "105.8,11.3,106.3,11.7", "zoom": "11"}).json()
    assert admin_d705["total"] >= 2 and d705["total"] <= admin_d705["total"] - 2


@pytest.mark.django_db
def test_a_ward_officer_sees_one_ward(reports: dict[str, list[Report]]) -> None:
    ward_officer = staff_make("canbo_phuong1", "ubnd-d25450", Role.OFFICER)
    assert heat_total(client_for(ward_officer)) == 3
    assert set(wards_by_code(client_for(ward_officer))) == {"D25450"}


@pytest.mark.django_db
def test_filters_and_overdue_rate(reports: dict[str, list[Report]], officer: User, admin: User) -> None:
    first, second, third = reports["D25450"]
    yesterday = timezone.localdate() - timedelta(days=1)
    # One overdue (open, past its deadline), one completed, one filed long ago under another category.
    Report.objects.filter(pk=first.pk).update(deadline=yesterday)
    Report.objects.filter(pk=second.pk).update(status=ReportStatus.COMPLETED)
    Report.objects.filter(pk=third.pk).update(created_at=timezone.now() - timedelta(days=400))
    client = client_for(officer)
    assert heat_total(client, overdue="true") == 1
    assert heat_total(client, status="completed") == 1
    assert heat_total(client, status="open") == 4
    assert heat_total(client, category="cay-xanh") == 5
    assert heat_total(client, category="giao-thong") == 0
    since = (timezone.localdate() - timedelta(days=30)).isoformat()
    assert heat_total(client, **{"from": since}) == 4
    assert heat_total(client, to=(timezone.localdate() - timedelta(days=300)).isoformat()) == 1
    ward = wards_by_code(client)["D25450"]["properties"]
    assert (ward["count"], ward["overdue"]) == (3, 1)
    assert ward["overdue_rate"] == pytest.approx(1 / 3, abs=1e-4)
    ward = wards_by_code(client, status="open")["D25450"]["properties"]
    assert (ward["count"], ward["overdue"], ward["overdue_rate"]) == (2, 1, 0.5)
    assert wards_by_code(client, overdue="true")["D25451"]["properties"]["count"] == 0
    # The administrator's status filter reads the pre-aggregated grid; it agrees with the reports.
    assert heat_total(client_for(admin), status="completed") == 1
    assert heat_total(client_for(admin), status="open") == 6


@pytest.mark.django_db
def test_hidden_reports_count_for_officers(reports: dict[str, list[Report]], officer: User, admin: User) -> None:
    hidden = reports["D25450"][0]
    Report.objects.filter(pk=hidden.pk).update(is_public=False)
    assert heat_total(client_for(officer)) == 5
    assert heat_total(client_for(admin)) == 7


@pytest.mark.django_db
@pytest.mark.parametrize("zoom", ["5", "9", "13", "16"])
def test_cells_at_every_zoom_sum_to_the_reports_in_view(
    reports: dict[str, list[Report]], admin: User, officer: User, zoom: str
) -> None:
    report = reports["D25450"][0]
    x, y = pin(report)
    span = {"5": 10.0, "9": 0.8, "13": 0.05, "16": 0.005}[zoom]
    view = {"bbox": f"{x - span},{y - span / 2},{x + span},{y + span / 2}", "zoom": zoom}
    for user in (admin, officer):
        body = client_for(user).get(HEAT, view).json()
        assert body["total"] >= 1
        cell = max(body["cells"], key=lambda c: c[2])
        assert abs(cell[0] - y) < span and abs(cell[1] - x) < span


@pytest.mark.django_db
def test_past_the_grid_a_dense_view_gets_the_finest_cells_whose_weights_add_up(
    reports: dict[str, list[Report]], admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    x, y = pin(reports["D25450"][0])
    Report.objects.filter(pk=reports["D25450"][1].pk).update(status=ReportStatus.COMPLETED, is_public=False)
    view = {"bbox": f"{x - 0.004},{y - 0.002},{x + 0.004},{y + 0.002}", "zoom": "17"}
    few = client_for(admin).get(HEAT, view).json()
    # Few reports in view: aggregated on the fly in 32-pixel cells (the grid's finest are 64 pixels at zoom 17).
    assert few["cell_m"] == round(grid.cell_metres(20), 1)
    monkeypatch.setattr(heatmap, "MAX_LIVE_HEAT_REPORTS", 2)
    dense = client_for(admin).get(HEAT, view).json()
    assert dense["cell_m"] == round(grid.cell_metres(grid.MAX_LEVEL), 1)
    # Hidden and completed ones included, as the administrator sees them; the weights add up either way.
    assert dense["total"] == few["total"] == sum(cell[2] for cell in dense["cells"]) == 3
    assert heat_total(client_for(admin), status="completed", **view) == 1


@pytest.mark.django_db
def test_citizens_and_anonymous_are_refused(reports: dict[str, list[Report]]) -> None:
    for url in (HEAT, CHOROPLETH):
        assert APIClient().get(url, VIEW).status_code in (401, 403)
        citizen = User.objects.create_user(username="nguoidan", password="Mật-khẩu-dài-123")
        response = client_for(citizen).get(url, VIEW)
        assert response.status_code == 403
        assert "cán bộ" in response.json()["detail"]
        citizen.delete()
    page = Client().get("/can-bo/ban-do-nhiet/")
    assert page.status_code == 302 and "/tai-khoan/dang-nhap/" in page["Location"]
    assert Client().get("/can-bo/ban-do-nhiet/phuong/D25450/").status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"zoom": "9"}, "bbox"),
        ({"bbox": "105,10,104,12", "zoom": "9"}, "bbox"),
        ({**VIEW, "status": "nope"}, "status"),
        ({**VIEW, "category": "khong-co"}, "category"),
        ({**VIEW, "from": "hôm qua"}, "from"),
        ({**VIEW, "from": "2024-05-02", "to": "2024-05-01"}, "to"),
        ({**VIEW, "overdue": "có"}, "overdue"),
    ],
)
def test_bad_input_is_a_400_keyed_by_field(officer: User, params: dict[str, str], field: str) -> None:
    for url in (HEAT, CHOROPLETH):
        response = client_for(officer).get(url, params)
        assert response.status_code == 400
        body = response.json()
        assert field in body["errors"] and body["detail"]


@pytest.mark.django_db
def test_a_ward_lists_its_reports_with_staff_links(reports: dict[str, list[Report]], officer: User) -> None:
    client = Client()
    client.force_login(officer)
    Report.objects.filter(pk=reports["D25450"][0].pk).update(deadline=timezone.localdate() - timedelta(days=2))
    body = client.get("/can-bo/ban-do-nhiet/phuong/D25450/").json()
    assert body["ward"]["code"] == "D25450"
    assert {r["code"] for r in body["reports"]} == {r.code for r in reports["D25450"]}
    assert all(r["url"] == f"/can-bo/phan-anh/{r['code']}/" for r in body["reports"])
    assert [r["overdue"] for r in body["reports"] if r["code"] == reports["D25450"][0].code] == [True]
    assert "reporter" not in str(body) and "0912345678" not in str(body)
    only_done = client.get("/can-bo/ban-do-nhiet/phuong/D25450/", {"status": "completed"}).json()
    assert only_done["reports"] == []
    # A ward outside the jurisdiction is not there for this officer.
    assert client.get("/can-bo/ban-do-nhiet/phuong/D25470/").status_code == 404
    page = client.get("/can-bo/ban-do-nhiet/")
    assert page.status_code == 200
    assert b"leaflet-heat/leaflet-heat" in page.content and "Bản đồ nhiệt phản ánh" in page.content.decode()


@pytest.mark.django_db
def test_the_schema_lists_both_endpoints(demo: None) -> None:
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/v1/stats/heatmap", "/api/v1/stats/choropleth"):
        assert path in schema["paths"]
        names = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert {"bbox", "zoom", "category", "status", "from", "to", "overdue"} <= names


def test_scope_of_anonymous_is_none() -> None:
    from maps.heatmap import scope_for

    assert scope_for(AnonymousUser()) is None
