"""The one report filter vocabulary (incidents.filters): every bad value gets the one error shape,
wherever it is parsed, and "overdue" means one thing in Python, in a query and in hand-written SQL."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from incidents import selectors
from incidents.filters import (
    ALL_NAMES,
    API_NAMES,
    CODE_NAMES,
    STATS_NAMES,
    FilterError,
    ReportFilters,
    overdue_q,
    overdue_sql,
    report_filters_parse,
    report_filters_query,
    report_overdue,
)
from incidents.models import Report, ReportStatus
from tests.factories import report_make

# Bad values that need no data to be refused.
BAD = [
    ({"from": "2025-02-30"}, "from"),
    ({"to": "hôm nay"}, "to"),
    ({"from": "1800-01-01"}, "from"),
    ({"from": "2025-03-01", "to": "2025-02-01"}, "to"),
    ({"bbox": "105,10,104,12"}, "bbox"),
    ({"bbox": "a,b,c,d"}, "bbox"),
    ({"kind": "complaint"}, "kind"),
    ({"status": "nope"}, "status"),
    ({"overdue": "có"}, "overdue"),
    ({"sender_name": "Nguyễn Văn An"}, "sender_name"),
    ({"sender_phone": "0912345678"}, "sender_phone"),
]
# Codes checked against the demo's units, categories and agencies.
BAD_CODES = [
    ({"district": "D999"}, "district"),
    ({"ward": "D703"}, "ward"),  # a district's code is not a ward's
    ({"district": "D705", "ward": "D25450"}, "ward"),  # a ward of another district
    ({"province": "D703"}, "province"),
    ({"category": "khong-co"}, "category"),
    ({"agency": "khong-co"}, "agency"),
]


def _one_shape(body: dict[str, Any], name: str) -> None:
    assert set(body) == {"detail", "errors"}, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert name in body["errors"], body
    assert all(isinstance(m, str) for messages in body["errors"].values() for m in messages)
    assert body["detail"] == next(iter(body["errors"].values()))[0]


@pytest.mark.parametrize(("params", "name"), BAD)
def test_each_bad_value_is_refused_in_the_one_error_shape(params: dict[str, str], name: str) -> None:
    with pytest.raises(FilterError) as caught:
        report_filters_parse(params, names=ALL_NAMES)
    _one_shape(caught.value.body(), name)


@pytest.mark.django_db
def test_each_unknown_code_is_refused_in_the_one_error_shape(demo: None) -> None:
    for params, name in BAD_CODES:
        with pytest.raises(FilterError) as caught:
            report_filters_parse(params, names=ALL_NAMES, known_codes=True)
        _one_shape(caught.value.body(), name)
        report_filters_parse(params, names=ALL_NAMES)  # unchecked, an unknown code simply matches nothing


@pytest.mark.django_db
# The reports API filters by codes without checking them (an unknown one matches nothing).
@pytest.mark.parametrize(("params", "name"), [(p, n) for p, n in BAD if n in API_NAMES - CODE_NAMES])
def test_the_reports_api_answers_the_parsers_refusal(db: None, params: dict[str, str], name: str) -> None:
    response = Client().get("/api/v1/reports/", params)
    assert response.status_code == 400
    with pytest.raises(FilterError) as caught:
        report_filters_parse(params)
    assert response.json() == caught.value.body()


@pytest.mark.django_db
def test_the_statistics_api_answers_the_parsers_refusal(demo: None) -> None:
    for params, name in [(p, n) for p, n in BAD + BAD_CODES if n in STATS_NAMES]:
        response = Client().get("/api/v1/stats/summary", params)
        assert response.status_code == 400
        _one_shape(response.json(), name)
        with pytest.raises(FilterError) as caught:
            report_filters_parse(params, names=STATS_NAMES, known_codes=True)
        assert response.json()["errors"][name] == caught.value.errors[name]


def test_a_far_date_and_a_malformed_one_are_told_apart() -> None:
    for raw, words in (("1800-01-01", "khoảng năm 2000 đến 2100"), ("31/02/2025", "Ngày không hợp lệ")):
        with pytest.raises(FilterError) as caught:
            report_filters_parse({"from": raw})
        assert words in caught.value.errors["from"][0]


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(FilterError) as caught:
        report_filters_parse({"from": "x", "kind": "y", "status": "z"})
    assert set(caught.value.errors) == {"from", "kind", "status"}


def test_good_values_parse_and_unoffered_names_are_ignored() -> None:
    params = {
        "q": "  cây đổ ",
        "from": "01/02/2025",
        "to": "2025-02-28",
        "status": "open",
        "kind": "idea",
        "bbox": "105,10,107,12",
        "overdue": "true",
        "district": "D705",
        "agency": "khong-co",  # not offered by the API: ignored, not refused
    }
    filters = report_filters_parse(params)
    assert (filters.q, filters.status, filters.kind, filters.district) == ("cây đổ", "open", "idea", "D705")
    assert (filters.date_from, filters.date_to) == (date(2025, 2, 1), date(2025, 2, 28))
    assert filters.bbox == (105.0, 10.0, 107.0, 12.0)
    assert filters.agency == "" and filters.overdue is False  # overdue is not offered by the API either
    assert report_filters_parse({"overdue": "on"}, names=ALL_NAMES).overdue is True
    assert report_filters_parse({"sender_name": "An"}, sender_search=True).sender_name == "An"


def test_the_query_of_filters_parses_back_to_them() -> None:
    """Links that keep the filters (the statistics page's API, CSV and chart links) write them with
    report_filters_query: every field of the vocabulary comes back as it was, empty ones are left out."""
    filters = ReportFilters(
        q="cây đổ",
        code="250101000001",
        sender_name="An",
        sender_phone="0912345678",
        province="D72",
        district="D703",
        ward="D25450",
        category="cay-xanh",
        agency="ubnd-tptn",
        kind="idea",
        status="open",
        date_from=date(2025, 2, 1),
        date_to=date(2025, 2, 28),
        bbox=(105.5, 10.0, 107.0, 12.25),
        overdue=True,
    )
    query = report_filters_query(filters)
    assert report_filters_parse(query, names=ALL_NAMES, sender_search=True) == filters
    assert list(report_filters_query(ReportFilters(category="y-te", date_to=date(2025, 3, 1)))) == ["to", "category"]
    assert report_filters_query(ReportFilters()) == {}


@pytest.mark.django_db
def test_overdue_is_one_definition(demo: None) -> None:
    today = timezone.localdate()
    past, future = today - timedelta(days=2), today + timedelta(days=2)
    cases = {
        "open, past its deadline": (ReportStatus.RECEIVED, past, False, True),
        "open, in time": (ReportStatus.IN_PROGRESS, future, False, False),
        "flagged by the daily job": (ReportStatus.IN_PROGRESS, future, True, True),
        "completed late": (ReportStatus.COMPLETED, past, True, True),
        "completed in time, deadline since passed": (ReportStatus.COMPLETED, past, False, False),
    }
    reports = {}
    for title, (status, deadline, flagged, _) in cases.items():
        report = report_make(title=title)
        Report.objects.filter(pk=report.pk).update(status=status, deadline=deadline, is_overdue=flagged)
        reports[title] = Report.objects.get(pk=report.pk)
    expected = {title for title, case in cases.items() if case[3]}

    in_query = set(Report.objects.filter(overdue_q(today)).values_list("title", flat=True))
    in_python = {title for title, report in reports.items() if report_overdue(report, today)}
    condition, params = overdue_sql("r", today)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT r.title FROM {Report._meta.db_table} r WHERE {condition}", params)  # noqa: S608
        in_sql = {row[0] for row in cursor.fetchall()}
    assert in_query == in_python == in_sql == expected
    filtered = selectors.reports_filtered(Report.objects.all(), report_filters_parse({"overdue": "1"}, names=ALL_NAMES))
    assert set(filtered.values_list("title", flat=True)) == expected
