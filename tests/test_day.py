"""A day of the service in headless Chromium, on a 390×844 phone and a 1366×900 desk, with the demo's
people and a screenshot of each step in test-output/day-<width>-<nn>-<step>.png.

A citizen drops a pin, attaches a photo and gets a code; looks the report up with the code SMS'd to
their phone; an officer of the ward forwards it to the city, where an officer answers it with a
document; the city's leader approves; the citizen opens the answer's e-mail link, reads it and rates it.
The province's leader draws a warning (a circle) and approves it; a visitor pinning a place inside it
sees it. The 1022 operator files an urgent report for a caller, and the on-duty officer is told by SMS
and e-mail. Messages go out the way the worker sends them (notification_deliver) to a real SMTP server
and a fake SMS gateway on loopback.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Browser, Page, ViewportSize
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import User
from agencies.models import Agency, StaffRole
from alerts.models import Alert, Status
from incidents.models import Report, ReportStatus
from notifications.models import Notification
from notifications.services import notification_deliver
from tests.accounts.conftest import code_in
from tests.browser import chromium, page_errors, sign_in, wait_until_map_settles
from tests.conftest import point_in
from tests.incidents.test_report_form_browser import click_on_map, open_form, solve_captcha
from tests.servers import FakeSmsGateway, SmtpServer, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WIDTHS: dict[str, ViewportSize] = {"390": {"width": 390, "height": 844}, "1366": {"width": 1366, "height": 900}}
WARD = "D25450"  # Phường 1, Thành phố Tây Ninh (demo): its agency receives reports pinned there
DEMO_PASSWORD = "demo-12345"
# One citizen per width: a phone may ask for a look-up code only so often.
PHONES = {"390": ("0912 345 678", "+84912345678"), "1366": ("0912 345 679", "+84912345679")}
EMAIL = "an.nguyen@example.vn"
ON_DUTY = ("canbo.phuong1", "+84901111111", "truc.phuong1@example.vn")


def deliver() -> list[Notification]:
    """What the worker does with the outbox: send every queued message, once."""
    queued = list(Notification.objects.filter(status=Notification.Status.QUEUED).order_by("id"))
    for notification in queued:
        notification_deliver(notification_id=notification.pk)
    return queued


def signed_in(browser: Browser, site: str, viewport: ViewportSize, username: str) -> Page:
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(f"{site}/tai-khoan/dang-nhap/")
    sign_in(page, username, DEMO_PASSWORD)
    page.wait_for_url(lambda url: "/dang-nhap/" not in url)
    return page


def photo(path: Path) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (120, 90, 40)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def test_a_day_of_the_service(
    demo_site: str,
    output_dir: Path,
    tmp_path: Path,
    smtp_server: SmtpServer,
    sms_gateway: FakeSmsGateway,
    settings: SettingsWrapper,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = demo_site  # the links in the messages lead to this server
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_jobs")
        (last_job,) = cursor.fetchone()
    username, duty_phone, duty_email = ON_DUTY
    User.objects.filter(username=username).update(phone=duty_phone, email=duty_email)
    StaffRole.objects.filter(user__username=username).update(on_duty=True)
    city = Agency.objects.get(code="ubnd-d703")
    picture = photo(tmp_path / "cay-do.jpg")
    document = tmp_path / "cong-van-tra-loi.pdf"
    document.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    lng, lat = point_in(WARD)
    try:
        with chromium() as browser:
            for width, viewport in WIDTHS.items():
                _day(
                    browser,
                    demo_site,
                    width,
                    viewport,
                    output_dir,
                    picture,
                    document,
                    city,
                    lng,
                    lat,
                    smtp_server,
                    sms_gateway,
                )
    finally:
        with connection.cursor() as cursor:
            # Warning deliveries and message jobs this test queued (the flush leaves procrastinate's tables).
            cursor.execute("DELETE FROM procrastinate_jobs WHERE id > %s", [last_job])


def _day(
    browser: Browser,
    site: str,
    width: str,
    viewport: ViewportSize,
    output_dir: Path,
    picture: Path,
    document: Path,
    city: Agency,
    lng: float,
    lat: float,
    smtp_server: SmtpServer,
    sms_gateway: FakeSmsGateway,
) -> None:
    shots = iter(range(1, 100))

    def shot(page: Page, step: str) -> None:
        page.screenshot(path=str(output_dir / f"day-{width}-{next(shots):02d}-{step}.png"), full_page=True)

    def fits(page: Page) -> None:
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], (width, page.url)

    title = f"Cây đổ chắn vỉa hè ({width})"
    phone, e164 = PHONES[width]

    # 1. A citizen drops a pin, attaches a photo and gets a code.
    citizen = browser.new_context(viewport=viewport).new_page()
    errors = page_errors(citizen)
    open_form(citizen, site)
    click_on_map(citizen, lng, lat)
    citizen.wait_for_function("document.getElementById('id_lat').value !== ''")
    citizen.select_option("#id_category", "cay-xanh")
    citizen.get_by_label("Tiêu đề").fill(title)
    citizen.get_by_label("Nội dung").fill("Cây lớn đổ chắn hết vỉa hè, người đi bộ phải xuống lòng đường.")
    citizen.get_by_label("Tệp đính kèm").set_input_files(picture)
    # The "me too" box has fields of the same names: the sender's are the form's own.
    citizen.fill("#id_reporter_name", "Nguyễn Văn An")
    citizen.fill("#id_reporter_phone", phone)
    citizen.fill("#id_reporter_email", EMAIL)
    solve_captcha(citizen)
    shot(citizen, "citizen-form")
    citizen.locator("#submit-report").click()
    citizen.wait_for_url(re.compile(r"/phan-anh/\d{12}/"))
    code = re.search(r"/phan-anh/(\d{12})/", citizen.url).group(1)  # type: ignore[union-attr]
    assert code in citizen.inner_text("main")
    report = Report.objects.get(code=code)
    assert report.title == title and report.attachments.count() == 1
    assert report.agency is not None and report.agency.code == "ubnd-d25450"  # the ward's
    fits(citizen)
    shot(citizen, "citizen-code")

    # 2. They look it up later: the code, their phone, and the code SMS'd to that phone.
    citizen.goto(f"{site}/phan-anh/tra-cuu/")
    citizen.get_by_label("Mã phản ánh").fill(code)
    citizen.get_by_label("Số điện thoại đã dùng khi gửi").fill(phone)
    citizen.get_by_label("Số điện thoại đã dùng khi gửi").press("Enter")
    citizen.wait_for_url("**/tra-cuu/ma/")
    deliver()
    sms = [m for m in sms_gateway.messages if m["to"] == e164][-1]
    citizen.get_by_label("Mã xác nhận").fill(code_in(sms["text"]))
    shot(citizen, "citizen-lookup")
    citizen.get_by_label("Mã xác nhận").press("Enter")
    citizen.wait_for_url(re.compile(rf"/phan-anh/{code}/\?t="))
    assert title in citizen.inner_text("main")
    fits(citizen)
    shot(citizen, "citizen-found")

    # 3. The ward's officer forwards it to the city; a city officer starts and answers it with a document.
    ward_officer = signed_in(browser, site, viewport, "canbo.phuong1")
    ward_officer.goto(f"{site}/can-bo/phan-anh/{code}/")
    ward_officer.locator("#reassign summary").click()
    ward_officer.get_by_label("Chuyển đến cơ quan").select_option(label=city.name)
    ward_officer.locator("#reassign").get_by_label("Ghi chú").fill("Cây xanh đường phố do thành phố quản lý.")
    shot(ward_officer, "officer-forward")
    ward_officer.locator("#reassign").get_by_role("button", name="Chuyển").click()
    ward_officer.wait_for_load_state()
    wait_until(lambda: Report.objects.get(pk=report.pk).agency_id == city.pk, 10, "the report forwarded")
    ward_officer.context.close()

    officer = signed_in(browser, site, viewport, "canbo.tptn")
    officer.goto(f"{site}/can-bo/phan-anh/")
    officer.get_by_role("link", name=title).click()
    officer.wait_for_url(f"**/can-bo/phan-anh/{code}/")
    officer.get_by_role("button", name="Bắt đầu xử lý").click()
    officer.locator(".message-success").wait_for()
    officer.get_by_label("Nội dung trả lời").fill("Đội cây xanh đã cắt và dọn cây sáng nay; công văn trả lời kèm theo.")
    officer.get_by_label("Tệp kèm kết quả").set_input_files(document)
    shot(officer, "officer-answer")
    officer.get_by_role("button", name="Gửi kết quả").click()
    officer.locator(".message-success", has_text="Đã lưu kết quả trả lời").wait_for()
    fits(officer)
    officer.context.close()

    # 4. The city's leader approves the answer.
    leader = signed_in(browser, site, viewport, "lanhdao.tptn_pheduyet")
    leader.goto(f"{site}/can-bo/phan-anh/{code}/")
    leader.get_by_role("button", name="Duyệt và công bố").click()
    leader.locator(".message-success").wait_for()
    shot(leader, "leader-approve")
    leader.context.close()
    report.refresh_from_db()
    assert report.status == ReportStatus.COMPLETED

    # 5. The citizen opens the answer's e-mail, reads it and rates it.
    deliver()
    mail = next(
        m
        for m in reversed(smtp_server.messages)
        if EMAIL in m.rcpt_tos and code in m.body + m.subject and "#danh-gia" in m.body
    )
    link = re.search(r"https?://\S+#danh-gia", mail.body).group(0)  # type: ignore[union-attr]
    citizen.goto(link)
    assert "Đội cây xanh đã cắt và dọn cây" in citizen.inner_text("main")
    shot(citizen, "citizen-answer")
    citizen.get_by_role("button", name="Hài lòng", exact=True).click()
    citizen.locator(".message-success").wait_for()
    fits(citizen)
    shot(citizen, "citizen-rated")
    assert Report.objects.get(pk=report.pk).satisfied is True
    assert errors == [], errors
    citizen.context.close()

    # 6. The province's leader draws a warning (a circle around the ward) and approves it.
    headline = f"Cảnh báo ngập sâu quanh Phường 1 ({width})"
    chief = signed_in(browser, site, viewport, "lanhdao_pheduyet")
    chief.goto(f"{site}/canh-bao/quan-ly/tao/")
    chief.get_by_label("Tiêu đề cảnh báo").fill(headline)
    chief.get_by_label("Lĩnh vực").select_option("flood")
    chief.get_by_label("Nội dung cảnh báo").fill("Mưa lớn, nước ngập sâu 30–50 cm tại các tuyến đường trũng.")
    # In force from now (the form offers the next quarter hour).
    chief.get_by_label("Bắt đầu").fill(f"{timezone.localtime() - timedelta(minutes=1):%Y-%m-%dT%H:%M}")
    chief.wait_for_selector("#alert-map path.leaflet-interactive")
    chief.get_by_text("Nhập hình tròn bằng tọa độ", exact=True).click()
    chief.get_by_label("Vĩ độ tâm").fill(f"{lat:.6f}")
    chief.get_by_label("Kinh độ tâm").fill(f"{lng:.6f}")
    chief.get_by_label("Bán kính (mét)").fill("1500")
    chief.get_by_role("button", name="Thêm hình tròn").click()
    shot(chief, "leader-warning-draw")
    chief.get_by_role("button", name="Lưu bản nháp").click()
    chief.wait_for_url("**/canh-bao/quan-ly/*/")
    if chief.get_by_role("button", name="Gửi duyệt").count():
        chief.get_by_role("button", name="Gửi duyệt").click()
        chief.locator(".message-success").wait_for()
    chief.get_by_role("button", name="Duyệt", exact=True).click()
    chief.locator(".message-success").wait_for()
    assert Alert.objects.get(headline=headline).status == Status.APPROVED
    shot(chief, "leader-warning-approved")
    chief.context.close()

    # 7. A visitor pinning a place inside it sees it.
    visitor = browser.new_context(viewport=viewport).new_page()
    open_form(visitor, site)
    click_on_map(visitor, lng, lat)
    visitor.wait_for_selector("#pin-alerts:not([hidden])")
    assert headline in visitor.inner_text("#pin-alerts")
    shot(visitor, "visitor-warning")
    visitor.goto(f"{site}/canh-bao/")
    assert headline in visitor.inner_text("main")
    fits(visitor)
    shot(visitor, "visitor-warnings-page")
    visitor.context.close()

    # 8. The 1022 operator files an urgent report for a caller; the on-duty officer is told at once.
    caller_title = f"Cây đổ đè dây điện ({width})"
    operator = signed_in(browser, site, viewport, "tongdai1022")
    operator.wait_for_url("**/can-bo/tong-dai/")
    operator.get_by_role("link", name="Nhập phản ánh của người gọi").click()
    operator.wait_for_url("**/phan-anh/gui/**")
    operator.wait_for_selector("#map-note:not([hidden])")
    _settle(operator)
    click_on_map(operator, lng, lat)
    operator.wait_for_function("document.getElementById('id_lat').value !== ''")
    operator.select_option("#id_category", "cay-xanh")
    operator.get_by_label("Tiêu đề").fill(caller_title)
    operator.get_by_label("Nội dung").fill("Người gọi báo cây lớn đổ đè lên dây điện, dây võng xuống đường.")
    operator.fill("#id_reporter_name", "Lê Thị Gọi")
    operator.fill("#id_reporter_phone", "0911 222 333")
    operator.get_by_label("Khẩn: cần xử lý ngay").check()
    shot(operator, "operator-urgent")
    operator.locator("#submit-report").click()
    wait_until(lambda: Report.objects.filter(title=caller_title).exists(), 15, "the caller's report")
    operator.wait_for_load_state()
    shot(operator, "operator-filed")
    operator.context.close()
    urgent = Report.objects.get(title=caller_title)
    assert urgent.urgent
    deliver()
    assert any(urgent.code in m.subject and ON_DUTY[2] in m.rcpt_tos for m in smtp_server.messages)
    assert any(m["to"] == ON_DUTY[1] and urgent.code in m["text"] for m in sms_gateway.messages)


def _settle(page: Page) -> None:
    page.wait_for_function("document.querySelectorAll('#report-map .leaflet-overlay-pane path').length >= 7")
    wait_until_map_settles(page)
