"""The report form in headless Chromium, phone and desktop, with the tile server out of reach."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from captcha.models import CaptchaStore
from PIL import Image
from playwright.sync_api import Page
from pytest_django.fixtures import Settings as SettingsWrapper

from boundaries.models import AdminUnit
from incidents import services
from incidents.models import Report, ReportSupport
from tests.accounts.conftest import last_code
from tests.browser import PHONE, at_each_width, chromium, page_errors, small_tap_targets, wait_until_map_settles
from tests.conftest import point_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WARD = "D25450"  # Phường 1, Thành phố Tây Ninh (demo)


def close(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    page.close()


def open_form(page: Page, url: str) -> None:
    page.goto(f"{url}/phan-anh/gui/")
    # Province and districts are drawn as vector paths (wards from zoom 11), and the map has fitted the province.
    page.wait_for_function("document.querySelectorAll('#report-map .leaflet-overlay-pane path').length >= 7")
    page.wait_for_selector("#map-note:not([hidden])")
    wait_until_map_settles(page)


def zoom_to(page: Page, lng: float, lat: float, zoom: int) -> None:
    """What a person does with the zoom buttons and dragging, in one step."""
    page.evaluate(
        "([lat, lng, zoom]) => ReportForm.map.setView([lat, lng], zoom, { animate: false })", [lat, lng, zoom]
    )
    wait_until_map_settles(page)


def click_on_map(page: Page, lng: float, lat: float) -> None:
    x, y = page.evaluate(
        "([lat, lng]) => { const p = ReportForm.map.latLngToContainerPoint([lat, lng]); return [p.x, p.y]; }",
        [lat, lng],
    )
    box = page.locator("#report-map").bounding_box()
    assert box is not None and 0 < x < box["width"] and 0 < y < box["height"], (x, y, box)
    page.locator("#report-map").click(position={"x": x, "y": y})


def solve_captcha(page: Page) -> None:
    key = page.input_value("input[name=captcha_0]")
    page.fill("#id_captcha_1", CaptchaStore.objects.get(hashkey=key).response)


def fill_sender(page: Page) -> None:
    page.fill("#id_reporter_name", "Nguyễn Văn An")
    page.fill("#id_reporter_phone", "912 345 678")
    page.fill("#id_reporter_email", "an@example.vn")


def test_a_person_pins_a_ward_fills_in_the_form_and_gets_a_code(demo_site: str, output_dir: Path) -> None:
    lng, lat = point_in(WARD)
    ward = AdminUnit.objects.get(code=WARD)
    with chromium() as browser:
        for name, page in at_each_width(browser):
            open_form(page, demo_site)
            assert "Không tải được bản đồ nền" in page.inner_text("#map-note")

            click_on_map(page, lng, lat)
            page.wait_for_function(
                "name => document.getElementById('pin-status').textContent.includes(name)", arg=ward.name
            )
            status = page.inner_text("#pin-status")
            assert f"{ward.name}, Thành phố Tây Ninh" in status
            assert page.locator("#report-map .leaflet-marker-icon").count() == 1
            assert small_tap_targets(page) == []
            assert page.input_value("#id_lat") and page.input_value("#id_lng")
            assert abs(float(page.input_value("#id_lat")) - lat) < 0.01
            # The selects follow the pin.
            assert page.input_value("#id_district") == "D703"
            page.wait_for_function("code => document.getElementById('id_ward').value === code", arg=WARD)

            page.select_option("#id_category", "cay-xanh")
            page.fill("#id_title", f"Cây đổ chắn đường ({name})")
            page.fill("#id_description", "Sau cơn mưa tối qua, một cây lớn đổ chắn ngang đường.")
            page.fill("#id_address", "Trước số 12 đường 30/4")
            page.fill("#id_occurred_at", "2024-05-01T07:30")
            fill_sender(page)
            solve_captcha(page)
            page.screenshot(path=str(output_dir / f"report-form-{name}.png"), full_page=True)

            page.click("#submit-report")
            page.wait_for_url(re.compile(r"/phan-anh/\d{12}/\?moi=1$"))
            code = re.search(r"/phan-anh/(\d{12})/", page.url).group(1)  # type: ignore[union-attr]
            box = page.inner_text("#sent-box")
            assert f"Mã phản ánh của bạn là {code}" in box
            report = Report.objects.get(code=code)
            assert report.ward_id == ward.pk
            assert report.title == f"Cây đổ chắn đường ({name})"
            assert f"{report.deadline:%d/%m/%Y}" in box
            # The detail map shows the pin without tiles.
            page.wait_for_selector("#report-map .leaflet-marker-icon")
            page.wait_for_selector("#report-map .leaflet-overlay-pane path")
            # Then the map zooms to the ward (Leaflet marks the map while it animates).
            page.wait_for_timeout(300)
            page.wait_for_selector("#report-map.leaflet-zoom-anim", state="detached")
            page.screenshot(path=str(output_dir / f"report-detail-{name}.png"), full_page=True)
    assert Report.objects.count() == 2


def test_open_reports_nearby_are_offered_and_the_person_can_follow_one(demo_site: str, output_dir: Path) -> None:
    lng, lat = point_in(WARD)
    existing = services.report_create(
        data=services.ReportInput(
            kind="feedback",
            category="chieu-sang",
            title="Đèn đường tắt cả dãy",
            description="Cả dãy đèn không sáng.",
            lng=lng + 0.0003,
            lat=lat,
            reporter=services.ReporterInput(name="Trần Thị Bình", phone="0987654321"),
        )
    )
    with chromium() as browser:
        for name, page in at_each_width(browser):
            open_form(page, demo_site)
            zoom_to(page, lng, lat, 16)
            click_on_map(page, lng, lat)
            page.select_option("#id_category", "chieu-sang")
            page.wait_for_selector("#nearby:not([hidden])")
            assert "Đã có người phản ánh vấn đề này?" in page.inner_text("#nearby")
            item = page.locator(".nearby-item", has_text="Đèn đường tắt cả dãy")
            assert "Đã chuyển xử lý" in item.inner_text()
            # Another category: no duplicates offered.
            page.select_option("#id_category", "giao-thong")
            page.wait_for_selector("#nearby", state="hidden")
            page.select_option("#id_category", "chieu-sang")
            page.wait_for_selector("#nearby:not([hidden])")
            page.screenshot(path=str(output_dir / f"report-nearby-{name}.png"), full_page=True)

            # Without contact details the box asks for them first.
            item.get_by_role("button", name="Tôi cũng gặp vấn đề này").click()
            page.wait_for_selector("#support-contact:not([hidden])")
            assert page.evaluate("document.activeElement.id") == "support-name"
            page.fill("#support-name", "Lê Văn Cường")
            ending = "67" if name == "phone" else "68"
            page.fill("#support-phone", "090 123 45" + ending)
            page.click("#support-send")
            # Nothing goes to that phone until the code sent to it is typed back.
            page.wait_for_selector("#support-otp-field:not([hidden])")
            assert page.evaluate("document.activeElement.id") == "support-otp"
            page.fill("#support-otp", last_code("+849012345" + ending))
            page.click("#support-send")
            page.wait_for_selector("#support-done:not([hidden])")
            assert existing.code in page.inner_text("#support-done")
            # What was typed in the box also fills in the sender's part of the form.
            assert page.input_value("#id_reporter_name") == "Lê Văn Cường"
            page.screenshot(path=str(output_dir / f"report-nearby-done-{name}.png"), full_page=True)
    assert ReportSupport.objects.filter(report=existing).count() == 2
    assert Report.objects.count() == 1
    existing.refresh_from_db()
    assert existing.support_count == 2


def test_keyboard_only_place_search_and_ward_without_a_pin(demo_site: str, output_dir: Path) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport=PHONE)
        errors = page_errors(page)
        open_form(page, demo_site)
        page.focus("#place-q")
        page.keyboard.type("phuong hiep ninh")
        page.wait_for_selector("#place-results:not([hidden]) [role=option]")
        page.keyboard.press("ArrowDown")
        assert page.get_attribute("#place-q", "aria-activedescendant") == "place-option-0"
        page.keyboard.press("Enter")
        page.wait_for_function("document.getElementById('id_ward').value !== ''")
        ward = AdminUnit.objects.get(code=page.input_value("#id_ward"))
        assert ward.name == "Phường Hiệp Ninh"
        assert page.input_value("#id_district") == "D703"
        assert "Đã chọn Phường Hiệp Ninh" in page.inner_text("#pin-status")
        assert page.input_value("#id_lat") == ""
        # The rest by keyboard too: the category select and the text fields.
        page.focus("#id_category")
        page.keyboard.press("ArrowDown")
        assert page.input_value("#id_category") != ""
        page.fill("#id_title", "Rác thải ven đường")
        page.fill("#id_description", "Rác đổ bừa bãi nhiều ngày.")
        fill_sender(page)
        solve_captcha(page)
        page.focus("#submit-report")
        page.screenshot(path=str(output_dir / "report-form-keyboard-phone.png"), full_page=True)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/phan-anh/\d{12}/\?moi=1$"))
        report = Report.objects.get()
        assert report.ward_id == ward.pk
        assert errors == []
        close(page)


def test_the_list_page_at_both_sizes(demo_site: str, output_dir: Path) -> None:
    lng, lat = point_in(WARD)
    for number in range(3):
        services.report_create(
            data=services.ReportInput(
                kind="feedback",
                category="giao-thong",
                title=f"Ổ gà lớn trên đường 30/4 đoạn số {number}",
                description="Ổ gà sâu khoảng 20 cm, xe máy dễ té khi trời mưa. " * 3,
                lng=lng,
                lat=lat,
                reporter=services.ReporterInput(name="Trần Thị Bình", phone="0987654321"),
            )
        )
    with chromium() as browser:
        for name, page in at_each_width(browser):
            page.goto(f"{demo_site}/phan-anh/?q=o+ga&date_from=31/02/2024")
            assert "Ngày không hợp lệ" in page.inner_text("main")
            assert page.locator(".report-item").count() == 3
            page.select_option("#id_district", "D703")
            page.screenshot(path=str(output_dir / f"report-list-{name}.png"), full_page=True)
            # Wards of other districts are not offered once a district is chosen.
            assert page.locator("#id_ward optgroup").count() == 1


def test_errors_are_listed_at_the_top_and_lead_to_their_fields(demo_site: str, output_dir: Path) -> None:
    with chromium() as browser:
        for name, page in at_each_width(browser):
            open_form(page, demo_site)
            page.fill("#id_title", "<b>Tiêu đề</b>")
            page.fill("#id_reporter_phone", "12")
            page.fill("#id_captcha_1", "sai")
            page.click("#submit-report")
            page.wait_for_selector("#error-summary")
            # The summary takes the focus, so screen readers read it first.
            assert page.evaluate("document.activeElement.id") == "error-summary"
            summary = page.inner_text("#error-summary")
            for message in ("Hãy chọn chuyên mục", "Hãy đặt ghim trên bản đồ", "Hãy nhập nội dung", "mã xác nhận"):
                assert message.lower() in summary.lower(), message
            assert page.input_value("#id_title") == "<b>Tiêu đề</b>"
            page.screenshot(path=str(output_dir / f"report-form-errors-{name}.png"), full_page=False)
            page.click("#error-summary a[href='#id_description']")
            assert page.evaluate("location.hash") == "#id_description"
            assert page.evaluate("document.activeElement.id") == "id_description"
    assert Report.objects.count() == 0


def test_a_refused_form_keeps_the_chosen_photo_pin_and_text(
    demo_site: str, settings: SettingsWrapper, tmp_path: Path, output_dir: Path
) -> None:
    photo = tmp_path / "cay-do.jpg"
    Image.new("RGB", (640, 480), (30, 120, 40)).save(photo, "JPEG")
    lng, lat = point_in(WARD)
    with chromium() as browser:
        page = browser.new_page(viewport=PHONE)
        errors = page_errors(page)
        open_form(page, demo_site)
        click_on_map(page, lng, lat)
        page.wait_for_function("code => document.getElementById('id_ward').value === code", arg=WARD)
        page.select_option("#id_category", "cay-xanh")
        page.fill("#id_title", "Cây đổ chắn đường")
        page.fill("#id_description", "Sau cơn mưa tối qua, một cây lớn đổ chắn ngang đường.")
        fill_sender(page)
        page.set_input_files("#id_attachments", str(photo))
        solve_captcha(page)
        pin = (page.input_value("#id_lat"), page.input_value("#id_lng"))
        # A page that is not reloaded keeps this mark.
        page.evaluate("window.notReloaded = true")

        # This device has sent too many: refused with the wait, in the page.
        settings.INTAKE_ANON_RATE = "0/hour"
        page.click("#submit-report")
        page.wait_for_function("document.getElementById('error-summary')?.textContent.includes('thiết bị này')")
        assert "60 phút" in page.inner_text("#error-summary")
        assert page.evaluate("document.activeElement.id") == "error-summary"
        assert page.get_attribute("#error-summary", "role") == "alert"
        assert "chọn lại tệp" not in page.inner_text("#error-summary")
        assert page.evaluate("window.notReloaded") is True
        assert page.evaluate("document.getElementById('id_attachments').files.length") == 1
        assert (page.input_value("#id_lat"), page.input_value("#id_lng")) == pin
        assert page.input_value("#id_title") == "Cây đổ chắn đường"
        assert not page.is_disabled("#submit-report")
        page.screenshot(path=str(output_dir / "report-form-refused-kept.png"), full_page=False)

        # Later, a wrong captcha: the field's own message too, still nothing lost.
        settings.INTAKE_ANON_RATE = "30/hour"
        page.fill("#id_captcha_1", "sai")
        page.click("#submit-report")
        page.wait_for_function(
            "document.getElementById('error-summary')?.textContent.toLowerCase().includes('mã xác nhận')"
        )
        assert "thiết bị này" not in page.inner_text("#error-summary")
        assert "mã xác nhận" in page.locator(".field:has(#id_captcha_1) .field-error").inner_text().lower()
        assert page.evaluate("document.activeElement.id") == "error-summary"
        assert page.evaluate("document.getElementById('id_attachments').files.length") == 1

        # Corrected (a new captcha came with the answer), sent without choosing the photo again.
        solve_captcha(page)
        page.click("#submit-report")
        page.wait_for_url(re.compile(r"/phan-anh/\d{12}/\?moi=1$"))
        code = re.search(r"/phan-anh/(\d{12})/", page.url).group(1)  # type: ignore[union-attr]
        assert f"Mã phản ánh của bạn là {code}" in page.inner_text("#sent-box")
        report = Report.objects.get(code=code)
        assert (report.title, report.attachments.count()) == ("Cây đổ chắn đường", 1)
        assert errors == []
        close(page)
    assert Report.objects.count() == 1
