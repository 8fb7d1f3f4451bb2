"""Statistics: numbers against the reports made here, public vs staff scope, filters, CSV, PNG, page."""

from __future__ import annotations

import csv
import html
import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import mean, median
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import User
from agencies.models import Agency, Role
from agencies.staff_access import StaffAccess
from boundaries.models import AdminUnit
from incidents import services
from incidents.filters import ReportFilters, report_overdue
from incidents.models import OPEN_STATUSES, Answer, Report, ReportStatus
from stats import selectors as stats
from stats.chart import chart_font
from tests.factories import PASSWORD, report_make, staff_make

pytestmark = pytest.mark.django_db

REPORTER_EMAIL = "an.nguyen.rieng@example.vn"
REPORTER_NAME = "Nguyễn Văn Riêng Tư"


@dataclass
class World:
    reports: list[Report]
    hidden: Report
    admin: User


def _backdate(report: Report, *, hours: float = 0, deadline: date | None = None) -> None:
    changes: dict[str, Any] = {"created_at": timezone.now() - timedelta(hours=hours)}
    if deadline is not None:
        changes["deadline"] = deadline
    Report.objects.filter(pk=report.pk).update(**changes)
    report.refresh_from_db()


def _answer(report: Report, actor: User) -> None:
    services.report_start(report=report, actor=actor)
    services.report_answer(report=report, actor=actor, body="Đã xử lý xong.")


@pytest.fixture
def world(demo: None) -> World:
    """Reports in two districts and two categories, at different stages, one hidden from the public."""
    admin = staff_make("quantri.tk", "ubnd-d72", Role.ADMIN)
    today = timezone.localdate()

    def make(ward: str, category: str) -> Report:
        return report_make(ward=ward, category=category, name=REPORTER_NAME, email=REPORTER_EMAIL)

    on_time = make("D25450", "cay-xanh")
    _backdate(on_time, hours=30)
    _answer(on_time, admin)

    late = make("D25451", "cay-xanh")
    _backdate(late, hours=80, deadline=today - timedelta(days=1))
    _answer(late, admin)

    in_progress = make("D25470", "giao-thong")
    services.report_start(report=in_progress, actor=admin)

    spam = make("D25471", "cay-xanh")
    services.report_reject(report=spam, actor=admin, reason="spam")

    hidden = make("D25450", "cay-xanh")
    services.report_set_public(report=hidden, actor=admin, public=False, reason="Có thông tin cá nhân.")

    old_overdue = make("D25472", "giao-thong")
    _backdate(old_overdue, hours=40 * 24, deadline=today - timedelta(days=30))

    reports = [on_time, late, in_progress, spam, hidden, old_overdue]
    for report in reports:
        report.refresh_from_db()
    return World(reports=reports, hidden=hidden, admin=admin)


def test_the_first_answer_time_follows_the_answers(demo: None) -> None:
    """Report.first_answered_at (what the numbers read) is the earliest published answer, whatever
    happens to the answers, and a full save of a report loaded earlier does not undo it."""
    admin = staff_make("quantri.tl", "ubnd-d72", Role.ADMIN)
    report, other = report_make(), report_make(ward="D25451")
    stale = Report.objects.get(pk=report.pk)
    assert stale.first_answered_at is None

    _answer(report, admin)
    published = report.answers.get().published_at
    report.refresh_from_db()
    assert published is not None and report.first_answered_at == published

    stale.title = "Cây đổ chắn lối đi"
    stale.save()
    report.refresh_from_db()
    assert (report.title, report.first_answered_at) == ("Cây đổ chắn lối đi", published)

    unpublished = Answer.objects.create(report=report, body="Bản nháp.", author=admin)
    earlier = Answer.objects.create(
        report=report, body="Trả lời sớm hơn.", author=admin, published_at=published - timedelta(hours=5)
    )
    report.refresh_from_db()
    assert report.first_answered_at == published - timedelta(hours=5)

    Answer.objects.filter(pk=earlier.pk).update(report=other)  # moved to another report
    report.refresh_from_db()
    other.refresh_from_db()
    assert (report.first_answered_at, other.first_answered_at) == (published, published - timedelta(hours=5))

    Answer.objects.filter(report=report).exclude(pk=unpublished.pk).delete()
    Answer.objects.filter(pk=earlier.pk).update(published_at=None)
    report.refresh_from_db()
    other.refresh_from_db()
    assert report.first_answered_at is None and other.first_answered_at is None


