"""The 1022 desk in headless Chromium, on a 390 px phone and on a desk's screen: the operator signs in,
lands on the desk, looks a caller up, opens the entry form and sets who is on duty."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import ViewportSize

from accounts.models import User
from agencies.models import Agency, Role, StaffRole
from incidents import services
from tests.browser import DESKTOP, chromium, sign_in
from tests.conftest import point_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PHONE_390: ViewportSize = {"width": 390, "height": 844}


def test_the_operator_works_the_desk_on_a_phone_and_a_desktop(demo_site: str, output_dir: Path) -> None:
    operator = User.objects.create_user(username="tongdai_1022", password=PASSWORD, first_name="Tổng đài viên")
    StaffRole.objects.create(user=operator, agency=Agency.objects.get(code="ubnd-d72"), role=Role.OPERATOR)
    lng, lat = point_in("D25450")
    earlier = services.report_create(
        data=services.ReportInput(
            kind="feedback",
            category="cay-xanh",
            title="Cây đổ chắn đường Cách Mạng Tháng Tám",
            description="Người gọi báo cây lớn đổ chắn đường.",
            lng=lng,
            lat=lat,
            reporter=services.ReporterInput(name="Lê Thị Gọi", phone="0911222333"),
            urgent=True,
        ),
        sender=services.sender_for(user=operator, channel="hotline"),
    )

    errors: list[str] = []
    with chromium() as browser:
        for name, viewport in (("phone", PHONE_390), ("desktop", DESKTOP)):
            page = browser.new_page(viewport=viewport)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{demo_site}/tai-khoan/dang-nhap/")
            sign_in(page, "tongdai_1022", PASSWORD)
            page.wait_for_url("**/can-bo/tong-dai/")
            assert page.locator("h1").inner_text() == "Bàn tổng đài 1022"
            # The operator's own report, to answer a caller who rings back, with its deadline.
            entered = page.locator("#da-nhap")
            assert earlier.code in entered.inner_text() and f"{earlier.deadline:%d/%m/%Y}" in entered.inner_text()
            assert entered.locator(".tag-urgent").is_visible()

            page.get_by_label("Số điện thoại người gọi").fill("0911 222 333")
            page.get_by_role("button", name="Tra cứu").click()
            page.wait_for_selector("#tra-cuu .worklist")
            assert "1 phản ánh gửi từ số 0911 222 333." in page.inner_text("#tra-cuu")
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], name
            page.screenshot(path=str(output_dir / f"hotline-desk-{name}.png"), full_page=True)

            page.get_by_role("link", name="Nhập phản ánh của người gọi").click()
            page.wait_for_url(lambda url: "/phan-anh/gui/?next=/can-bo/tong-dai/" in url)
            assert not page.get_by_label("Khẩn: cần xử lý ngay").is_checked()
            assert not page.get_by_label("Người gọi đồng ý công khai phản ánh").is_checked()
            assert page.locator("#place-q").is_visible()  # address search on the form's map
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], name

            # Who is on duty, set from the desk's link: one box per officer and leader.
            page.goto(f"{demo_site}/can-bo/tong-dai/")
            page.get_by_role("link", name="Cán bộ trực").click()
            page.wait_for_url("**/can-bo/tong-dai/truc/")
            boxes = page.locator('input[name="on_duty"]')
            assert boxes.count() > 0, name
            boxes.first.check()
            page.get_by_role("button", name="Lưu").click()
            page.wait_for_selector(".message-success")
            assert boxes.first.is_checked(), name
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], name
            page.screenshot(path=str(output_dir / f"hotline-duty-{name}.png"), full_page=True)
            assert errors == [], name
            page.context.clear_cookies()
            page.close()
