"""Sign-up and the code page in headless Chromium at phone width: countdown, resend, then the profile."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from accounts.models import User
from notifications.models import Notification
from tests.accounts.conftest import PASSWORD, PHONE, last_code
from tests.browser import DESKTOP, chromium, sign_in
from tests.browser import PHONE as PHONE_SIZE

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.mark.usefixtures("plain_static")
def test_register_and_confirm_on_a_phone(live_server: LiveServer, settings: SettingsWrapper) -> None:
    # A short wait before resending, so the countdown runs out within the test.
    settings.OTP_RESEND_SECONDS = 3
    with chromium() as browser:
        page = browser.new_page(viewport=PHONE_SIZE)
        page.goto(f"{live_server.url}/tai-khoan/dang-ky/")
        page.get_by_label("Họ và tên").fill("Võ Thị Giang")
        page.get_by_label("Số điện thoại").fill("0912 345 678")
        page.locator("#id_password").fill(PASSWORD)
        page.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng ký và nhận mã xác nhận").click()

        page.wait_for_url(re.compile(r"/tai-khoan/xac-nhan/$"))
        expect(page.get_by_text("0912 345 678")).to_be_visible()
        countdown = page.locator("#otp-countdown")
        resend = page.get_by_role("button", name="Gửi lại mã")
        expect(countdown).to_be_visible()
        expect(countdown).to_contain_text("Bạn có thể yêu cầu mã mới sau")
        expect(resend).to_be_disabled()
        # Nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_SIZE["width"]

        # The countdown ends, the button comes on, and a new code goes out.
        expect(resend).to_be_enabled(timeout=10_000)
        expect(countdown).to_be_hidden()
        resend.click()
        page.wait_for_load_state()
        expect(page.get_by_text("mã xác nhận đã được gửi")).to_be_visible()
        expect(page.get_by_role("button", name="Gửi lại mã")).to_be_disabled()
        assert Notification.objects.filter(recipient=PHONE).count() == 2

        page.get_by_label("Mã xác nhận (6 chữ số)").fill("00000" if last_code(PHONE) != "000000" else "111111")
        page.get_by_role("button", name="Xác nhận và kích hoạt tài khoản").click()
        expect(page.get_by_role("alert")).to_contain_text("Mã xác nhận không đúng")

        page.get_by_label("Mã xác nhận (6 chữ số)").fill(last_code(PHONE))
        page.get_by_role("button", name="Xác nhận và kích hoạt tài khoản").click()
        page.wait_for_url(re.compile(r"/tai-khoan/ho-so/$"))
        expect(page.get_by_text("Tài khoản đã được kích hoạt")).to_be_visible()
        page.locator("summary.menu-button").click()  # on a phone the header's links wait behind the menu button
        expect(page.get_by_role("link", name="Phản ánh của tôi", exact=True)).to_be_visible()
        assert User.objects.get(phone=PHONE).is_active
        page.close()


def test_profile_places_map_on_desktop(demo_site: str) -> None:
    user = User.objects.create_user(username="giang", password=PASSWORD, phone=PHONE, first_name="Võ Thị Giang")
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{demo_site}/tai-khoan/dang-nhap/")
        sign_in(page, "0912345678", PASSWORD)
        page.goto(f"{demo_site}/tai-khoan/ho-so/")
        # Our outlines (province and districts; wards from zoom 11) are drawn even with the tile server out of reach.
        page.wait_for_function("document.querySelectorAll('#place-map .leaflet-overlay-pane path').length >= 7")
        page.get_by_label("Tên gọi").fill("Cơ quan")
        page.locator("#place-map").click()
        assert not errors, errors
        expect(page.get_by_label("Vĩ độ")).not_to_have_value("")
        page.get_by_role("button", name="Lưu nơi này").click()
        expect(page.get_by_text("Đã lưu nơi “Cơ quan”")).to_be_visible()
        place = user.saved_places.get()
        assert place.location is not None and place.ward is None
        page.close()