# --- Expected values, computed from the reports themselves -------------------------------------------


def _first_answer(report: Report) -> Any:
    answer = report.answers.filter(published_at__isnull=False).order_by("published_at").first()
    return answer.published_at if answer else None


def _expected(reports: list[Report]) -> dict[str, Any]:
    today = timezone.localdate()
    answered = [(r, _first_answer(r)) for r in reports if _first_answer(r) is not None]
    on_time = [r for r, at in answered if timezone.localtime(at).date() <= r.deadline]
    hours = [(at - r.created_at).total_seconds() / 3600 for r, at in answered]
    return {
        "received": len(reports),
        "open": sum(r.status in OPEN_STATUSES for r in reports),
        "completed": sum(r.status == "completed" for r in reports),
        "rejected": sum(r.status == "rejected" for r in reports),
        "overdue_open": sum(r.status in OPEN_STATUSES and (r.is_overdue or r.deadline < today) for r in reports),
        "answered": len(answered),
        "answered_on_time": len(on_time),
        "on_time_share": round(len(on_time) / len(answered), 4) if answered else None,
        "avg_answer_hours": round(mean(hours), 1) if hours else None,
    }


def _under(agency: Agency | None, code: str) -> bool:
    while agency is not None:
        if agency.code == code:
            return True
        agency = agency.parent
    return False


def _public(world: World) -> list[Report]:
    return [r for r in world.reports if r.is_public]


