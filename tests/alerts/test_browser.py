"""Warnings in headless Chromium: an officer builds an alert from a unit and submits it, a leader approves
it at a desk; a citizen reads current warnings on a 360 px phone; the report form shows them at the pin."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, Page, ViewportSize

from accounts.models import User
from agencies.models import Role
from alerts import area
from alerts.models import Alert, Status
from boundaries.models import AdminUnit
from tests.browser import DESKTOP, PHONE, chromium, page_errors
from tests.conftest import point_in

from .conftest import WARD, published, staff

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def signed_in(browser: Browser, site: str, user: User, viewport: ViewportSize) -> Page:
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=viewport)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": site,
            }
        ]
    )
    return context.new_page()


def test_officer_creates_from_a_unit_and_a_leader_approves(demo_site: str, output_dir: Path) -> None:
    officer = staff("canbo_canhbao", "ubnd-d703", Role.OFFICER)
    leader = staff("lanhdao_canhbao", "ubnd-d703", Role.LEADER)
    ward = AdminUnit.objects.get(code=WARD)
    expected = area.area_people_count(ward.geom)
    assert expected >= 1  # the demo's citizen in Phường 1

    with chromium() as browser:
        page = signed_in(browser, demo_site, officer, DESKTOP)
        errors = page_errors(page)
        page.goto(f"{demo_site}/canh-bao/quan-ly/tao/")
        page.get_by_label("Tiêu đề cảnh báo").fill("Cảnh báo ngập cục bộ Phường 1")
        page.get_by_label("Lĩnh vực").select_option("flood")
        page.get_by_label("Nội dung cảnh báo").fill("Nước dâng cao tại các tuyến đường trũng.")
        # Saved without an area: the error says so, and goes once the area changes.
        page.get_by_role("button", name="Lưu bản nháp").click()
        page.wait_for_selector("#alert-area-error")
        # Our boundaries are drawn even though the tile server is unreachable; the agency's jurisdiction is
        # outlined and its wards are named on the map.
        page.wait_for_selector("#alert-map path.leaflet-interactive")
        page.wait_for_selector("#alert-map path.jurisdiction-outline")
        labels = page.locator("#alert-map .ward-label").all_text_contents()
        assert ward.name in labels and len(labels) == AdminUnit.objects.filter(parent__code="D703").count()
        page.wait_for_function("document.querySelectorAll('#pick-district option').length > 1")
        page.get_by_label("Quận, huyện").select_option(label="Thành phố Tây Ninh")
        page.wait_for_function("document.querySelectorAll('#pick-ward option').length > 1")
        page.get_by_label("Phường, xã").select_option(label=ward.name)
        page.get_by_role("button", name="Thêm đơn vị vào vùng").click()
        assert ward.name in page.inner_text("#area-parts")
        assert page.locator(".area-error").count() == 0
        page.get_by_role("button", name="Xem trước vùng và số người nhận").click()
        page.wait_for_selector("#preview-result.pin-status-ok")
        # A band in words, never the exact count.
        band = area.people_band(expected).label
        assert page.get_attribute("#preview-result", "data-people") == band
        assert page.inner_text("#preview-result").startswith(band)
        # The description defaults to the wards' names, computed from the area (it goes into the SMS).
        assert page.get_by_label("Mô tả vùng cảnh báo").input_value() == ward.name
        page.screenshot(path=str(output_dir / "alert-editor-desktop.png"), full_page=True)
        page.get_by_role("button", name="Lưu bản nháp").click()
        page.wait_for_url("**/canh-bao/quan-ly/*/")
        alert = Alert.objects.get(headline="Cảnh báo ngập cục bộ Phường 1")
        assert alert.status == Status.DRAFT and alert.parts.get().unit == ward
        page.get_by_role("button", name="Gửi duyệt").click()
        page.wait_for_selector(".message-success")
        assert Alert.objects.get(pk=alert.pk).status == Status.SUBMITTED
        assert page.get_by_role("button", name="Duyệt").count() == 0
        assert errors == []

        page = signed_in(browser, demo_site, leader, DESKTOP)
        page.goto(f"{demo_site}/canh-bao/quan-ly/?status=submitted")
        row = page.locator("tr", has_text=alert.headline)
        row.get_by_role("button", name="Duyệt").click()
        page.wait_for_selector(".message-success")
        assert Alert.objects.get(pk=alert.pk).status == Status.APPROVED
        page.screenshot(path=str(output_dir / "alert-staff-list-desktop.png"), full_page=True)
        page.goto(f"{demo_site}/canh-bao/quan-ly/{alert.pk}/")
        page.get_by_label("Lý do hủy").fill("Nước đã rút")
        page.get_by_role("button", name="Hủy cảnh báo").click()
        page.wait_for_selector(".message-success")
        assert Alert.objects.get(pk=alert.pk).status == Status.CANCELLED


def test_public_page_on_a_phone_and_the_report_form(demo_site: str, output_dir: Path) -> None:
    active = Alert.objects.get(status=Status.APPROVED, headline__startswith="Cảnh báo ngập lụt")
    with chromium() as browser:
        page = browser.new_page(viewport=PHONE)
        errors = page_errors(page)
        page.goto(f"{demo_site}/canh-bao/")
        assert page.locator("h1").inner_text() == "Thông tin cảnh báo"
        assert active.headline in page.inner_text("#alerts-in-force")
        # The draft and the expired demo warnings are not shown.
        assert "sạt lở" not in page.inner_text("main") and "nắng nóng" not in page.inner_text("main")
        page.wait_for_selector("#alert-map path.leaflet-interactive")
        assert page.is_visible("#push-toggle")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(output_dir / "alerts-public-phone.png"), full_page=True)
        page.get_by_role("link", name=active.headline).click()
        page.wait_for_url(f"**/canh-bao/{active.pk}/")
        page.wait_for_selector("#alert-map path.leaflet-interactive")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # A smaller warning inside the larger one: a click there finds it, first in the list at that point.
        officer = staff("canbo_canhbao", "ubnd-d703", Role.OFFICER)
        leader = staff("lanhdao_canhbao", "ubnd-d703", Role.LEADER)
        small = published(officer, leader, headline="Ngập cục bộ trong phường", area=[{"kind": "unit", "code": WARD}])
        desktop = browser.new_page(viewport=DESKTOP)
        desktop.goto(f"{demo_site}/canh-bao/")
        desktop.wait_for_function("document.querySelectorAll('.leaflet-alerts-pane path').length === 2")
        lng, lat = point_in(WARD)
        spot = desktop.evaluate("([lat, lng]) => alertMap.latLngToContainerPoint([lat, lng])", [lat, lng])
        box = desktop.locator("#alert-map").bounding_box()
        assert box is not None
        desktop.mouse.click(box["x"] + spot["x"], box["y"] + spot["y"])
        desktop.wait_for_selector(".alert-popup-list li")
        listed = desktop.locator(".alert-popup-list li").evaluate_all("items => items.map(li => li.dataset.alertId)")
        assert listed == [str(small.pk), str(active.pk)]
        desktop.screenshot(path=str(output_dir / "alerts-public-desktop.png"), full_page=True)
        desktop.close()

        # The report form.
        lng, lat = point_in(WARD)
        page.goto(f"{demo_site}/phan-anh/gui/")
        page.wait_for_selector("#report-map path.leaflet-interactive")
        page.evaluate(
            "([lat, lng]) => document.dispatchEvent(new CustomEvent('report:pin', {detail: L.latLng(lat, lng)}))",
            [lat, lng],
        )
        page.wait_for_selector("#pin-alerts:not([hidden])")
        assert active.headline in page.inner_text("#pin-alerts")
        assert errors == []
