"""Sign-up: an inactive account until the code sent to the phone is entered; pages and the real worker."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from accounts import services
from accounts.models import OneTimeCode, User
from notifications.models import Notification
from tests.accounts.conftest import PASSWORD, PHONE, code_in, last_code
from tests.notifications.test_worker import describe, run_worker, worker_env
from tests.servers import FakeSmsGateway, SmtpServer

REGISTER = "/tai-khoan/dang-ky/"
VERIFY = "/tai-khoan/xac-nhan/"
LOGIN = "/tai-khoan/dang-nhap/"


def register(**overrides: str) -> services.Target:
    values = {
        "full_name": "Trần Thị Bình",
        "phone": "0912 345 678",
        "email": "Binh.Tran@example.vn",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    }
    values.update(overrides)
    return services.user_register(ip="203.0.113.9", **values)


@pytest.mark.django_db
def test_registering_makes_an_inactive_account_and_sends_a_code() -> None:
    target = register()
    user = User.objects.get(phone=PHONE)
    assert target.address == PHONE
    assert not user.is_active and user.phone_verified_at is None
    assert user.get_full_name() == "Trần Thị Bình" and user.email == "binh.tran@example.vn"
    assert user.check_password(PASSWORD)
    sms = Notification.objects.get(recipient=PHONE)
    assert sms.channel == "sms" and "đăng ký" in sms.body

    services.otp_verify(target=target, purpose=services.Purpose.REGISTER, code=last_code(PHONE))

    user.refresh_from_db()
    assert user.is_active and user.phone_verified_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["0912345678", "912345678", "+84912345678"])
def test_one_number_is_one_account_however_typed(citizen: User, typed: str) -> None:
    # Same answer as for a new number, but the account is untouched and nothing is sent.
    target = register(phone=typed)
    assert target.address == PHONE
    assert User.objects.filter(phone=PHONE).count() == 1
    citizen.refresh_from_db()
    assert citizen.get_full_name() == "Nguyễn Văn An" and citizen.check_password(PASSWORD)
    assert not Notification.objects.exists()
    assert OneTimeCode.objects.get().sent is False


@pytest.mark.django_db
def test_registering_again_before_confirming_replaces_the_details() -> None:
    register(full_name="Người Khác", password="Mot-mat-khau-khac-9", password_confirm="Mot-mat-khau-khac-9")
    OneTimeCode.objects.update(created_at=OneTimeCode.objects.get().created_at.replace(year=2000))
    register()
    user = User.objects.get(phone=PHONE)
    assert user.get_full_name() == "Trần Thị Bình" and user.check_password(PASSWORD)
    assert Notification.objects.filter(recipient=PHONE).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"password_confirm": "khac-han-123"}, "password_confirm", "không khớp"),
        ({"password": "abc", "password_confirm": "abc"}, "password", "quá ngắn"),
        ({"password": "12345678901", "password_confirm": "12345678901"}, "password", "toàn"),
        ({"full_name": "  "}, "full_name", "họ và tên"),
        ({"phone": "12"}, "phone", "không hợp lệ"),
        ({"email": "binh@"}, "email", "không hợp lệ"),
    ],
)
def test_bad_details_are_named_and_nothing_is_stored(overrides: dict[str, str], field: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        register(**overrides)
    errors = caught.value.message_dict
    assert field in errors
    assert message.lower() in " ".join(errors[field]).lower()
    assert not User.objects.exists() and not Notification.objects.exists()


@pytest.mark.django_db
def test_an_email_another_account_holds_is_left_off(citizen: User) -> None:
    register(phone="0987 654 321", email="AN.NGUYEN@example.vn")
    assert User.objects.get(phone="+84987654321").email == ""


# --- Pages ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_register_page_has_labelled_fields(client: Client) -> None:
    html = client.get(REGISTER).content.decode()
    for label in ("Họ và tên", "Số điện thoại", "E-mail (không bắt buộc)", "Mật khẩu", "Nhập lại mật khẩu"):
        assert label in html
    assert 'autocomplete="new-password"' in html and 'inputmode="tel"' in html


@pytest.mark.django_db
def test_register_page_shows_errors_in_vietnamese(client: Client) -> None:
    response = client.post(REGISTER, {"full_name": "", "phone": "12", "password": "a", "password_confirm": "b"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Hãy nhập họ và tên." in html
    assert "Số điện thoại không hợp lệ" in html
    assert "Hai lần nhập mật khẩu không khớp." in html


@pytest.mark.django_db
def test_register_then_code_page_with_countdown_then_wrong_and_right_code(client: Client) -> None:
    response = client.post(
        REGISTER,
        {"full_name": "Trần Thị Bình", "phone": "912345678", "password": PASSWORD, "password_confirm": PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == VERIFY
    html = client.get(VERIFY).content.decode()
    assert "0912 345 678" in html
    assert 'autocomplete="one-time-code"' in html
    assert re.search(r'id="resend-button"[^>]*disabled', html)
    assert re.search(r'Bạn có thể yêu cầu mã mới sau <span class="otp-seconds">(5\d|60)</span> giây', html)

    # An early resend is refused by the server too.
    client.post(VERIFY, {"resend": "1"})
    assert Notification.objects.count() == 1

    response = client.post(VERIFY, {"code": "000000" if last_code(PHONE) != "000000" else "111111"})
    assert response.status_code == 400 and "Bạn còn 4 lần thử" in response.content.decode()

    response = client.post(VERIFY, {"code": last_code(PHONE)})
    assert response.status_code == 302 and response["Location"] == "/tai-khoan/ho-so/"
    user = User.objects.get(phone=PHONE)
    assert user.is_active and client.session["_auth_user_id"] == str(user.pk)
    assert "Tài khoản đã được kích hoạt" in client.get("/tai-khoan/ho-so/").content.decode()


@pytest.mark.django_db
def test_code_page_without_a_pending_code_sends_to_sign_in(client: Client) -> None:
    assert client.get(VERIFY)["Location"] == LOGIN


@pytest.mark.django_db
def test_sign_in_with_a_code_on_the_pages(client: Client, citizen: User) -> None:
    response = client.post("/tai-khoan/dang-nhap-bang-ma/", {"identifier": "0912 345 678"})
    assert response["Location"] == VERIFY
    response = client.post(VERIFY, {"code": last_code(PHONE)})
    assert response.status_code == 302 and response["Location"] == "/tai-khoan/phan-anh-cua-toi/"
    assert client.session["_auth_user_id"] == str(citizen.pk)


@pytest.mark.django_db
def test_sign_in_with_a_code_for_an_unknown_number_looks_the_same(client: Client) -> None:
    response = client.post("/tai-khoan/dang-nhap-bang-ma/", {"identifier": "0912 345 678"})
    assert response["Location"] == VERIFY
    assert "0912 345 678" in client.get(VERIFY).content.decode()
    assert not Notification.objects.exists()


# --- The whole way, with the real worker and the local SMS gateway ----------------------------


@pytest.mark.django_db(transaction=True)
def test_register_sms_verify_sign_in_through_the_pages(
    client: Client, sms_gateway: FakeSmsGateway, smtp_server: SmtpServer
) -> None:
    response = client.post(
        REGISTER,
        {"full_name": "Lê Văn Cường", "phone": "0912 345 678", "password": PASSWORD, "password_confirm": PASSWORD},
    )
    assert response.status_code == 302

    result = run_worker(env=worker_env(smtp_server, sms_gateway))
    assert result.returncode == 0, describe(result)
    [sms] = sms_gateway.wait_for(1)
    assert sms["to"] == PHONE

    response = client.post(VERIFY, {"code": code_in(sms["text"])})
    assert response.status_code == 302
    client.post("/tai-khoan/dang-xuat/")
    assert "_auth_user_id" not in client.session

    response = client.post(LOGIN, {"username": "912 345 678", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(phone=PHONE).pk)