def _get(client: Client, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.content[:500]
    return response.json()


def _measures(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in _expected([])}


# --- Numbers -------------------------------------------------------------------------------------------


def test_the_public_summary_counts_the_public_reports(world: World, client: Client) -> None:
    public = _public(world)
    data = _get(client, "/api/v1/stats/summary")
    assert data["scope"] == "public"
    assert _measures(data) == _expected(public)
    # The data cover every case the numbers distinguish.
    assert 0 < data["answered_on_time"] < data["answered"] and data["open"] and data["rejected"]
    assert data["overdue_open"] >= 1
    assert data["avg_answer_days"] == round(data["avg_answer_hours"] / 24, 2)
    hours = [(_first_answer(r) - r.created_at).total_seconds() / 3600 for r in public if _first_answer(r)]
    assert data["median_answer_hours"] == round(median(hours), 1)


def test_breakdowns_by_status_category_area_and_month(world: World, client: Client) -> None:
    public = _public(world)
    by_status = _get(client, "/api/v1/stats/by-status")["results"]
    assert [row["key"] for row in by_status] == list(ReportStatus.values)
    assert {row["key"]: row["received"] for row in by_status} == {
        row["key"]: sum(r.status == row["key"] for r in public) for row in by_status
    }

    by_category = _get(client, "/api/v1/stats/by-category")["results"]
    assert {row["key"]: _measures(row) for row in by_category} == {
        code: _expected([r for r in public if r.category.code == code]) for code in {r.category.code for r in public}
    }
    assert [row["received"] for row in by_category] == sorted((row["received"] for row in by_category), reverse=True)

    by_district = _get(client, "/api/v1/stats/by-area?level=district&parent=D72")
    districts = set(AdminUnit.objects.filter(parent__code="D72").values_list("code", flat=True))
    rows = {row["key"]: row for row in by_district["results"]}
    assert set(rows) == districts  # every district, with or without reports
    counts = Counter(r.district.code for r in public if r.district)
    assert {code: row["received"] for code, row in rows.items()} == {code: counts.get(code, 0) for code in districts}
    assert _measures(rows["D703"]) == _expected([r for r in public if r.district and r.district.code == "D703"])

    wards = _get(client, "/api/v1/stats/by-area?level=ward&district=D703")
    assert wards["parent"] == "D703"
    assert {row["key"] for row in wards["results"]} == set(
        AdminUnit.objects.filter(parent__code="D703").values_list("code", flat=True)
    )
    assert sum(row["received"] for row in wards["results"]) == sum(
        r.district is not None and r.district.code == "D703" for r in public
    )

    by_month = _get(client, "/api/v1/stats/by-month")["results"]
    months = Counter(timezone.localtime(r.created_at).strftime("%Y-%m") for r in public)
    first, last = min(months), timezone.localdate().strftime("%Y-%m")
    assert by_month[0]["key"] == first and by_month[-1]["key"] == last
    assert len(by_month) >= 2  # the old report is 40 days back
    assert {row["key"]: row["received"] for row in by_month} == {
        row["key"]: months.get(row["key"], 0) for row in by_month
    }


def test_staff_see_their_agencies_hidden_reports_included(world: World, client: Client) -> None:
    public = _public(world)
    client.force_login(world.admin)
    everything = _get(client, "/api/v1/stats/summary")
    assert everything["scope"] == "agency"
    assert _measures(everything) == _expected(world.reports)
    assert everything["received"] == len(public) + 1  # the hidden report counts for staff only
    assert _measures(_get(client, "/api/v1/stats/summary?scope=public")) == _expected(public)

    agency = world.hidden.agency
    assert agency is not None
    officer = staff_make("canbo.tk", agency.code, Role.OFFICER)
    client.force_login(officer)
    theirs = [r for r in world.reports if r.agency_id == agency.pk]
    assert world.hidden in theirs and len(theirs) < len(world.reports)
    assert _measures(_get(client, "/api/v1/stats/summary")) == _expected(theirs)
    by_agency = _get(client, "/api/v1/stats/by-agency")["results"]
    assert [(row["key"], row["received"]) for row in by_agency] == [(agency.code, len(theirs))]


def test_by_agency_and_export_are_for_staff_only(world: World, client: Client) -> None:
    for url in ("/api/v1/stats/by-agency", "/api/v1/stats/export.csv"):
        assert client.get(url).status_code == 403
    client.force_login(User.objects.create_user(username="dan", password=PASSWORD))
    for url in ("/api/v1/stats/by-agency", "/api/v1/stats/export.csv"):
        response = client.get(url, HTTP_ACCEPT="text/csv" if url.endswith(".csv") else "application/json")
        assert response.status_code == 403
        # The API's one error shape, in JSON even to a client asking for CSV.
        assert response["Content-Type"].startswith("application/json")
        assert set(response.json()) == {"detail", "errors"} and "cán bộ" in response.json()["detail"]
    client.force_login(world.admin)
    rows = _get(client, "/api/v1/stats/by-agency")["results"]
    expected = Counter(r.agency.code for r in world.reports if r.agency)
    assert {row["key"]: row["received"] for row in rows} == expected
    for row in rows:
        assert _measures(row) == _expected([r for r in world.reports if r.agency and r.agency.code == row["key"]])


def test_filters_narrow_the_numbers(world: World, client: Client) -> None:
    public = _public(world)
    today = timezone.localdate()
    cases = {
        f"from={today:%Y-%m-%d}": [r for r in public if timezone.localtime(r.created_at).date() >= today],
        f"to={today - timedelta(days=20):%Y-%m-%d}": [
            r for r in public if timezone.localtime(r.created_at).date() <= today - timedelta(days=20)
        ],
        "district=D705": [r for r in public if r.district and r.district.code == "D705"],
        "ward=D25450": [r for r in public if r.ward and r.ward.code == "D25450"],
        "category=giao-thong": [r for r in public if r.category.code == "giao-thong"],
        "province=D72&category=cay-xanh": [r for r in public if r.category.code == "cay-xanh"],
        # An agency counts the reports of the agencies under it too.
        "agency=ubnd-d72": [r for r in public if _under(r.agency, "ubnd-d72")],
        "agency=so-gtvt": [r for r in public if _under(r.agency, "so-gtvt")],
    }
    for query, reports in cases.items():
        assert _measures(_get(client, f"/api/v1/stats/summary?{query}")) == _expected(reports), query
    assert 0 < len(cases["district=D705"]) < len(public)
    assert cases["agency=ubnd-d72"] and cases["agency=so-gtvt"]
    # dd/mm/yyyy, as people type dates, works too.
    data = _get(client, f"/api/v1/stats/summary?from={today:%d/%m/%Y}")
    assert data["filters"]["from"] == today.isoformat()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2025-02-30", "from"),
        ("to=hôm-nay", "to"),
        ("from=2025-03-01&to=2025-02-01", "to"),
        ("from=1800-01-01", "from"),
        ("district=D999", "district"),
        ("ward=D703", "ward"),  # a district code is not a ward
        ("district=D705&ward=D25450", "ward"),
        ("province=D703", "province"),
        ("category=khong-co", "category"),
        ("agency=khong-co", "agency"),
        ("scope=all", "scope"),
    ],
)
def test_bad_filters_get_a_400_in_vietnamese(demo: None, client: Client, query: str, field: str) -> None:
    for endpoint in ("summary", "by-month", "by-area"):
        data = _get(client, f"/api/v1/stats/{endpoint}?{query}", status=400)
        assert field in data["errors"], data
        assert data["detail"] in {messages[0] for messages in data["errors"].values()}
    assert client.get(f"/thong-ke/?{query}").status_code == 400


