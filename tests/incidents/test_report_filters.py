"""One filtering serves the report list, the reports API, the heatmap and the statistics.

A day in a date filter is a day in Vietnam time everywhere: a report sent at 23:30 on
1 May (16:30 UTC) belongs to 1 May, one sent at 00:30 on 2 May (17:30 UTC on 1 May) to 2 May.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from rest_framework.test import APIClient

from agencies.models import Role
from incidents import selectors
from incidents.filters import ReportFilters
from incidents.models import Report
from tests.factories import report_make, staff_make

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
VIEW = {"bbox": "105.0,10.5,107.0,12.0", "zoom": "9"}


@pytest.fixture
def late_and_early(demo: None) -> tuple[Report, Report]:
    late = report_make(title="Gửi lúc 23 giờ 30")
    early = report_make(title="Gửi lúc 0 giờ 30")
    Report.objects.filter(pk=late.pk).update(created_at=datetime(2026, 5, 1, 23, 30, tzinfo=VIETNAM))
    Report.objects.filter(pk=early.pk).update(created_at=datetime(2026, 5, 2, 0, 30, tzinfo=VIETNAM))
    return late, early


DAYS = {
    ("2026-05-01", "2026-05-01"): {"late"},
    ("2026-05-02", "2026-05-02"): {"early"},
    ("2026-05-01", "2026-05-02"): {"late", "early"},
    ("2026-05-03", ""): set(),
    ("", "2026-04-30"): set(),
}


@pytest.mark.django_db
def test_a_day_is_a_day_in_vietnam_time_in_every_filter(late_and_early: tuple[Report, Report]) -> None:
    late, early = late_and_early
    names = {late.code: "late", early.code: "early"}
    api = APIClient()
    staff = APIClient()
    staff.force_authenticate(staff_make("quantri_tinh", "ubnd-d72", Role.ADMIN))
    page = Client()
    for (since, until), expected in DAYS.items():
        dates = {key: value for key, value in (("from", since), ("to", until)) if value}
        listed = api.get("/api/v1/reports/", dates).json()
        assert {names[feature["id"]] for feature in listed["results"]["features"]} == expected, (dates, "api")
        html = page.get("/phan-anh/", {"date_from": since, "date_to": until}).content.decode()
        assert {name for code, name in names.items() if code in html} == expected, (dates, "list page")
        heat = staff.get("/api/v1/stats/heatmap", {**VIEW, **dates}).json()
        assert heat["total"] == len(expected), (dates, "heatmap")
        summary = api.get("/api/v1/stats/summary", dates).json()
        assert summary["received"] == len(expected), (dates, "stats")


@pytest.mark.django_db
def test_filters_combine_on_any_base(late_and_early: tuple[Report, Report]) -> None:
    late, early = late_and_early
    base = Report.objects.filter(pk__in=[late.pk, early.pk])
    filters = ReportFilters(province="D72", district="D703", ward="D25450", category="cay-xanh")
    assert set(selectors.reports_filtered(base, filters)) == {late, early}
    for other in (
        ReportFilters(province="D01"),
        ReportFilters(category="giao-thong"),
        ReportFilters(status="completed"),
        ReportFilters(kind="idea"),
    ):
        assert not selectors.reports_filtered(base, other).exists(), other
    assert set(selectors.reports_filtered(base, ReportFilters(status="open"))) == {late, early}
