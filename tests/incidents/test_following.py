"""Following a public report: by account or by a confirmed contact, its public updates once per contact,
never the reporter's contact, stopped by the link in every message; "my reports" lists what one follows."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import User
from incidents import services
from incidents.models import Report, ReportFollower, ReportSupport
from notifications.models import Notification
from tests.accounts.conftest import last_code
from tests.factories import PASSWORD, report_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(demo_once: None, db: None) -> None:
    """The demo loaded once for this module (tests.conftest.demo_once); each test runs in its own savepoint."""


def _report() -> Report:
    return report_make(name="Nguyễn Văn Bình", phone="0912345678", email="binh@example.vn")


def _messages_to(address: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=address).exclude(body__contains="Mã xác nhận").order_by("id"))


def _follow_by_email(report: Report, email: str) -> None:
    assert services.report_follow(report=report, email=email) is None
    services.report_follow(report=report, email=email, otp=last_code(email.lower()))


def _citizen(**fields: Any) -> User:
    return User.objects.create_user(username="cuong", password=PASSWORD, **fields)


def test_a_confirmed_email_hears_each_public_update_once_and_never_the_reporters_contact(leader: User) -> None:
    report = _report()
    _follow_by_email(report, "Cuong@Example.vn")
    # The same person also follows with their account, whose confirmed e-mail is that address.
    services.report_follow(report=report, user=_citizen(email="cuong@example.vn", email_verified_at=timezone.now()))
    assert ReportFollower.objects.filter(report=report).count() == 2
    services.report_start(report=report, actor=leader)
    services.report_answer(report=report, actor=leader, body="Đã cắt cây, thông đường.")
    started, answered = _messages_to("cuong@example.vn")
    assert "Bắt đầu xử lý" in started.body and report.code in started.subject
    assert "Đã cắt cây, thông đường." in answered.body
    for message in (started, answered):
        # No reporter's name or contact, nor their link to rate and reopen.
        for private in ("Bình", "0912345678", "912345678", "binh@example.vn", f"{report.code}/?t="):
            assert private not in message.body
        assert re.search(rf"/phan-anh/{report.code}/bo-theo-doi/\?t=\S+", message.body)
    # The reporter has their own message only (with their link), not a follower's as well.
    assert [(m.dedupe_key or "").split(":")[2] for m in _messages_to("binh@example.vn")] == ["received", "completed"]


def test_an_unconfirmed_contact_hears_nothing(leader: User) -> None:
    report = _report()
    assert services.report_follow(report=report, phone="0901234567") is None
    with pytest.raises(ValidationError) as wrong:
        services.report_follow(report=report, phone="0901234567", otp="12345x")
    assert "otp" in wrong.value.message_dict
    services.report_answer(report=report, actor=leader, body="Đã xử lý.")
    assert not ReportFollower.objects.exists()
    assert _messages_to("+84901234567") == []


def test_an_account_follows_at_once_hears_on_its_confirmed_contacts_and_finds_it_in_my_reports(
    client: Client, leader: User
) -> None:
    report = _report()
    other = report_make(title="Đèn đường hỏng")
    user = _citizen(email="cuong@example.vn", phone="+84901234567", email_verified_at=timezone.now())
    client.force_login(user)
    answer = client.post(f"/phan-anh/{report.code}/theo-doi/", {"action": "follow", "contact": ""})
    assert answer.status_code == 303 and answer["Location"].endswith(f"/phan-anh/{report.code}/#theo-doi")
    assert ReportFollower.objects.get().user == user
    services.report_answer(report=report, actor=leader, body="Đã xử lý.")
    assert len(_messages_to("cuong@example.vn")) == 1
    assert _messages_to("+84901234567") == []  # the phone is not confirmed
    mine = client.get("/tai-khoan/phan-anh-cua-toi/").content.decode()
    assert report.code in mine and "Bạn theo dõi phản ánh này" in mine and other.code not in mine


def test_me_too_from_the_public_page_by_an_account_lists_the_report_as_supported(client: Client, demo: None) -> None:
    report = _report()
    client.force_login(_citizen())
    answer = client.post(f"/phan-anh/{report.code}/theo-doi/", {"action": "support", "name": "Lê Cường"})
    assert answer.status_code == 303
    assert ReportSupport.objects.get(report=report).name == "Lê Cường"
    assert ReportFollower.objects.filter(report=report).count() == 1
    assert "Bạn cũng gặp vấn đề này" in client.get("/tai-khoan/phan-anh-cua-toi/").content.decode()


def test_following_from_the_page_by_email_with_the_code_only_the_count_is_public(client: Client, demo: None) -> None:
    report = _report()
    page = client.get(f"/phan-anh/{report.code}/").content.decode()
    assert 'value="follow"' in page and 'value="support"' in page and 'name="contact"' in page
    asked = client.post(f"/phan-anh/{report.code}/theo-doi/", {"action": "follow", "contact": "cuong@example.vn"})
    assert asked.status_code == 303 and asked["Location"] == f"/phan-anh/{report.code}/theo-doi/xac-nhan/"
    assert not ReportFollower.objects.exists()
    code = last_code("cuong@example.vn")
    wrong = client.post(asked["Location"], {"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 400 and "Mã xác nhận không đúng" in wrong.content.decode()
    done = client.post(asked["Location"], {"code": code}, follow=True)
    assert "Bạn đang theo dõi phản ánh này" in done.content.decode()
    page = Client().get(f"/phan-anh/{report.code}/").content.decode()
    assert "1 người đang theo dõi" in page and "cuong@example.vn" not in page


BAD_FOLLOWS = [
    ({"action": "follow", "contact": "không-phải-email@"}, "e-mail không hợp lệ"),
    ({"action": "follow", "contact": "12"}, "Số điện thoại không hợp lệ"),
    ({"action": "follow", "contact": ""}, "Hãy nhập số điện thoại hoặc e-mail"),
    ({"action": "support", "contact": "0901234567", "name": ""}, "Họ và tên"),
    ({"action": "xoa", "contact": "0901234567"}, "Hãy chọn"),
]


def test_bad_follow_input_is_said_on_the_page_and_nothing_is_stored(client: Client, demo: None) -> None:
    report = _report()
    for data, field_error in BAD_FOLLOWS:
        answer = client.post(f"/phan-anh/{report.code}/theo-doi/", data)
        assert answer.status_code == 400, data
        assert field_error in answer.content.decode(), data
    assert not ReportFollower.objects.exists() and not ReportSupport.objects.exists()


def test_a_hidden_report_cannot_be_followed(client: Client, leader: User) -> None:
    report = _report()
    services.report_set_public(report=report, actor=leader, public=False, reason="Thông tin cá nhân")
    answer = client.post(f"/phan-anh/{report.code}/theo-doi/", {"action": "follow", "contact": "cuong@example.vn"})
    assert answer.status_code == 404
    assert not Notification.objects.filter(recipient="cuong@example.vn").exists()


def test_the_unfollow_link_stops_the_next_messages(client: Client, leader: User) -> None:
    report = _report()
    _follow_by_email(report, "cuong@example.vn")
    services.report_start(report=report, actor=leader)
    [started] = _messages_to("cuong@example.vn")
    match = re.search(r"https?://[^/]+(/phan-anh/\S+/bo-theo-doi/)\?t=(\S+)", started.body)
    assert match is not None
    path, token = match.groups()
    # Opening the link (as a mail scanner does) changes nothing; the button does.
    assert client.get(path, {"t": token}).status_code == 200
    assert ReportFollower.objects.exists()
    assert client.post(path, {"t": token[:-2] + "xx"}).status_code == 400
    assert client.post(path, {"t": token}).status_code == 200
    assert not ReportFollower.objects.exists()
    assert client.post(path, {"t": token}).status_code == 200  # a second click says the same
    services.report_answer(report=report, actor=leader, body="Đã xử lý.")
    assert len(_messages_to("cuong@example.vn")) == 1


def test_the_api_follows_with_the_code_sent_and_answers_in_the_one_error_shape(client: Client, leader: User) -> None:
    report = _report()
    url = f"/api/v1/reports/{report.code}/follow"
    asked = client.post(url, {"email": "cuong@example.vn"}, content_type="application/json")
    assert asked.status_code == 202 and not ReportFollower.objects.exists()
    done = client.post(url, {"email": "cuong@example.vn", "otp": last_code("cuong@example.vn")}, "application/json")
    assert done.status_code == 200 and done.json() == {"following": True, "follower_count": 1}
    bad = client.post(url, {"email": "khong-hop-le"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["detail"] and set(bad.json()["errors"]) == {"email"}
    services.report_set_public(report=report, actor=leader, public=False, reason="Thông tin cá nhân")
    assert client.post(url, {"email": "an@example.vn"}, content_type="application/json").status_code == 404