@pytest.mark.parametrize(("query", "field"), [("level=tinh", "level"), ("level=district&parent=D25450", "parent")])
def test_bad_area_parameters_get_a_400(demo: None, client: Client, query: str, field: str) -> None:
    assert field in _get(client, f"/api/v1/stats/by-area?{query}", status=400)["errors"]


# --- One query for the page ----------------------------------------------------------------------------


def _separately(
    reports: Any, *, filters: ReportFilters, level: str, parent: AdminUnit | None, with_agencies: bool
) -> stats.Overview:
    """What the single-breakdown selectors give, one query each."""
    today = timezone.localdate()
    return stats.Overview(
        summary=stats.stats_summary(reports, today=today),
        by_status=stats.stats_by_status(reports, today=today),
        by_category=stats.stats_by_category(reports, today=today),
        by_month=stats.stats_by_month(reports, filters=filters, today=today),
        by_area=stats.stats_by_area(reports, level=level, parent=parent, today=today),
        by_agency=stats.stats_by_agency(reports, today=today) if with_agencies else None,
    )


@pytest.mark.parametrize(
    "case",
    [
        "public",
        "public, no parent",
        "staff, everything",
        "staff, one agency",
        "district filter, wards",
        "wards of a district, no filter",
        "provinces",
        "period over three months",
        "period ending before today",
        "nothing matches",
    ],
)
def test_the_overview_gives_what_the_separate_selectors_give(world: World, case: str) -> None:
    today = timezone.localdate()
    # Reports outside every district and not yet routed get buckets of their own.
    unplaced = world.reports[3]
    Report.objects.filter(pk=unplaced.pk).update(ward=None, district=None, agency=None)
    agency_id = world.hidden.agency_id
    assert agency_id is not None
    public = stats.PUBLIC_SCOPE
    staff = stats.StatsScope(public=False, access=StaffAccess(everything=True), is_staff=True)
    one_agency = stats.StatsScope(public=False, access=StaffAccess(officer_ids=frozenset({agency_id})), is_staff=True)
    cases: dict[str, tuple[stats.StatsScope, ReportFilters, str, str]] = {
        "public": (public, ReportFilters(), "district", "D72"),
        "public, no parent": (public, ReportFilters(), "district", ""),
        "staff, everything": (staff, ReportFilters(), "district", "D72"),
        "staff, one agency": (one_agency, ReportFilters(), "district", "D72"),
        "district filter, wards": (public, ReportFilters(district="D703"), "ward", "D703"),
        "wards of a district, no filter": (staff, ReportFilters(), "ward", "D703"),
        "provinces": (staff, ReportFilters(), "province", ""),
        "period over three months": (
            staff,
            ReportFilters(date_from=today - timedelta(days=70), date_to=today),
            "district",
            "D72",
        ),
        "period ending before today": (
            public,
            ReportFilters(date_from=today - timedelta(days=100), date_to=today - timedelta(days=20)),
            "ward",
            "",
        ),
        "nothing matches": (public, ReportFilters(category="y-te"), "district", "D72"),
    }
    scope, filters, level, parent_code = cases[case]
    parent = AdminUnit.objects.get(code=parent_code) if parent_code else None
    reports = stats.stats_reports(scope, filters)

    overview = stats.stats_overview(
        reports, filters=filters, level=level, parent=parent, today=today, with_agencies=scope.is_staff
    )
    assert overview == _separately(
        reports, filters=filters, level=level, parent=parent, with_agencies=scope.is_staff
    ), case

    # The cases cover what the shaping distinguishes.
    assert overview.summary.received == sum(b.measures.received for b in overview.by_month)
    assert (overview.summary.received == 0) == (case == "nothing matches")
    assert [b.key for b in overview.by_status] == list(ReportStatus.values)
    if parent is not None:  # every current unit under the parent, with or without reports
        children = set(parent.children.current().values_list("code", flat=True))
        assert {b.key for b in overview.by_area} == children, case
        assert any(b.measures.received == 0 for b in overview.by_area)
    if case == "public, no parent":
        assert overview.by_area[-1].key == "" and overview.by_area[-1].measures.received == 1
    if case == "provinces":
        assert [b.key for b in overview.by_area] == ["D72"]
    if case == "staff, everything":
        assert overview.by_agency is not None and overview.by_agency[-1].key == ""
        assert overview.summary.median_answer_hours is not None
    if case.startswith("period"):
        months = [b.key for b in overview.by_month]
        assert months[0] == f"{filters.date_from:%Y-%m}" and months[-1] == f"{filters.date_to:%Y-%m}"
        assert len(months) >= 3 and any(b.measures.received == 0 for b in overview.by_month)
    if case == "nothing matches":
        assert overview.summary == stats.Summary()
        assert overview.by_category == overview.by_month == []  # no period, no reports: no months
    if not scope.is_staff:
        assert overview.by_agency is None


