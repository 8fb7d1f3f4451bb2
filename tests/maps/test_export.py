"""The officers' "export this map" (/can-bo/ban-do-nhiet/xuat/): one self-contained HTML file of the
reports and wards in the heatmap's view, under its filters and the officer's staff access, asked over
real HTTP from the live server."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from django.conf import settings
from django.test import Client
from django.utils.html import escape
from pytest_django.live_server_helper import LiveServer

from accounts.models import User
from agencies.models import Role
from incidents.filters import HEATMAP_NAMES, FilterError, report_filters_parse
from incidents.models import Category, Report
from tests.factories import report_make, staff_make

pytestmark = pytest.mark.django_db(transaction=True)

EXPORT = "/can-bo/ban-do-nhiet/xuat/"
# The demo province D72 lies inside this view at zoom 9.
VIEW = {"bbox": "105.0,10.5,107.0,12.0", "zoom": "9"}


@pytest.fixture
def officer(demo: None) -> User:
    """An officer of the city (district D703) UBND: the city's wards are the jurisdiction."""
    return staff_make("canbo_thanhpho", "ubnd-d703", Role.OFFICER)


def http_as(live_server: LiveServer, user: User | None) -> httpx.Client:
    cookies = {}
    if user is not None:
        client = Client()
        client.force_login(user)
        cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return httpx.Client(base_url=live_server.url, cookies=cookies, timeout=60)


@pytest.fixture
def http(live_server: LiveServer, officer: User) -> Iterator[httpx.Client]:
    with http_as(live_server, officer) as client:
        yield client


def external_fetches(html: str) -> list[str]:
    """Anything the file would fetch by itself: script and style links, images, CSS url()s and imports."""
    tags = re.findall(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?([^\"'\s>]+)", html, re.I)
    urls = re.findall(r"url\(\s*[\"']?((?:https?:)?//[^)\"']+)", html, re.I)
    imports = re.findall(r"@import\s+[\"']?([^\"';\s]+)", html, re.I)
    return tags + urls + imports


def test_the_file_holds_the_reports_and_wards_in_view_and_nothing_fetched_from_elsewhere(
    http: httpx.Client,
) -> None:
    inside = [
        report_make(ward=ward, title=f"Cống thoát nước tắc số {i}") for i, ward in enumerate(["D25450", "D25451"])
    ]
    outside_jurisdiction = report_make(ward="D25470", title="Ngoài địa bàn thành phố")

    response = http.get(EXPORT, params=VIEW)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and ".html" in disposition
    html = response.text
    for report in inside:
        assert report.code in html and report.title in html
    # The officer's staff access: a report of another district is not theirs to see.
    assert outside_jurisdiction.code not in html
    # The wards of the view, drawn (their codes travel in the map's data).
    assert '"D25450"' in html and '"D25451"' in html
    # Leaflet is in the file; nothing is linked, least of all a CDN.
    assert "L.map(" in html and "leaflet-container" in html
    assert external_fetches(html) == []
    assert not re.search(r"https?://[^\s\"'<>]*(cdn|jsdelivr|cloudflare|bootstrapcdn|jquery)", html, re.I)
    assert '<html lang="vi">' in html


def test_the_heatmap_filters_and_view_apply(http: httpx.Client) -> None:
    codes = list(Category.objects.order_by("code").values_list("code", flat=True)[:2])
    wanted = report_make(ward="D25450", title="Đúng chuyên mục", category=codes[0])
    other = report_make(ward="D25450", title="Chuyên mục khác", category=codes[1])

    html = http.get(EXPORT, params={**VIEW, "category": codes[0]}).text
    assert wanted.code in html and other.code not in html

    # A view east of the province holds none of them.
    html = http.get(EXPORT, params={"bbox": "107.5,10.5,108.0,11.0", "zoom": "9"}).text
    assert wanted.code not in html and other.code not in html


def test_overdue_reports_are_marked_and_filtered(http: httpx.Client) -> None:
    late = report_make(ward="D25450", title="Đã quá hạn xử lý")
    on_time = report_make(ward="D25450", title="Còn trong hạn")
    Report.objects.filter(pk=late.pk).update(is_overdue=True)

    html = http.get(EXPORT, params=VIEW).text

    def row(code: str) -> str:
        found = re.search(rf"<tr><td>{code}</td>.*?</tr>", html)
        assert found is not None, code
        return found.group(0)

    assert row(late.code).endswith("<td>Quá hạn</td></tr>")
    assert row(on_time.code).endswith("<td></td></tr>")
    html = http.get(EXPORT, params={**VIEW, "overdue": "true"}).text
    assert late.code in html and on_time.code not in html


def test_what_people_wrote_is_escaped(http: httpx.Client) -> None:
    report = report_make(ward="D25450", title='<script>alert("x")</script><img src=x onerror=alert(1)>')

    html = http.get(EXPORT, params=VIEW).text

    assert report.code in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_bad_input_answers_400_in_vietnamese(http: httpx.Client) -> None:
    response = http.get(EXPORT, params={"bbox": "105,10.5", "zoom": "9"})
    assert response.status_code == 400
    assert "Yêu cầu không hợp lệ" in response.text and "bbox" in response.text
    response = http.get(EXPORT, params={**VIEW, "from": "hôm qua"})
    assert response.status_code == 400
    # The one filter parser's own message for it (incidents.filters).
    with pytest.raises(FilterError) as refused:
        report_filters_parse({"from": "hôm qua"}, names=HEATMAP_NAMES)
    assert escape(refused.value.errors["from"][0]) in response.text


def test_only_staff_may_export(live_server: LiveServer, demo: None) -> None:
    report_make(ward="D25450", title="Riêng cán bộ")
    with http_as(live_server, None) as anonymous:
        response = anonymous.get(EXPORT, params=VIEW)
    assert response.status_code == 302 and "/tai-khoan/dang-nhap/" in response.headers["location"]
