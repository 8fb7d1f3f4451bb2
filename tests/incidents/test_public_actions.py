"""Public actions on reports: hidden reports look unknown, supports are confirmed and throttled,
senders are not search keys, the reporter finds their report by code and one-time code, tokens expire."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import OneTimeCode, User
from agencies.models import Role
from incidents import services
from incidents.models import Report, ReportEvent, ReportStatus, ReportSupport
from notifications.models import Notification
from tests.accounts.conftest import last_code
from tests.factories import report_make, staff_make

pytestmark = pytest.mark.django_db

UNKNOWN = "209912319999"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
WARD_AGENCY = "ubnd-d25450"


@pytest.fixture
def leader(demo: None) -> User:
    return staff_make("lanhdao", WARD_AGENCY, Role.LEADER)


@pytest.fixture(autouse=True)
def _codes_at_once(settings: SettingsWrapper) -> None:
    # Several codes to one contact within a test: the resend pause is not what is tested here.
    settings.OTP_RESEND_SECONDS = 0
    # Throttle counts live in the cache table, which a test run with a live server may have left filled.
    cache.clear()


def _post(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


def _hide(report: Report, leader: User) -> None:
    services.report_set_public(report=report, actor=leader, public=False, reason="Có thông tin cá nhân")


# --- 3. Hidden reports answer like unknown codes -----------------------------------------------


def _answers(client: Client, code: str) -> list[tuple[str, int, str]]:
    """Every public request about one report: (what, status, body with the code blanked)."""
    requests: list[tuple[str, Callable[[], Any]]] = [
        ("api detail", lambda: client.get(f"/api/v1/reports/{code}/")),
        (
            "api support",
            lambda: _post(client, f"/api/v1/reports/{code}/support", {"name": "Lê Cường", "phone": "0901234567"}),
        ),
        ("api rate", lambda: _post(client, f"/api/v1/reports/{code}/rate", {"satisfied": True})),
        ("api reopen", lambda: _post(client, f"/api/v1/reports/{code}/reopen", {"reason": "Chưa xong"})),
        ("api lookup", lambda: _post(client, "/api/v1/reports/lookup", {"code": code, "phone": "0901234567"})),
        ("page detail", lambda: client.get(f"/phan-anh/{code}/")),
        ("page rate", lambda: client.post(f"/phan-anh/{code}/danh-gia/", {"satisfied": "1"})),
        ("page reopen", lambda: client.post(f"/phan-anh/{code}/mo-lai/", {"reason": "Chưa xong"})),
        ("page file", lambda: client.get(f"/phan-anh/{code}/tep/1/")),
        ("page thumbnail", lambda: client.get(f"/phan-anh/{code}/tep/1/anh-nho/")),
    ]
    answers = []
    for what, send in requests:
        response = send()
        # The CSRF token of a page's forms is masked afresh on every page; nothing else may differ.
        body = CSRF.sub("CSRF", response.content.decode().replace(code, "CODE"))
        answers.append((what, response.status_code, body))
    return answers


@pytest.mark.parametrize("closed", [False, True])
def test_every_public_action_on_a_hidden_report_answers_like_an_unknown_code(
    client: Client, leader: User, closed: bool
) -> None:
    report = report_make()
    if closed:
        services.report_answer(report=report, actor=leader, body="Đã xử lý.")
    _hide(report, leader)
    stored = (ReportSupport.objects.count(), ReportEvent.objects.count(), Notification.objects.count())
    codes = OneTimeCode.objects.count()
    assert _answers(client, report.code) == _answers(client, UNKNOWN)
    assert (ReportSupport.objects.count(), ReportEvent.objects.count(), Notification.objects.count()) == stored
    assert OneTimeCode.objects.count() == codes + 2  # the two look-ups, hidden and unknown alike, count the same


def test_supporters_of_a_report_hidden_later_are_not_sent_its_title(leader: User) -> None:
    report = report_make(title="Nhà ông Nguyễn Văn Bình số 5 lấn chiếm")
    services.report_support(report=report, name="Lê Cường", email="cuong@example.vn")
    services.report_support(report=report, name="Lê Cường", email="cuong@example.vn", otp=last_code("cuong@example.vn"))
    _hide(report, leader)
    services.report_answer(report=report, actor=leader, body="Đã xử lý.")
    assert not Notification.objects.filter(recipient="cuong@example.vn", body__contains="Bình").exists()


# --- 5. Supports: confirmed by a one-time code, throttled, one message per contact ---------------


def test_a_support_counts_only_once_its_contact_typed_the_code_sent_to_it(client: Client, demo: None) -> None:
    report = report_make()
    url = f"/api/v1/reports/{report.code}/support"
    asked = _post(client, url, {"name": "Lê Cường", "phone": "0901234567"})
    assert asked.status_code == 202, asked.content
    assert not ReportSupport.objects.exists()
    code = last_code("+84901234567")
    wrong = _post(
        client, url, {"name": "Lê Cường", "phone": "0901234567", "otp": "000000" if code != "000000" else "1"}
    )
    assert wrong.status_code == 400 and "otp" in wrong.json()["errors"]
    assert not ReportSupport.objects.exists()
    done = _post(client, url, {"name": "Lê Cường", "phone": "0901234567", "otp": code})
    assert done.status_code == 200, done.content
    assert done.json()["support_count"] == 1
    assert ReportSupport.objects.get().phone == "+84901234567"


def test_the_answer_is_the_same_whether_or_not_the_contact_already_follows(client: Client, demo: None) -> None:
    report = report_make()
    url = f"/api/v1/reports/{report.code}/support"
    _post(client, url, {"name": "Lê Cường", "phone": "0901234567"})
    _post(client, url, {"name": "Lê Cường", "phone": "0901234567", "otp": last_code("+84901234567")})
    follows = _post(client, url, {"name": "Lê Cường", "phone": "0901234567"})
    new = _post(client, url, {"name": "Trần Dũng", "phone": "0907654321"})
    assert (follows.status_code, follows.json()) == (new.status_code, new.json())
    again = _post(client, url, {"name": "Lê Cường", "phone": "0901234567", "otp": last_code("+84901234567")})
    assert again.status_code == 200 and again.json()["support_count"] == 1


def test_supports_are_throttled_per_address(client: Client, demo: None, settings: SettingsWrapper) -> None:
    settings.SUPPORT_RATE = "2/hour"
    report = report_make()
    url = f"/api/v1/reports/{report.code}/support"
    for phone in ("0901234561", "0901234562"):
        assert _post(client, url, {"name": "Lê Cường", "phone": phone}).status_code == 202
    refused = _post(client, url, {"name": "Lê Cường", "phone": "0901234563"})
    assert refused.status_code == 429
    assert "Retry-After" in refused and "thử lại" in refused.json()["detail"]
    assert not Notification.objects.filter(recipient="+84901234563").exists()


def test_one_message_per_contact_per_report_event(leader: User) -> None:
    report = report_make(email="an@example.vn")
    for name, email in (("Lê Cường", "cuong@example.vn"), ("Cường Lê", "Cuong@Example.vn"), ("An", "an@example.vn")):
        services.report_support(report=report, name=name, email=email)
        services.report_support(report=report, name=name, email=email, otp=last_code(email.lower()))
    services.report_answer(report=report, actor=leader, body="Đã xử lý.")
    completed = Notification.objects.filter(body__contains="đã có kết quả")
    assert completed.filter(recipient="cuong@example.vn").count() == 1
    # The reporter, who also followed, gets their own message (with their link) and only that one.
    assert completed.filter(recipient="an@example.vn").count() == 1
    assert "?t=" in completed.get(recipient="an@example.vn").body


def test_a_signed_in_person_follows_with_their_own_confirmed_phone_at_once(client: Client, demo: None) -> None:
    report = report_make()
    user = User.objects.create_user(username="cuong", password="Mật-khẩu-dài-123", phone="+84901234567")
    User.objects.filter(pk=user.pk).update(phone_verified_at=report.created_at)
    client.force_login(user)
    done = _post(client, f"/api/v1/reports/{report.code}/support", {"name": "Lê Cường", "phone": "0901234567"})
    assert done.status_code == 200 and done.json()["support_count"] == 1
    assert not OneTimeCode.objects.exists()


# --- 6. Sender phone and name are not public search keys --------------------------------------


def test_only_staff_search_the_api_by_sender(client: Client, leader: User) -> None:
    # A sender who chose to show their name: a confidential one is never found by a sender search.
    report = report_make(phone="0912345678", name="Nguyễn Văn An", confidential=False)
    for params in ("sender_phone=0912345678", "sender_name=Nguy%E1%BB%85n+V%C4%83n+An"):
        refused = client.get(f"/api/v1/reports/?{params}")
        assert refused.status_code == 400
        body = refused.json()
        assert body["detail"] and set(body["errors"]) == {params.split("=")[0]}
    client.force_login(leader)
    found = client.get("/api/v1/reports/?sender_phone=0912345678").json()
    assert [f["properties"]["code"] for f in found["results"]["features"]] == [report.code]


def test_the_list_page_ignores_sender_search_for_others(client: Client, leader: User) -> None:
    mine = report_make(phone="0912345678", confidential=False)
    other = report_make(phone="0987654321", confidential=False)
    page = client.get("/phan-anh/?sender_phone=0987654321")
    assert page.status_code == 200
    text = page.content.decode()
    assert mine.code in text and other.code in text
    assert 'name="sender_phone"' not in text
    assert "Chỉ cán bộ" in text
    client.force_login(leader)
    text = client.get("/phan-anh/?sender_phone=0987654321").content.decode()
    assert mine.code not in text and other.code in text and 'name="sender_phone"' in text


def test_the_reporter_finds_their_report_by_code_and_a_code_sent_to_their_phone(client: Client, leader: User) -> None:
    report = report_make(phone="0912345678")
    _hide(report, leader)
    asked = _post(client, "/api/v1/reports/lookup", {"code": report.code, "phone": "0912345678"})
    wrong_phone = _post(client, "/api/v1/reports/lookup", {"code": report.code, "phone": "0901111111"})
    assert (asked.status_code, asked.json()) == (wrong_phone.status_code, wrong_phone.json()) == (202, asked.json())
    assert not Notification.objects.filter(recipient="+84901111111").exists()
    code = last_code("+84912345678")
    stranger = _post(client, "/api/v1/reports/lookup", {"code": report.code, "phone": "0901111111", "otp": code})
    assert stranger.status_code == 400
    found = _post(client, "/api/v1/reports/lookup", {"code": report.code, "phone": "0912345678", "otp": code})
    assert found.status_code == 200, found.content
    body = found.json()
    assert body["report"]["code"] == report.code and body["report"]["reporter"]["reporter_phone"] == "+84912345678"
    assert services.reporter_token_valid(report, body["reporter_token"])


def test_the_lookup_page_leads_the_reporter_to_their_report(client: Client, leader: User) -> None:
    report = report_make(phone="0912345678")
    _hide(report, leader)
    form = client.get("/phan-anh/tra-cuu/")
    text = form.content.decode()
    assert form.status_code == 200 and 'for="id_code"' in text and 'for="id_phone"' in text
    asked = client.post("/phan-anh/tra-cuu/", {"code": report.code, "phone": "0912345678"})
    assert asked.status_code == 303
    assert asked["Location"] == "/phan-anh/tra-cuu/ma/"
    step = client.get(asked["Location"]).content.decode()
    assert 'for="id_code"' in step and 'autocomplete="one-time-code"' in step
    wrong = client.post("/phan-anh/tra-cuu/ma/", {"code": "12"})
    assert wrong.status_code == 400
    done = client.post("/phan-anh/tra-cuu/ma/", {"code": last_code("+84912345678")})
    assert done.status_code == 303 and f"/phan-anh/{report.code}/?t=" in done["Location"]
    assert client.get(done["Location"]).status_code == 200


# --- 12c. Reporter tokens expire; a report is rated once ---------------------------------------


def test_reporter_tokens_expire(leader: User, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.REPORTER_TOKEN_DAYS = 30
    report = report_make()
    services.report_answer(report=report, actor=leader, body="Đã xử lý.")
    now = time.time()
    monkeypatch.setattr("django.core.signing.time.time", lambda: now - timedelta(days=31).total_seconds())
    old = services.reporter_token(report)
    monkeypatch.setattr("django.core.signing.time.time", lambda: now - timedelta(days=29).total_seconds())
    recent = services.reporter_token(report)
    monkeypatch.undo()
    assert not services.reporter_token_valid(report, old)
    assert services.reporter_token_valid(report, recent)


def test_an_answer_is_rated_once(leader: User) -> None:
    report = report_make()
    token = services.reporter_token(report)
    services.report_answer(report=report, actor=leader, body="Đã xử lý.")
    services.report_rate(report=report, satisfied=False, token=token)
    with pytest.raises(ValidationError, match="đã đánh giá"):
        services.report_rate(report=report, satisfied=True, token=token)
    report.refresh_from_db()
    assert report.satisfied is False
    services.report_reopen(report=report, reason="Cây vẫn còn.", token=token)
    services.report_answer(report=report, actor=leader, body="Đã dọn lần hai.")
    services.report_rate(report=report, satisfied=True, token=token)
    report.refresh_from_db()
    assert report.satisfied is True and report.status == ReportStatus.COMPLETED