def _aggregate_queries(captured: CaptureQueriesContext) -> list[str]:
    """The queries over the facts of the reports (every statistic is one)."""
    return [query["sql"] for query in captured.captured_queries if "WITH facts AS" in query["sql"]]


def test_the_page_computes_its_numbers_in_one_query(world: World, client: Client, settings: SettingsWrapper) -> None:
    today = timezone.localdate()
    staff = Client()
    staff.force_login(world.admin)
    everything = stats.StatsScope(public=False, access=StaffAccess(everything=True), is_staff=True)
    public = stats.StatsScope(public=True, is_staff=True)
    pages: list[tuple[Client, stats.StatsScope, dict[str, str]]] = [
        (client, stats.PUBLIC_SCOPE, {}),
        (client, stats.PUBLIC_SCOPE, {"district": "D703"}),
        (staff, everything, {}),
        (staff, everything, {"from": f"{today - timedelta(days=70):%Y-%m-%d}"}),
        (staff, public, {"scope": "public", "district": "D705"}),
    ]
    for viewer, scope, query in pages:
        with CaptureQueriesContext(connection) as captured:
            response = viewer.get("/thong-ke/", query)
        assert response.status_code == 200
        aggregates = _aggregate_queries(captured)
        assert len(aggregates) == 1 and "GROUPING SETS" in aggregates[0], (query, aggregates)
        assert sum("GROUPING SETS" in q["sql"] for q in captured.captured_queries) == 1

        filters = stats.stats_filters_parse(query)
        parent = AdminUnit.objects.get(code=filters.district or "D72")
        level = "ward" if filters.district else "district"
        expected = _separately(
            stats.stats_reports(scope, filters),
            filters=filters,
            level=level,
            parent=parent,
            with_agencies=scope.is_staff,
        )
        context = response.context
        for name, value in expected.parts().items():
            assert context[name] == value, (query, name)
        assert ("by_agency" in context) == scope.is_staff
        text = html.unescape(response.content.decode())
        for element, number in (("received", "received"), ("open", "open"), ("answered", "answered")):
            assert _number(text, f"sum-{element}") == str(getattr(expected.summary, number)), query

    # The public copy kept for a while: the query once, then none.
    settings.STATS_CACHE_SECONDS = 60
    cache.clear()
    for runs in (1, 0):
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/thong-ke/").status_code == 200
        assert len(_aggregate_queries(captured)) == runs


