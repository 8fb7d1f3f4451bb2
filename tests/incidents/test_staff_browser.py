"""An officer's morning in headless Chromium: sign in on a phone, open a report, start and answer it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from accounts.models import User
from agencies.models import Agency, Role, StaffRole
from incidents import services
from incidents.models import AnswerTemplate, Category, Report, ReportStatus
from tests.browser import DESKTOP, PHONE, chromium, sign_in
from tests.factories import report_make

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WARD = "D25450"  # Phường 1, Thành phố Tây Ninh (demo)
PASSWORD = "Mật-khẩu-dài-123"


def new_report(title: str) -> Report:
    return report_make(
        ward=WARD,
        title=title,
        description="Cây dầu lớn đổ sau cơn mưa chiều qua, chắn hết một làn đường, xe máy phải đi vòng.",
        address="Trước số 45 đường Cách Mạng Tháng Tám",
        email="an@example.vn",
    )


def test_an_officer_signs_in_on_a_phone_starts_and_answers_a_report(demo_site: str, output_dir: Path) -> None:
    officer = User.objects.create_user(
        username="canbo_p1", password=PASSWORD, phone="+84987654321", first_name="Trần Thị", last_name="Bình"
    )
    StaffRole.objects.create(user=officer, agency=Agency.objects.get(code="ubnd-d25450"), role=Role.OFFICER)
    AnswerTemplate.objects.create(
        category=Category.objects.get(code="cay-xanh"),
        title="Đã dọn cây đổ",
        body="UBND phường đã phối hợp đội cây xanh cắt và dọn cây đổ; đường đã thông xe.",
    )
    report = new_report("Cây đổ chắn đường Cách Mạng Tháng Tám")
    new_report("Cành cây gãy treo lơ lửng trên vỉa hè")

    with chromium() as browser:
        page = browser.new_page(viewport=PHONE)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        page.goto(f"{demo_site}/can-bo/phan-anh/")
        assert "/tai-khoan/dang-nhap/" in page.url
        page.screenshot(path=str(output_dir / "staff-login-phone.png"), full_page=True)
        sign_in(page, "0987 654 321", PASSWORD)
        page.wait_for_url("**/can-bo/phan-anh/")
        assert page.locator("h1").inner_text() == "Phản ánh cần xử lý"
        # Phone width: every report is a card, nothing scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(output_dir / "staff-list-phone.png"), full_page=True)

        page.get_by_role("link", name=report.title).click()
        page.wait_for_url(f"**/can-bo/phan-anh/{report.code}/")
        page.wait_for_selector("#report-map .leaflet-marker-icon")
        page.get_by_role("button", name="Bắt đầu xử lý").click()
        page.wait_for_selector(".message-success")
        assert "Đã bắt đầu xử lý" in page.inner_text(".messages")
        # The message is where the keyboard is, so a screen reader reads it.
        assert page.evaluate("document.activeElement.classList.contains('messages')")

        page.screenshot(path=str(output_dir / "staff-answer-form-phone.png"), full_page=True)
        page.select_option("#answer-template", label="Đã dọn cây đổ")
        page.get_by_role("button", name="Chèn mẫu").click()
        body = page.locator("#answer-body")
        assert body.input_value().startswith("UBND phường đã phối hợp")
        assert page.evaluate("document.activeElement.id") == "answer-body"
        page.keyboard.press("End")
        page.keyboard.type(" Cảm ơn anh đã phản ánh.")
        page.get_by_role("button", name="Gửi kết quả").click()
        # The page before had a message too: wait for the new one.
        page.locator(".message-success", has_text="Đã lưu kết quả trả lời").wait_for()
        assert "chờ lãnh đạo duyệt" in page.inner_text(".messages")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.wait_for_selector("#map-note:not([hidden])")
        page.screenshot(path=str(output_dir / "staff-detail-phone.png"), full_page=True)

        page.set_viewport_size(DESKTOP)
        page.reload()
        page.wait_for_selector("#report-map .leaflet-marker-icon")
        page.screenshot(path=str(output_dir / "staff-detail-desktop.png"), full_page=True)
        assert errors == []
        page.close()

    report.refresh_from_db()
    assert report.status == ReportStatus.AWAITING_APPROVAL
    answer = report.answers.get()
    assert answer.body.endswith("Cảm ơn anh đã phản ánh.") and answer.author == officer


def test_a_leader_on_a_desktop_approves_from_the_awaiting_tab(demo_site: str, output_dir: Path) -> None:
    agency = Agency.objects.get(code="ubnd-d25450")
    officer = User.objects.create_user(username="canbo_p1", password=PASSWORD, first_name="Bình")
    leader = User.objects.create_user(username="p1_pheduyet", password=PASSWORD, first_name="Lãnh đạo Phường 1")
    StaffRole.objects.create(user=officer, agency=agency, role=Role.OFFICER)
    StaffRole.objects.create(user=leader, agency=agency, role=Role.LEADER)
    waiting = new_report("Cây đổ chắn đường Cách Mạng Tháng Tám")
    late = new_report('Đèn đường tắt cả tuần <script>alert("x")</script>')
    Report.objects.filter(pk=late.pk).update(deadline=late.deadline - timedelta(days=20))
    services.report_start(report=waiting, actor=officer)
    services.report_answer(report=waiting, actor=officer, body="Đã dọn cây; đường đã thông.")

    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
        page.goto(f"{demo_site}/tai-khoan/dang-nhap/")
        page.get_by_label("Tên đăng nhập, số điện thoại hoặc e-mail").fill("p1_pheduyet")
        page.get_by_label("Mật khẩu").fill("sai")
        page.keyboard.press("Enter")
        page.wait_for_selector(".error-summary")
        assert "Thông tin đăng nhập không đúng" in page.inner_text(".error-summary")
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url("**/can-bo/phan-anh/")
        assert "quá hạn" in page.inner_text(".row-overdue")
        page.screenshot(path=str(output_dir / "staff-list-desktop.png"), full_page=True)

        page.get_by_role("link", name="Chờ duyệt").click()
        page.wait_for_url("**/can-bo/phan-anh/?tab=cho-duyet")
        assert page.locator("tbody tr").count() == 1
        page.get_by_role("link", name=waiting.title).click()
        # Returning without a reason: the page says why, and the keyboard is on the message.
        page.get_by_role("button", name="Trả lại để sửa").click()
        page.wait_for_selector("#error-summary")
        assert page.evaluate("document.activeElement.id") == "error-summary"
        assert "Hãy nhập lý do trả lại." in page.inner_text("#error-summary")
        page.screenshot(path=str(output_dir / "staff-error-desktop.png"), full_page=True)
        page.get_by_role("button", name="Duyệt và công bố").click()
        page.locator(".message-success", has_text="Đã duyệt và công bố").wait_for()
        assert "Hoàn thành" in page.inner_text(".status-line")
        assert errors == []
        page.close()

    waiting.refresh_from_db()
    assert waiting.status == ReportStatus.COMPLETED
