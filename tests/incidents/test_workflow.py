"""The processing workflow: who may do what, history, notifications, reporter actions."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import User
from agencies.models import Agency, Role
from incidents import services
from incidents.models import Report, ReportStatus
from notifications.models import Notification
from tests.accounts.conftest import last_code
from tests.factories import report_make, staff_make

pytestmark = pytest.mark.django_db

WARD = "D25450"
WARD_AGENCY = "ubnd-d25450"


def _new_report(**reporter: Any) -> Report:
    return report_make(ward=WARD, **reporter)


def _staff(username: str, agency_code: str, role: str) -> User:
    return staff_make(username, agency_code, role)


def test_officer_answers_leader_approves_reporter_hears(officer: User, leader: User) -> None:
    report = _new_report(email="an@example.vn")
    services.report_start(report=report, actor=officer)
    services.report_answer(report=report, actor=officer, body="Đã cử đội cây xanh dọn dẹp trong ngày.")
    report.refresh_from_db()
    assert report.status == ReportStatus.AWAITING_APPROVAL
    assert not report.answers.filter(published_at__isnull=False).exists()
    with pytest.raises(PermissionDenied):
        services.report_approve_answer(report=report, actor=officer)
    services.report_approve_answer(report=report, actor=leader)
    report.refresh_from_db()
    assert report.status == ReportStatus.COMPLETED and report.completed_at is not None
    assert report.answers.get().approved_by == leader
    actions = list(report.events.values_list("action", "actor__username"))
    assert actions == [
        ("created", None),
        ("forwarded", None),
        ("started", "canbo"),
        ("answered", "canbo"),
        ("approved", "lanhdao"),
        ("completed", "lanhdao"),
    ]
    done = Notification.objects.filter(dedupe_key__startswith=f"report:{report.code}:completed")
    assert set(done.values_list("channel", "recipient")) == {("sms", "+84912345678"), ("email", "an@example.vn")}


def test_a_leader_answer_is_published_at_once(leader: User) -> None:
    report = _new_report()
    services.report_answer(report=report, actor=leader, body="Đã xử lý xong.")
    report.refresh_from_db()
    assert report.status == ReportStatus.COMPLETED


def test_officers_of_other_agencies_cannot_act(demo: None) -> None:
    other = _staff("khac", "ubnd-d705", Role.OFFICER)
    report = _new_report()
    for act in (
        lambda: services.report_start(report=report, actor=other),
        lambda: services.report_answer(report=report, actor=other, body="x"),
        lambda: services.report_reject(report=report, actor=other, reason="spam"),
    ):
        with pytest.raises(PermissionDenied):
            act()
    report.refresh_from_db()
    assert report.status == ReportStatus.FORWARDED and report.events.count() == 2


def test_a_district_officer_acts_on_reports_of_its_wards(demo: None) -> None:
    district_officer = _staff("quan", "ubnd-d703", Role.OFFICER)
    report = _new_report()
    services.report_start(report=report, actor=district_officer)
    report.refresh_from_db()
    assert report.status == ReportStatus.IN_PROGRESS


def test_rejection_needs_a_known_reason_and_is_told(officer: User) -> None:
    report = _new_report()
    with pytest.raises(ValidationError):
        services.report_reject(report=report, actor=officer, reason="boring")
    services.report_reject(report=report, actor=officer, reason="out_of_scope", note="Thuộc đơn vị điện lực.")
    report.refresh_from_db()
    assert report.status == ReportStatus.REJECTED and report.rejection_reason == "out_of_scope"
    assert Notification.objects.filter(dedupe_key=f"report:{report.code}:rejected:0:sms").exists()
    with pytest.raises(ValidationError, match="Không thể"):
        services.report_start(report=report, actor=officer)


def test_reassign_hands_over_and_tells_the_new_agency(officer: User) -> None:
    report = _new_report()
    services.report_reassign(report=report, actor=officer, agency=Agency.objects.get(code="so-tnmt"), note="")
    report.refresh_from_db()
    assert report.agency is not None and report.agency.code == "so-tnmt"
    assert report.status == ReportStatus.FORWARDED
    assert Notification.objects.filter(recipient__startswith="so-tnmt@").exists()
    # The old agency no longer acts on it.
    with pytest.raises(PermissionDenied):
        services.report_start(report=report, actor=officer)


def test_merge_closes_the_duplicate_and_its_reporter_follows_the_original(officer: User, leader: User) -> None:
    original = _new_report()
    duplicate = _new_report(name="Trần Thị Bình", phone="0987654321")
    services.report_merge(report=duplicate, actor=officer, into=original)
    duplicate.refresh_from_db()
    original.refresh_from_db()
    assert duplicate.status == ReportStatus.REJECTED and duplicate.merged_into == original
    assert original.support_count == 1
    services.report_answer(report=original, actor=leader, body="Đã dọn cây.")
    assert Notification.objects.filter(
        recipient="+84987654321", dedupe_key__contains=f"{original.code}:completed"
    ).exists()


def test_supporters_hear_of_the_answer(leader: User) -> None:
    report = _new_report()
    assert services.report_support(report=report, name="Lê Văn Cường", phone="0901234567") is None
    services.report_support(report=report, name="Lê Văn Cường", phone="0901234567", otp=last_code("+84901234567"))
    with pytest.raises(ValidationError):
        services.report_support(report=report, name="Không liên lạc")
    services.report_answer(report=report, actor=leader, body="Đã xử lý.")
    assert Notification.objects.filter(recipient="+84901234567", body__contains="đã có kết quả").exists()


def test_the_reporter_rates_and_reopens_once_within_the_window(leader: User) -> None:
    report = _new_report()
    token = services.reporter_token(report)
    services.report_answer(report=report, actor=leader, body="Đã xử lý.")
    with pytest.raises(PermissionDenied):
        services.report_rate(report=report, satisfied=True, token="forged")
    services.report_rate(report=report, satisfied=False, token=token)
    services.report_reopen(report=report, reason="Cây vẫn còn nằm đó.", token=token)
    report.refresh_from_db()
    assert report.status == ReportStatus.IN_PROGRESS and report.reopen_count == 1
    services.report_answer(report=report, actor=leader, body="Đã dọn lần hai.")
    with pytest.raises(ValidationError, match="một lần"):
        services.report_reopen(report=report, reason="Lại nữa", token=token)


def test_reopening_after_the_window_is_refused(leader: User, settings: Any) -> None:
    report = _new_report()
    services.report_answer(report=report, actor=leader, body="Đã xử lý.")
    Report.objects.filter(pk=report.pk).update(completed_at=timezone.now() - timedelta(days=30))
    with pytest.raises(ValidationError, match="quá"):
        services.report_reopen(report=report, reason="Muộn", token=services.reporter_token(report))


def test_overdue_reports_are_flagged_once(demo: None) -> None:
    late = _new_report()
    on_time = _new_report()
    Report.objects.filter(pk=late.pk).update(deadline=timezone.localdate() - timedelta(days=1))
    assert services.reports_flag_overdue() == 1
    assert services.reports_flag_overdue() == 0
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert late.is_overdue and not on_time.is_overdue
    assert late.events.filter(action="overdue", is_public=False).exists()


def test_moderation_redacts_hides_and_logs_the_reason(officer: User, client: Client) -> None:
    report = _new_report()
    services.report_redact(
        report=report,
        actor=officer,
        title="Cây đổ chắn đường",
        description="Cây lớn đổ sau mưa, gần nhà [đã ẩn].",
        reason="Có số điện thoại người khác trong nội dung",
    )
    services.report_set_public(report=report, actor=officer, public=False, reason="Nội dung nhạy cảm")
    assert client.get(f"/api/v1/reports/{report.code}/").status_code == 404
    assert client.get(f"/phan-anh/{report.code}/").status_code == 404
    logged = dict(report.events.filter(is_public=False).values_list("action", "note"))
    assert logged["redacted"] == "Có số điện thoại người khác trong nội dung"
    assert logged["hidden"] == "Nội dung nhạy cảm"


def test_the_workflow_api_checks_permissions(officer: User, leader: User, client: Client) -> None:
    report = _new_report()
    url = f"/api/v1/reports/{report.code}"
    assert client.post(f"{url}/start").status_code == 403  # anonymous
    client.force_login(officer)
    assert client.post(f"{url}/start").json()["status"] == "in_progress"
    answered = client.post(f"{url}/answer", json.dumps({"body": "Đã dọn."}), content_type="application/json")
    assert answered.json()["status"] == "awaiting_approval"
    assert client.post(f"{url}/approve").status_code == 403
    client.force_login(leader)
    approved = client.post(f"{url}/approve").json()
    assert approved["status"] == "completed" and approved["answer"]["body"] == "Đã dọn."
    # Staff see the reporter's details and the internal history.
    assert approved["reporter"]["reporter_phone"] == "+84912345678"
    assert "answered" in [event["action"] for event in approved["events"]]
    bad = client.post(f"{url}/reject", json.dumps({"reason": "nope"}), content_type="application/json")
    assert bad.status_code == 400
    client.logout()
    public = client.get(f"{url}/").json()
    assert "reporter" not in public and "events" not in public
    # Signed out, a processing action is refused before its input is even read.
    assert (
        client.post(f"{url}/reject", json.dumps({"reason": "nope"}), content_type="application/json").status_code == 403
    )


def test_supporting_through_the_api_reveals_nothing_private(demo: None, client: Client) -> None:
    report = _new_report()
    url = f"/api/v1/reports/{report.code}/support"
    person = {"name": "Lê Văn Cường", "phone": "0901234567"}
    asked = client.post(url, json.dumps(person), content_type="application/json")
    assert asked.status_code == 202
    response = client.post(
        url,
        json.dumps({"name": "Lê Văn Cường", "phone": "0901234567", "otp": last_code("+84901234567")}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["support_count"] == 1
    assert "0912345678" not in response.content.decode() and "+84912345678" not in response.content.decode()


def test_the_worker_flags_overdue_reports_on_a_schedule() -> None:
    from procrastinate.contrib.django import app

    import incidents.tasks  # noqa: F401 (registers the task)

    periodic = {key[0]: task for key, task in app.periodic_registry.periodic_tasks.items()}
    task = periodic["incidents.tasks.flag_overdue_reports"]
    assert task.cron == "*/10 * * * *"


def test_a_hotline_report_is_acknowledged_by_sms(demo: None) -> None:
    report = report_make(
        ward=WARD,
        description="Người dân gọi tổng đài 1022.",
        channel="hotline",
        name="Phạm Thị Dung",
        phone="0987654321",
    )
    sms = Notification.objects.get(channel="sms", recipient="+84987654321")
    assert report.code in sms.body
