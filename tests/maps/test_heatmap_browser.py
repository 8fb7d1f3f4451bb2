"""The officers' heatmap (/can-bo/ban-do-nhiet/) in headless Chromium, with the tile server out of reach."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import DESKTOP, PHONE, chromium, page_errors, sign_in
from tests.factories import report_make

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

MAP = "document.getElementById('heat-map')"


def test_an_officer_switches_from_heat_to_wards_and_lists_a_ward(demo_site: str, output_dir: Path) -> None:
    # The demo's city officer (UBND Thành phố Tây Ninh); reports in two of the city's wards and one outside.
    reports = [
        report_make(ward=ward, title=f"Rác thải ùn ứ số {i}") for i, ward in enumerate(["D25450"] * 3 + ["D25451"])
    ]
    report_make(ward="D25470", title="Ngoài địa bàn thành phố")
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        errors = page_errors(page)
        page.goto(f"{demo_site}/can-bo/ban-do-nhiet/")
        assert "/tai-khoan/dang-nhap/" in page.url
        sign_in(page, "canbo.tptn", "demo-12345")
        page.wait_for_url("**/can-bo/ban-do-nhiet/")

        # The heat layer: a canvas drawn from the reports of the officer's jurisdiction only.
        page.wait_for_function(f"{MAP}.dataset.mode === 'heat'")
        assert page.locator("canvas.leaflet-heatmap-layer").count() == 1
        # The map may load again once it has fitted the area: wait for the answer that settles.
        expect(page.locator("#hmap-status")).to_contain_text("4 phản ánh")
        assert "Mật độ phản ánh" in page.inner_text("#hmap-legend")

        # Wards coloured by count, with a legend.
        page.get_by_label("Theo phường, xã: số phản ánh").check()
        page.wait_for_function(f"{MAP}.dataset.mode === 'count'")
        page.wait_for_selector("path[data-ward='D25450']")
        assert page.locator("canvas.leaflet-heatmap-layer").count() == 0
        assert page.locator("path[data-ward='D25470']").count() == 0
        assert page.is_visible("#hmap-legend")
        assert "Số phản ánh" in page.inner_text("#hmap-legend")
        assert page.locator("#hmap-legend .hmap-swatch").count() == 6

        # A click on a ward lists its reports, linked to the staff pages.
        page.locator("path[data-ward='D25450']").click(force=True)
        page.wait_for_selector("#hmap-ward-list li")
        links = page.locator("#hmap-ward-list a")
        assert links.count() == 3
        hrefs = {links.nth(i).get_attribute("href") for i in range(3)}
        assert hrefs == {f"/can-bo/phan-anh/{r.code}/" for r in reports[:3]}
        assert "Phường 1" in page.inner_text("#hmap-ward-title")
        page.screenshot(path=str(output_dir / "staff-heatmap-wards-desktop.png"))

        # The overdue rate has its own legend.
        page.get_by_label("Theo phường, xã: tỷ lệ quá hạn").check()
        page.wait_for_function(f"{MAP}.dataset.mode === 'overdue_rate'")
        assert "Tỷ lệ quá hạn" in page.inner_text("#hmap-legend")
        page.get_by_label("Mật độ (bản đồ nhiệt)").check()
        page.wait_for_function(f"{MAP}.dataset.mode === 'heat'")
        page.screenshot(path=str(output_dir / "staff-heatmap-desktop.png"))
        assert errors == []


def test_the_heatmap_works_on_a_phone(demo_site: str, output_dir: Path) -> None:
    """At 360 px the controls, legend and map fit the width, and a ward's reports can be listed."""
    report = report_make(ward="D25450", title="Đèn đường hỏng")
    with chromium() as browser:
        page = browser.new_page(viewport=PHONE)
        errors = page_errors(page)
        page.goto(f"{demo_site}/tai-khoan/dang-nhap/?next=/can-bo/ban-do-nhiet/")
        sign_in(page, "canbo.tptn", "demo-12345")
        page.wait_for_url("**/can-bo/ban-do-nhiet/")
        page.wait_for_function(f"{MAP}.dataset.mode === 'heat'")
        # Nothing wider than the screen: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        map_box = page.locator("#heat-map").bounding_box()
        assert map_box is not None and map_box["width"] >= PHONE["width"] - 40 and map_box["height"] >= 240
        page.get_by_label("Theo phường, xã: số phản ánh").check()
        page.wait_for_selector("path[data-ward='D25450']")
        assert page.is_visible("#hmap-legend")
        page.locator("path[data-ward='D25450']").click(force=True)
        page.wait_for_selector("#hmap-ward-list li")
        assert page.locator("#hmap-ward-list a").first.get_attribute("href") == f"/can-bo/phan-anh/{report.code}/"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(output_dir / "staff-heatmap-phone.png"), full_page=True)
        assert errors == []
