"""The reporter rates or reopens an answered report from the link in their message."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from agencies.models import Role
from incidents import services
from incidents.models import Report, ReportStatus
from notifications.models import Notification
from tests.factories import report_make, staff_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(demo: None) -> Report:
    report = report_make(email="an@example.vn")
    leader = staff_make("lanhdao", "ubnd-d25450", Role.LEADER)
    services.report_answer(report=report, actor=leader, body="Đã dọn cây.")
    report.refresh_from_db()
    return report


def _link(report: Report) -> str:
    message = Notification.objects.get(dedupe_key=f"report:{report.code}:completed:0:email")
    match = re.search(r"https?://[^/\s]+(/phan-anh/[^\s#]+)#danh-gia", message.body)
    assert match is not None, message.body
    return match.group(1)


def test_the_link_in_the_message_lets_the_reporter_rate_and_reopen(client: Client, answered: Report) -> None:
    link = _link(answered)
    assert "?t=" in link
    page = client.get(link).content.decode()
    assert "Bạn có hài lòng với kết quả xử lý?" in page and "Mở lại phản ánh" in page
    token = link.split("?t=", 1)[1]
    rated = client.post(f"/phan-anh/{answered.code}/danh-gia/", {"token": token, "satisfied": "1"})
    assert rated.status_code == 303
    answered.refresh_from_db()
    assert answered.satisfied is True
    reopened = client.post(f"/phan-anh/{answered.code}/mo-lai/", {"token": token, "reason": "Cây vẫn còn."})
    assert reopened.status_code == 303
    answered.refresh_from_db()
    assert answered.status == ReportStatus.IN_PROGRESS and answered.reopen_count == 1
    again = client.get(reopened["Location"]).content.decode()
    assert "Phản ánh đã được mở lại" in again


def test_others_see_no_reporter_actions_and_cannot_forge_them(client: Client, answered: Report) -> None:
    page = client.get(f"/phan-anh/{answered.code}/").content.decode()
    assert "Bạn có hài lòng" not in page
    forged = client.post(f"/phan-anh/{answered.code}/danh-gia/", {"token": "x:y:z", "satisfied": "0"})
    assert forged.status_code == 404
    other = services.reporter_token(Report(code="202001010001"))
    assert client.post(f"/phan-anh/{answered.code}/mo-lai/", {"token": other, "reason": "x"}).status_code == 404
    answered.refresh_from_db()
    assert answered.satisfied is None and answered.status == ReportStatus.COMPLETED
