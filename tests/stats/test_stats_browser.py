"""The statistics page (/thong-ke/) in headless Chromium: charts drawn, tables beside them, phone and desktop."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page

from agencies.models import Role
from boundaries.models import AdminUnit, Level
from incidents import services
from incidents.models import Report
from tests.browser import DESKTOP, at_each_width, chromium, page_errors
from tests.factories import PASSWORD, report_make, staff_make

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

CHARTS = ("chart-month", "chart-category", "chart-status")
CATEGORIES = ("cay-xanh", "giao-thong", "chieu-sang", "o-nhiem")


def _reports(count: int) -> int:
    """Reports across wards, categories and three months, two thirds of them answered; returns the count."""
    admin = staff_make("quantri.tk", "ubnd-d72", Role.ADMIN)
    wards = list(AdminUnit.objects.filter(level=Level.WARD).order_by("code").values_list("code", flat=True))
    for index in range(count):
        report = report_make(ward=wards[(index * 5) % len(wards)], category=CATEGORIES[index % len(CATEGORIES)])
        Report.objects.filter(pk=report.pk).update(created_at=timezone.now() - timedelta(days=index * 5))
        if index % 3:
            services.report_start(report=report, actor=admin)
            services.report_answer(report=report, actor=admin, body="Đã xử lý xong.")
    return count


def _charts_drawn(page: Page) -> None:
    for chart in CHARTS:
        page.wait_for_selector(f"canvas#{chart}[data-drawn='true']")
        # A Chart.js chart is attached to the canvas, with data in it.
        points = page.evaluate(
            f"() => {{ const c = Chart.getChart(document.getElementById('{chart}'));"
            " return c ? c.data.datasets[0].data.reduce((a, b) => a + b, 0) : -1; }"
        )
        assert points > 0, chart
        assert page.locator(f"#{chart}").get_attribute("aria-label")


def test_the_statistics_page_draws_its_charts(demo_site: str, output_dir: Path) -> None:
    made = _reports(15)
    districts = AdminUnit.objects.filter(level=Level.DISTRICT).count()
    with chromium() as browser:
        for name, page in at_each_width(browser):
            page.goto(f"{demo_site}/thong-ke/")
            assert page.locator("h1").inner_text() == "Thống kê phản ánh"
            _charts_drawn(page)
            # The numbers are in tables too, for screen readers and for people without script.
            total = int(page.inner_text("#sum-received"))
            assert total == made
            months = page.locator("#table-month tbody tr")
            assert months.count() >= 1
            month_sum = sum(int(months.nth(i).locator("td").first.inner_text()) for i in range(months.count()))
            assert month_sum == total
            assert page.locator("#table-area tbody tr").count() == districts  # with or without reports
            assert page.locator("#table-agency").count() == 0  # staff only
            # Nothing scrolls sideways but the wide tables inside their own scroll boxes.
            assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]
            page.screenshot(path=str(output_dir / f"stats-{name}.png"), full_page=True)

            # Filtering by district lists its wards and redraws from the filtered API.
            if name == "phone":
                page.select_option("#id_district", label="Thành phố Tây Ninh")
                page.get_by_role("button", name="Xem số liệu").click()
                page.wait_for_url("**/thong-ke/?*district=D703*")
                _charts_drawn(page)
                assert "Theo phường, xã" in page.inner_text("#stats-area-title")
                assert int(page.inner_text("#sum-received")) < total


def test_staff_see_the_agency_section_and_the_csv_link(demo_site: str, output_dir: Path) -> None:
    _reports(9)
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        errors = page_errors(page)
        page.goto(f"{demo_site}/tai-khoan/dang-nhap/?next=/thong-ke/")
        page.get_by_label("Tên đăng nhập, số điện thoại hoặc e-mail").fill("quantri.tk")
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url("**/thong-ke/")
        _charts_drawn(page)
        assert page.locator("#table-agency tbody tr").count() >= 1
        assert page.locator("#table-officer tbody tr").count() >= 1
        with page.expect_download() as download:
            page.get_by_role("link", name="Tải bảng CSV (Excel)").click()
        path = download.value.path()
        assert path is not None
        lines = Path(path).read_bytes().decode("utf-8-sig").splitlines()
        assert len(lines) == 1 + int(page.inner_text("#sum-received"))
        page.screenshot(path=str(output_dir / "stats-staff-desktop.png"), full_page=True)
        assert errors == []
