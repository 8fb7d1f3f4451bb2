"""One definition of what a staff member may see (agencies.staff_access), asked by every surface.

Reports are made inside and outside an officer's jurisdiction, handled and not handled by their
agency; for each kind of staff member the heatmap's ward lists, the worklist, the report API, the
statistics, the CSV export, the staff and public report pages and the workflow API must name the
same reports, and every report outside that set must answer like an unknown code.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client

from accounts.models import User
from agencies.models import Agency, Role
from incidents import services
from incidents.models import Report
from tests.factories import report_make, staff_make

# The whole demo province in view.
VIEW = {"bbox": "105.0,10.5,107.0,12.0", "zoom": "9"}


@pytest.fixture
def world(demo: None) -> dict[str, Report]:
    """Reports around the city (district D703, wards D25450 and D25451; D25470 lies in district D705)."""
    administrator = staff_make("quantri_tinh", "ubnd-d72", Role.ADMIN)
    made = {
        # In the city, handled by one of its wards' UBND.
        "city_ward": report_make(ward="D25450", title="Cây đổ ở phường 1"),
        # In the city, handled by one of its wards' UBND, hidden from the public.
        "city_hidden": report_make(ward="D25451", title="Cây đổ ở phường 2"),
        # In the city, but traffic goes to the province's Department of Transport.
        "city_traffic": report_make(ward="D25450", category="giao-thong", title="Ổ gà trên đường"),
        # Another district's, handled there.
        "elsewhere": report_make(ward="D25470", title="Cây đổ ở huyện khác"),
        # Another district's location, handed over to a ward of the city.
        "handed_over": report_make(ward="D25470", title="Cây đổ, chuyển về thành phố"),
    }
    Report.objects.filter(pk=made["city_hidden"].pk).update(is_public=False)
    services.report_reassign(
        report=made["handed_over"], actor=administrator, agency=Agency.objects.get(code="ubnd-d25451")
    )
    agencies = dict(Report.objects.values_list("code", "agency__code"))
    assert [agencies[made[key].code] for key in made] == [
        "ubnd-d25450",
        "ubnd-d25451",
        "so-gtvt",
        "ubnd-d25470",
        "ubnd-d25451",
    ]
    return {key: Report.objects.get(pk=report.pk) for key, report in made.items()}


# Who, and which of the reports above they may see: the reports handled by the agencies they are an
# officer or a leader of (with the agencies below them), wherever those reports lie; administrators see all.
CASES = {
    "city_officer": ("ubnd-d703", Role.OFFICER, {"city_ward", "city_hidden", "handed_over"}),
    "city_leader": ("ubnd-d703", Role.LEADER, {"city_ward", "city_hidden", "handed_over"}),
    # Their jurisdiction is the whole province: jurisdiction alone would show them every report.
    "transport_officer": ("so-gtvt", Role.OFFICER, {"city_traffic"}),
    "ward_officer": ("ubnd-d25451", Role.OFFICER, {"city_hidden", "handed_over"}),
    # Operators enter callers' reports; they handle none.
    "operator": ("ubnd-d703", Role.OPERATOR, set()),
    "administrator": ("ubnd-d72", Role.ADMIN, {"city_ward", "city_hidden", "city_traffic", "elsewhere", "handed_over"}),
}


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def heatmap_codes(client: Client) -> set[str]:
    """Every report the heatmap's ward lists name, checked against the choropleth's counts."""
    response = client.get("/api/v1/stats/choropleth", VIEW)
    assert response.status_code == 200, response.content
    counts = {f["properties"]["code"]: f["properties"]["count"] for f in response.json()["features"]}
    codes: set[str] = set()
    for ward, count in counts.items():
        if count:
            listed = client.get(f"/can-bo/ban-do-nhiet/phuong/{ward}/").json()["reports"]
            assert len(listed) == count, ward
            codes |= {r["code"] for r in listed}
    assert sum(counts.values()) == len(codes)
    heat = client.get("/api/v1/stats/heatmap", VIEW).json()
    assert heat["total"] == len(codes)
    return codes


def worklist_codes(client: Client) -> set[str]:
    response = client.get("/can-bo/phan-anh/", {"status": "all"})
    assert response.status_code == 200
    return set(re.findall(r'class="col-code"[^>]*>([^<]+)<', response.content.decode()))


def api_staff_codes(client: Client, reports: dict[str, Report]) -> set[str]:
    """The reports the report API shows with the staff view (the reporter's details)."""
    codes = set()
    for report in reports.values():
        response = client.get(f"/api/v1/reports/{report.code}/")
        assert response.status_code in (200, 404)
        if response.status_code == 200 and "reporter" in response.json():
            codes.add(report.code)
        elif not report.is_public:
            assert response.status_code == 404
    return codes


def export_codes(client: Client) -> set[str]:
    response = client.get("/api/v1/stats/export.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    return {row["ma_phan_anh"] for row in csv.DictReader(io.StringIO(text))}


@pytest.mark.django_db
@pytest.mark.parametrize("who", list(CASES))
def test_every_surface_shows_the_same_reports(world: dict[str, Report], who: str) -> None:
    agency, role, keys = CASES[who]
    user = staff_make(f"nguoi_{who}", agency, role)
    client = signed_in(user)
    expected = {world[key].code for key in keys}

    assert heatmap_codes(client) == expected
    assert worklist_codes(client) == expected
    assert api_staff_codes(client, world) == expected
    assert export_codes(client) == expected
    summary = client.get("/api/v1/stats/summary").json()
    assert (summary["scope"], summary["received"]) == ("agency", len(expected))

    for report in world.values():
        seen = report.code in expected
        assert client.get(f"/can-bo/phan-anh/{report.code}/").status_code == (200 if seen else 404), report.code
        if not report.is_public:
            assert client.get(f"/phan-anh/{report.code}/").status_code == (200 if seen else 404)
        if not seen:
            # Acting is a part of seeing: a report out of sight is an unknown code to the workflow too.
            assert client.post(f"/api/v1/reports/{report.code}/start").status_code == 404
            assert client.post(f"/can-bo/phan-anh/{report.code}/bat-dau/").status_code == 404


@pytest.mark.django_db
def test_acting_is_a_part_of_seeing(world: dict[str, Report]) -> None:
    """Whoever may act on a report (start, answer, approve) may see it, on every role."""
    from agencies.staff_access import report_staff_may_act, report_staff_visible

    for who, (agency, role, _keys) in CASES.items():
        user = staff_make(f"nguoi_{who}", agency, role)
        for report in world.values():
            for roles in ([Role.OFFICER, Role.LEADER], [Role.LEADER]):
                if report_staff_may_act(user=user, report=report, roles=roles):
                    assert report_staff_visible(user=user, report=report), (who, report.code)
