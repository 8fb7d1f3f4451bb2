"""The account API: codes, sign-up, sign-in, reset, profile, places and my reports, as the mobile app uses them."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import OneTimeCode, SavedPlace, User
from incidents.models import Answer, Report
from tests.accounts.conftest import PASSWORD, PHONE, code_in, last_code
from tests.conftest import point_in
from tests.factories import report_make
from tests.notifications.test_worker import describe, run_worker, worker_env
from tests.servers import FakeSmsGateway, SmtpServer

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Một-mật-khẩu-mới-456"


def post(client: Client, path: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(f"/api/v1/{path}", json.dumps(body), content_type="application/json", headers=headers)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


def age_codes(seconds: int = 61) -> None:
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(seconds=seconds))


# --- POST /auth/otp/ ---------------------------------------------------------------------


@pytest.mark.parametrize("purpose", ["login", "reset", "register"])
def test_the_answer_is_the_same_with_or_without_an_account(client: Client, citizen: User, purpose: str) -> None:
    known = post(client, "auth/otp/", {"phone": "0912345678", "purpose": purpose})
    unknown = post(client, "auth/otp/", {"phone": "0987000111", "purpose": purpose})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert known.json()["expires_in"] == 60 and "mã xác nhận" in known.json()["detail"]

    again_known = post(client, "auth/otp/", {"phone": "912345678", "purpose": purpose})
    again_unknown = post(client, "auth/otp/", {"phone": "987000111", "purpose": purpose})
    assert again_known.status_code == again_unknown.status_code == 429
    assert again_known.json().keys() == again_unknown.json().keys() == {"detail", "errors"}
    assert "Hãy thử lại sau" in again_known.json()["detail"]
    assert 55 <= int(again_known["Retry-After"]) <= 60 and 55 <= int(again_unknown["Retry-After"]) <= 60


def test_too_many_codes_from_one_address_get_429(client: Client, settings: SettingsWrapper) -> None:
    settings.OTP_MAX_PER_IP_PER_HOUR = 2
    for number in ("0912000001", "0912000002"):
        assert post(client, "auth/otp/", {"phone": number, "purpose": "login"}).status_code == 202
    response = post(client, "auth/otp/", {"phone": "0912000003", "purpose": "login"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 3000
    assert "phút" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "12345", "purpose": "login"}, "phone"),
        ({"phone": "0912345678", "purpose": "hack"}, "purpose"),
        ({"purpose": "login"}, "phone"),
        ({"email": "not-an-address", "purpose": "reset"}, "email"),
    ],
)
def test_bad_requests_get_400_by_field(client: Client, body: dict[str, str], field: str) -> None:
    response = post(client, "auth/otp/", body)
    assert response.status_code == 400
    assert field in response.json()["errors"] and response.json()["detail"]
    assert not OneTimeCode.objects.exists()


# --- Register, verify, sign in ------------------------------------------------------------


def test_register_verify_then_use_the_token(client: Client) -> None:
    response = post(
        client,
        "auth/register/",
        {"full_name": "Phạm Thị Dung", "phone": "+84 912 345 678", "password": PASSWORD, "password_confirm": PASSWORD},
    )
    assert response.status_code == 202, response.content
    assert post(client, "auth/login/", {"phone": "0912345678", "password": PASSWORD}).status_code == 400

    wrong = post(client, "auth/verify/", {"phone": "0912345678", "code": "12"})
    assert wrong.status_code == 400 and "code" in wrong.json()["errors"]
    response = post(client, "auth/verify/", {"phone": "0912345678", "code": last_code(PHONE)})
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    me = client.get("/api/v1/me/", headers=auth(token)).json()
    assert me["full_name"] == "Phạm Thị Dung" and me["phone"] == PHONE and me["phone_verified"] is True
    assert me["phone_display"] == "0912 345 678"


def test_register_with_errors_answers_by_field(client: Client) -> None:
    response = post(
        client, "auth/register/", {"full_name": "", "phone": "1", "password": "12345678", "password_confirm": "x"}
    )
    assert response.status_code == 400
    assert {"full_name", "phone", "password", "password_confirm"} <= response.json()["errors"].keys()


@pytest.mark.parametrize(
    "body",
    [
        {"phone": "0912345678"},
        {"phone": "912345678"},
        {"phone": "+84912345678"},
        {"email": "AN.NGUYEN@example.vn"},
        {"username": "84912345678"},
    ],
)
def test_sign_in_with_a_password(client: Client, citizen: User, body: dict[str, str]) -> None:
    response = post(client, "auth/login/", {**body, "password": PASSWORD})
    assert response.status_code == 200, response.content
    assert client.get("/api/v1/me/", headers=auth(response.json()["token"])).json()["username"] == citizen.username


@pytest.mark.parametrize("phone", ["0912345678", "0987000111"])
def test_a_wrong_password_says_nothing_about_the_account(client: Client, citizen: User, phone: str) -> None:
    response = post(client, "auth/login/", {"phone": phone, "password": "sai-mat-khau"})
    assert response.status_code == 400 and response.json() == {
        "detail": "Thông tin đăng nhập không đúng.",
        "errors": {},
    }


def test_sign_in_with_a_code(client: Client, citizen: User) -> None:
    assert post(client, "auth/otp/", {"phone": "0912345678", "purpose": "login"}).status_code == 202
    response = post(client, "auth/login/", {"phone": "912345678", "code": last_code(PHONE)})
    assert response.status_code == 200
    token = response.json()["token"]
    # Same token on the next sign-in; sign-out revokes it.
    assert post(client, "auth/login/", {"phone": PHONE, "password": PASSWORD}).json()["token"] == token
    assert post(client, "auth/logout/", {}, **auth(token)).status_code == 204
    assert client.get("/api/v1/me/", headers=auth(token)).status_code == 401


def test_login_needs_one_identifier_and_one_secret(client: Client) -> None:
    assert post(client, "auth/login/", {"password": "x"}).status_code == 400
    assert post(client, "auth/login/", {"phone": "0912345678"}).status_code == 400
    assert post(client, "auth/login/", {"phone": "0912345678", "password": "x", "code": "123456"}).status_code == 400


def test_me_needs_signing_in(client: Client) -> None:
    assert client.get("/api/v1/me/").status_code == 401
    assert client.get("/api/v1/me/reports/").status_code == 401
    assert client.get("/api/v1/me/places/").status_code == 401


# --- Password reset ---------------------------------------------------------------------


def test_reset_ends_every_session_and_token(citizen: User) -> None:
    browser, app, other = Client(), Client(), Client()
    browser.force_login(citizen)
    token = post(app, "auth/login/", {"phone": PHONE, "password": PASSWORD}).json()["token"]
    assert browser.get("/tai-khoan/ho-so/").status_code == 200

    assert post(other, "auth/otp/", {"email": "an.nguyen@example.vn", "purpose": "reset"}).status_code == 202
    code = last_code("an.nguyen@example.vn")
    weak = post(
        other,
        "auth/password/reset/",
        {"email": "an.nguyen@example.vn", "code": code, "password": "123", "password_confirm": "123"},
    )
    assert weak.status_code == 400 and "password" in weak.json()["errors"]
    response = post(
        other,
        "auth/password/reset/",
        {"email": "an.nguyen@example.vn", "code": code, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert response.status_code == 200, response.content

    assert client_signed_out(browser)
    assert app.get("/api/v1/me/", headers=auth(token)).status_code == 401
    assert post(other, "auth/login/", {"phone": PHONE, "password": PASSWORD}).status_code == 400
    assert post(other, "auth/login/", {"phone": PHONE, "password": NEW_PASSWORD}).status_code == 200
    # The code was spent.
    again = post(
        other,
        "auth/password/reset/",
        {"email": "an.nguyen@example.vn", "code": code, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert again.status_code == 400


def client_signed_out(client: Client) -> bool:
    response = client.get("/tai-khoan/ho-so/")
    return response.status_code == 302 and response["Location"].startswith("/tai-khoan/dang-nhap/")


def test_reset_pages(client: Client, citizen: User) -> None:
    response = client.post("/tai-khoan/quen-mat-khau/", {"identifier": "0912 345 678"})
    assert response["Location"] == "/tai-khoan/dat-lai-mat-khau/"
    page = client.get("/tai-khoan/dat-lai-mat-khau/").content.decode()
    assert "Mật khẩu mới" in page and "Gửi lại mã" in page
    response = client.post(
        "/tai-khoan/dat-lai-mat-khau/",
        {"code": last_code(PHONE), "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == "/tai-khoan/dang-nhap/"
    citizen.refresh_from_db()
    assert citizen.check_password(NEW_PASSWORD)


# --- Profile and places -------------------------------------------------------------------


def test_profile_and_notification_choices(client: Client, citizen: User) -> None:
    token = post(client, "auth/login/", {"phone": PHONE, "password": PASSWORD}).json()["token"]
    response = client.patch(
        "/api/v1/me/",
        json.dumps({"full_name": " Nguyễn  Văn   An ", "notify_alerts": True, "notify_by_sms": False}),
        content_type="application/json",
        headers=auth(token),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["full_name"] == "Nguyễn Văn An" and body["notify_alerts"] is True and body["notify_by_sms"] is False
    assert body["email_verified"] is True
    response = client.patch(
        "/api/v1/me/", json.dumps({"email": "moi@example.vn"}), content_type="application/json", headers=auth(token)
    )
    # The address changes once the code sent to it comes back (tests/accounts/test_email_change.py).
    assert response.json()["email_pending"] == "moi@example.vn" and response.json()["email_verified"] is True


def test_saved_places(client: Client, citizen: User, demo: None) -> None:
    token = post(client, "auth/login/", {"phone": PHONE, "password": PASSWORD}).json()["token"]
    headers = auth(token)
    ward = post(client, "me/places/", {"label": "Nhà", "ward": "D25450"}, **headers)
    assert ward.status_code == 201, ward.content
    assert ward.json()["ward"] == {"code": "D25450", "name": "Phường 1"} and ward.json()["location"] is None
    lng, lat = point_in("D25450")
    point = post(client, "me/places/", {"label": "Cơ quan", "lat": lat, "lng": lng}, **headers)
    assert point.status_code == 201, point.content
    assert point.json()["location"]["lat"] == pytest.approx(lat)

    bad: list[tuple[dict[str, Any], str]] = [
        ({"label": "Xa", "lat": 21.03, "lng": 105.85}, "location"),
        ({"label": "Sai", "lat": 123, "lng": 105}, "location"),
        ({"label": "Không", "ward": "KHONGCO"}, "ward"),
        ({"label": "Cả hai", "ward": "D25450", "lat": lat, "lng": lng}, "location"),
        ({"label": "", "ward": "D25450"}, "label"),
    ]
    for body, field in bad:
        response = post(client, "me/places/", body, **headers)
        assert response.status_code == 400 and field in response.json()["errors"], (body, response.content)

    assert [p["label"] for p in client.get("/api/v1/me/places/", headers=headers).json()] == ["Nhà", "Cơ quan"]
    stranger = User.objects.create_user(username="nguoila", password=PASSWORD)
    theirs = SavedPlace.objects.create(
        user=stranger, label="Nhà", ward=SavedPlace.objects.get(user=citizen, label="Nhà").ward
    )
    assert client.delete(f"/api/v1/me/places/{theirs.pk}/", headers=headers).status_code == 404
    assert client.delete(f"/api/v1/me/places/{ward.json()['id']}/", headers=headers).status_code == 204
    assert SavedPlace.objects.filter(user=citizen).count() == 1


# --- My reports ---------------------------------------------------------------------------


def _report_by(user: User, title: str) -> Report:
    """Sent in the app by a signed-in citizen, who gives no contact details: the account is enough."""
    return report_make(user=user, channel="app", title=title, name="", phone="")


def test_my_reports_are_mine_only_with_status_and_published_answers(client: Client, citizen: User, demo: None) -> None:
    mine = _report_by(citizen, "Cây đổ trước nhà tôi")
    Answer.objects.create(report=mine, body="Đã dọn cây.", agency=mine.agency, published_at=timezone.now())
    Answer.objects.create(report=mine, body="Bản nháp chưa duyệt.", agency=mine.agency)
    # Sent without signing in, from the number the account has proven: theirs too.
    earlier = report_make(title="Gửi trước khi có tài khoản", phone="0912 345 678")
    stranger = User.objects.create_user(username="khac", password=PASSWORD, phone="+84987654321", first_name="Lê Khác")
    _report_by(stranger, "Của người khác")
    report_make(title="Ẩn danh số khác", phone="0987 000 111")

    token = post(client, "auth/login/", {"phone": PHONE, "password": PASSWORD}).json()["token"]
    body = client.get("/api/v1/me/reports/", headers=auth(token)).json()
    assert body["count"] == 2
    by_code = {item["code"]: item for item in body["results"]}
    assert set(by_code) == {mine.code, earlier.code}
    item = by_code[mine.code]
    assert item["status"] == mine.status and item["status_display"]
    assert [a["body"] for a in item["answers"]] == ["Đã dọn cây."]
    assert item["url"] == f"/phan-anh/{mine.code}/"

    # Until the phone is proven, only reports sent while signed in count.
    User.objects.filter(pk=citizen.pk).update(phone_verified_at=None)
    assert client.get("/api/v1/me/reports/", headers=auth(token)).json()["count"] == 1

    client.force_login(citizen)
    page = client.get("/tai-khoan/phan-anh-cua-toi/").content.decode()
    assert "Cây đổ trước nhà tôi" in page and "Đã dọn cây." in page and "Bản nháp chưa duyệt." not in page
    assert "Của người khác" not in page


def test_a_report_sent_with_a_token_is_linked(client: Client, citizen: User, demo: None) -> None:
    token = post(client, "auth/login/", {"phone": PHONE, "password": PASSWORD}).json()["token"]
    lng, lat = point_in("D25450")
    payload = {
        "kind": "feedback",
        "category": "cay-xanh",
        "title": "Đèn đường hỏng",
        "description": "Đèn đường trước số 5 hỏng đã một tuần.",
        "location": {"type": "Point", "coordinates": [lng, lat]},
        "reporter": {},
    }
    response = post(client, "reports/", payload, **auth(token))
    assert response.status_code == 201, response.content
    report = Report.objects.get(code=response.json()["code"])
    assert report.user == citizen and report.reporter_phone == PHONE


def test_the_schema_lists_the_account_api(client: Client) -> None:
    paths = client.get("/api/schema/", headers={"Accept": "application/json"}).json()["paths"]
    for path in (
        "/api/v1/auth/otp/",
        "/api/v1/auth/register/",
        "/api/v1/auth/verify/",
        "/api/v1/auth/login/",
        "/api/v1/auth/logout/",
        "/api/v1/auth/password/reset/",
        "/api/v1/me/",
        "/api/v1/me/places/",
        "/api/v1/me/places/{place_id}/",
        "/api/v1/me/reports/",
    ):
        assert path in paths, path
    otp = paths["/api/v1/auth/otp/"]["post"]
    assert {"202", "400", "429"} <= otp["responses"].keys()


# --- E-mail codes through the real worker and SMTP server -----------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_email_code_arrives_by_smtp_and_signs_in(
    client: Client, citizen: User, smtp_server: SmtpServer, sms_gateway: FakeSmsGateway
) -> None:
    assert post(client, "auth/otp/", {"email": "An.Nguyen@example.vn", "purpose": "login"}).status_code == 202
    result = run_worker(env=worker_env(smtp_server, sms_gateway))
    assert result.returncode == 0, describe(result)
    [mail] = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["an.nguyen@example.vn"] and "Mã xác nhận" in mail.subject
    response = post(client, "auth/login/", {"email": "an.nguyen@example.vn", "code": code_in(mail.body)})
    assert response.status_code == 200, response.content
    assert sms_gateway.messages == []