# --- CSV ----------------------------------------------------------------------------------------------


def _csv(client: Client, url: str) -> tuple[bytes, list[list[str]]]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return body, list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_export_has_one_row_per_report_and_no_personal_data(
    world: World, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.force_login(world.admin)
    monkeypatch.setattr(stats, "EXPORT_CHUNK", 4)  # several chunks, to check the paging by id
    body, rows = _csv(client, "/api/v1/stats/export.csv")
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    assert tuple(rows[0]) == stats.EXPORT_HEADER
    assert sorted(row[0] for row in rows[1:]) == sorted(r.code for r in world.reports)
    text = body.decode("utf-8-sig")
    for private in (REPORTER_NAME, REPORTER_EMAIL, "0912345678", "+84912345678", "912345678"):
        assert private not in text
    by_code = {row[0]: dict(zip(stats.EXPORT_HEADER, row, strict=True)) for row in rows[1:]}
    on_time, late = world.reports[0], world.reports[1]
    assert by_code[on_time.code]["dung_han"] == "có" and by_code[late.code]["dung_han"] == "không"
    assert by_code[world.hidden.code]["cong_khai"] == "không"
    # "qua_han" is overdue by the one definition: an answer on time then a late completion (after a
    # reopening) is overdue too, and an open report past its deadline is.
    Report.objects.filter(pk=on_time.pk).update(is_overdue=True)
    _body, rows = _csv(client, "/api/v1/stats/export.csv")
    by_code = {row[0]: dict(zip(stats.EXPORT_HEADER, row, strict=True)) for row in rows[1:]}
    today = timezone.localdate()
    for report in Report.objects.filter(pk__in=[r.pk for r in world.reports]):
        assert by_code[report.code]["qua_han"] == ("có" if report_overdue(report, today) else "không"), report.code
    assert by_code[on_time.code]["qua_han"] == "có"
    assert on_time.ward is not None and by_code[on_time.code]["phuong_xa"] == on_time.ward.name
    assert by_code[on_time.code]["chuyen_muc"] == on_time.category.name

    _body, filtered = _csv(client, "/api/v1/stats/export.csv?category=giao-thong")
    assert sorted(row[0] for row in filtered[1:]) == sorted(
        r.code for r in world.reports if r.category.code == "giao-thong"
    )


# --- Image, schema, page -------------------------------------------------------------------------------

BAR = (0x1D, 0x5F, 0xA8)


def _bar_pixels(image: Image.Image) -> int:
    return sum(count for count, colour in image.convert("RGB").getcolors(maxcolors=1 << 24) or [] if colour == BAR)


def test_the_chart_png_is_a_readable_image_of_the_right_size(world: World, client: Client) -> None:
    response = client.get("/thong-ke/bieu-do.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and image.size == (1200, 630)
    assert _bar_pixels(image) > 0
    # A filter that matches no report draws no bars.
    empty = Image.open(io.BytesIO(client.get("/thong-ke/bieu-do.png?category=y-te").content))
    assert empty.size == (1200, 630) and _bar_pixels(empty) == 0
    assert client.get("/thong-ke/bieu-do.png?from=2025-13-01").status_code == 400


def test_the_font_has_vietnamese_letters() -> None:
    font = chart_font(24)
    # A font without the glyphs draws every Vietnamese letter as the same box.
    boxes = {font.getmask(letter).getbbox() for letter in "ảẩệỗự"}
    assert len(boxes) > 1


def test_the_stats_endpoints_are_in_the_schema(demo: None, client: Client) -> None:
    schema = client.get("/api/schema/?format=json").json()
    for path in ("summary", "by-status", "by-category", "by-area", "by-month", "by-agency", "export.csv"):
        assert f"/api/v1/stats/{path}" in schema["paths"], path
    summary = schema["paths"]["/api/v1/stats/summary"]["get"]
    assert summary["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("StatsSummary")
    assert "text/csv" in schema["paths"]["/api/v1/stats/export.csv"]["get"]["responses"]["200"]["content"]
    properties = schema["components"]["schemas"]["StatsFilters"]["properties"]
    assert "from" in properties


def _number(text: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', text)
    assert match, element_id
    return match.group(1).strip()


def test_the_page_renders_the_numbers_and_tables_without_script(world: World, client: Client) -> None:
    public = _public(world)
    expected = _expected(public)
    text = html.unescape(client.get("/thong-ke/").content.decode())
    assert _number(text, "sum-received") == str(expected["received"])
    assert _number(text, "sum-open") == str(expected["open"])
    assert _number(text, "sum-answered") == str(expected["answered"])
    assert _number(text, "sum-on-time") == f"{expected['on_time_share'] * 100:.1f}%".replace(".", ",")
    for table in ("table-month", "table-category", "table-status", "table-area"):
        assert f'id="{table}"' in text
    for canvas in ("chart-month", "chart-category", "chart-status"):
        assert re.search(rf'<canvas id="{canvas}" role="img"[^>]*data-source="/api/v1/stats/by-', text), canvas
        assert re.search(rf'<canvas id="{canvas}"[^>]*aria-label="[^"]+"', text), canvas
    # Staff-only parts: the agency table, the officers named with their answers, the export.
    assert "table-agency" not in text and "table-officer" not in text and "export.csv" not in text
    # The district table names every district of the province.
    for name in AdminUnit.objects.filter(parent__code="D72").values_list("name", flat=True):
        assert name in text

    client.force_login(world.admin)
    staff_text = html.unescape(client.get("/thong-ke/").content.decode())
    assert _number(staff_text, "sum-received") == str(len(world.reports))
    assert 'id="table-agency"' in staff_text and 'id="table-officer"' in staff_text
    assert "/api/v1/stats/export.csv" in staff_text


def test_the_public_page_reuses_its_numbers_for_a_while_and_staff_see_them_fresh(
    world: World, client: Client, settings: SettingsWrapper
) -> None:
    settings.STATS_CACHE_SECONDS = 60
    cache.clear()
    url = reverse("stats-page")
    before = len(_public(world))
    page = client.get(url).content.decode()
    assert _number(page, "sum-received") == str(before)
    assert "Số liệu công khai được tính lại sau mỗi 60 giây." in page

    report_make(ward="D25470", category="giao-thong")
    assert _number(client.get(url).content.decode(), "sum-received") == str(before)  # the copy
    other = client.get(url, {"category": "giao-thong"}).content.decode()  # other filters, other copy
    assert _number(other, "sum-received") == str(sum(r.category.code == "giao-thong" for r in _public(world)) + 1)

    staff = Client()
    staff.force_login(world.admin)
    staff_page = staff.get(url).content.decode()
    assert "được tính lại" not in staff_page
    assert _number(staff_page, "sum-received") == str(len(world.reports) + 1)

    cache.clear()
    assert _number(client.get(url).content.decode(), "sum-received") == str(before + 1)


def test_the_page_explains_bad_filters(demo: None, client: Client) -> None:
    response = client.get("/thong-ke/?from=2025-02-30&ward=D1")
    assert response.status_code == 400
    text = html.unescape(response.content.decode())
    assert 'class="error-summary"' in text
    assert 'href="#id_from"' in text and 'href="#id_ward"' in text
    assert "Không có phường, xã mã “D1”." in text
    assert "<canvas" not in text


def test_the_page_in_english(world: World, client: Client) -> None:
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    text = html.unescape(client.get("/thong-ke/").content.decode())
    assert '<html lang="en">' in text
    wanted = ["<h1>Report statistics</h1>", "Filter the numbers", "Answered on time", "By category", "By month"]
    replaced = ["<h1>Thống kê phản ánh</h1>", "Lọc số liệu", "Trả lời đúng hạn", "Theo chuyên mục", "Theo tháng"]
    assert [s for s in wanted if s not in text] == []
    assert [s for s in replaced if s in text] == []
