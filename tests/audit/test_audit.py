"""The audit log: every staff action, admin change and sign-in attempt, with who, what and from where."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import User
from agencies.models import Agency, Role, StaffRole
from audit.models import AuditEvent
from audit.services import audit_record
from incidents import services
from incidents.models import Attachment, Category, Report
from tests.conftest import captcha_fields, point_in
from tests.factories import PASSWORD, report_make, staff_make

pytestmark = pytest.mark.django_db

IP = "203.0.113.7"
LOGIN = "/tai-khoan/dang-nhap/"
LOGOUT = "/tai-khoan/dang-xuat/"


@pytest.fixture
def officer(demo: None) -> User:
    return staff_make("canbo", "ubnd-d25450", Role.OFFICER)


@pytest.fixture
def leader(demo: None) -> User:
    return staff_make("lanhdao", "ubnd-d25450", Role.LEADER)


@pytest.fixture
def administrator(demo: None) -> User:
    return staff_make("qt_tinh", "ubnd-d72", Role.ADMIN)


def signed_in(user: User) -> Client:
    client = Client(REMOTE_ADDR=IP, HTTP_USER_AGENT="Thử nghiệm/1.0")
    client.force_login(user)
    AuditEvent.objects.all().delete()  # force_login is a sign-in too; each test counts its own events
    return client


def post(client: Client, report: Report, action: str, **body: Any) -> None:
    response = client.post(f"/api/v1/reports/{report.code}/{action}", json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content


def only_event(action: str) -> AuditEvent:
    events = list(AuditEvent.objects.filter(action=action))
    assert len(events) == 1, [(e.action, e.object_ref) for e in AuditEvent.objects.all()]
    return events[0]


def assert_event(action: str, actor: User, obj: Report | Attachment) -> AuditEvent:
    event = only_event(action)
    assert event.actor == actor and event.actor_label == actor.username
    assert event.ip == IP and event.user_agent == "Thử nghiệm/1.0"
    assert event.object_type == obj._meta.label_lower
    assert event.object_ref == (obj.code if isinstance(obj, Report) else str(obj.pk))
    return event


def test_each_workflow_action_records_one_event_with_actor_ip_and_object(officer: User, leader: User) -> None:
    as_officer, as_leader = signed_in(officer), signed_in(leader)
    report = report_make()
    post(as_officer, report, "start")
    assert_event("report.start", officer, report)
    post(as_officer, report, "answer", body="Đã dọn cây.")
    assert assert_event("report.answer", officer, report).details["published"] is False
    post(as_leader, report, "return", note="Ghi rõ thời gian dọn.")
    assert assert_event("report.return", leader, report).details == {"note": "Ghi rõ thời gian dọn."}
    post(as_officer, report, "answer", body="Đã dọn cây lúc 9 giờ.")
    post(as_leader, report, "approve")
    assert_event("report.approve", leader, report)
    assert AuditEvent.objects.filter(action="report.answer").count() == 2

    spam = report_make(title="Quảng cáo")
    post(as_officer, spam, "reject", reason="spam")
    assert assert_event("report.reject", officer, spam).details["reason"] == "spam"

    moved = report_make(title="Đèn đường hỏng")
    post(as_officer, moved, "reassign", agency="so-gtvt")
    details = assert_event("report.reassign", officer, moved).details
    assert details == {"from_agency": "ubnd-d25450", "to_agency": "so-gtvt"}

    original, duplicate = report_make(title="Ổ gà"), report_make(title="Ổ gà nữa")
    post(as_officer, duplicate, "merge", into=original.code)
    assert assert_event("report.merge", officer, duplicate).details == {"into": original.code}

    private = report_make(title="Gọi 0987 111 222")
    post(as_officer, private, "redact", title="Gọi [đã ẩn]", description="Nội dung", reason="Số điện thoại")
    assert assert_event("report.redact", officer, private).details == {"reason": "Số điện thoại"}
    post(as_officer, private, "visibility", public=False, reason="Nhạy cảm")
    assert_event("report.hide", officer, private)
    post(as_officer, private, "visibility", public=True, reason="Đã sửa")
    assert_event("report.show", officer, private)
    # Every action is in the log once, nothing else is.
    assert AuditEvent.objects.count() == 11


def test_hiding_an_attachment_is_recorded_against_the_attachment(
    officer: User, settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    report = report_make()
    attachment = Attachment.objects.create(report=report, kind="document", content_type="application/pdf", size=8)
    attachment.file.save("a.pdf", ContentFile(b"%PDF-1.4"))
    client = signed_in(officer)
    response = client.post(f"/can-bo/phan-anh/{report.code}/tep/{attachment.pk}/an/", {"reason": "Có biển số xe"})
    assert response.status_code == 303
    event = assert_event("attachment.hide", officer, attachment)
    assert event.details == {"report": report.code, "reason": "Có biển số xe"}


def test_a_refused_action_leaves_no_event(officer: User) -> None:
    report = report_make(ward="D25470")  # another district's agency
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.report_start(report=report, actor=officer)
    assert AuditEvent.objects.count() == before


def test_an_action_outside_a_request_is_recorded_without_an_address(officer: User) -> None:
    report = report_make()
    services.report_start(report=report, actor=officer)
    event = only_event("report.start")
    assert event.actor == officer and event.ip is None and event.user_agent == ""


def test_a_hotline_operator_entering_a_call_is_recorded(demo: None) -> None:
    operator = staff_make("tongdai", "ubnd-d72", Role.OPERATOR)
    client = signed_in(operator)
    payload = {
        "category": "cay-xanh",
        "title": "Người dân gọi báo cây đổ",
        "description": "Cây đổ chắn đường.",
        "location": {"type": "Point", "coordinates": list(point_in("D25450"))},
        "reporter": {"name": "Trần Thị Bình", "phone": "0909123456"},
    }
    response = client.post("/api/v1/reports/", json.dumps(payload), content_type="application/json")
    assert response.status_code == 201, response.content
    report = Report.objects.get(code=response.json()["code"])
    # The caller's report, entered by the operator: not the operator's own.
    assert report.channel == "hotline" and report.user is None and report.reporter_phone == "+84909123456"
    assert report.events.get(action="created").actor == operator
    assert_event("report.create_hotline", operator, report)


def test_only_operators_enter_hotline_reports(officer: User) -> None:
    for who in (officer, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            services.report_create(
                data=services.ReportInput(
                    kind="feedback", category="cay-xanh", title="T", description="D", lng=106.1, lat=11.3
                ),
                sender=services.sender_for(user=who, channel="hotline"),
            )
    assert not Report.objects.exists()


# --- Sign-in, sign-out ----------------------------------------------------------------------------------


def test_sign_in_and_sign_out_are_recorded(officer: User) -> None:
    client = Client(REMOTE_ADDR=IP)
    assert client.post(LOGIN, {"username": "canbo", "password": PASSWORD}).status_code == 302
    event = only_event("login")
    assert event.actor == officer and event.ip == IP and event.object_ref == str(officer.pk)
    assert client.post(LOGOUT).status_code == 302
    assert only_event("logout").actor == officer


def test_a_failed_sign_in_with_an_unknown_name_is_recorded_without_the_password(db: None) -> None:
    client = Client(REMOTE_ADDR=IP)
    response = client.post(LOGIN, {"username": "khongcoai", "password": "Bí-mật-đoán-thử-1"})
    assert response.status_code == 400
    event = only_event("login_failed")
    assert event.actor is None and event.actor_label == "khongcoai" and event.ip == IP
    row = json.dumps([event.actor_label, event.object_ref, event.user_agent, event.details], ensure_ascii=False)
    assert "Bí-mật-đoán-thử-1" not in row and "*****" not in row


def test_a_failed_sign_in_to_a_real_account_names_it(officer: User) -> None:
    Client(REMOTE_ADDR=IP).post(LOGIN, {"username": "canbo", "password": "sai-mat-khau"})
    event = only_event("login_failed")
    assert event.actor == officer and event.actor_label == "canbo"


def test_details_never_keep_secrets(db: None) -> None:
    event = audit_record(
        None,
        "test",
        details={"password": "p", "new_password2": "p", "otp": "123456", "nested": [{"api_token": "t"}], "note": "ok"},
    )
    event.refresh_from_db()
    assert event.details == {
        "password": "[đã ẩn]",
        "new_password2": "[đã ẩn]",
        "otp": "[đã ẩn]",
        "nested": [{"api_token": "[đã ẩn]"}],
        "note": "ok",
    }


# --- The address --------------------------------------------------------------------------------------


def test_forwarded_for_counts_only_behind_our_proxy(officer: User, settings: SettingsWrapper) -> None:
    report = report_make()
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.9")
    client.force_login(officer)
    post(client, report, "start")
    assert only_event("report.start").ip == "10.0.0.2"  # a client can write any header it likes
    settings.BEHIND_PROXY = True
    post(client, report, "redact", title="Tiêu đề", description="Nội dung", reason="Thử")
    # The last entry is the one our proxy appended: the address it saw.
    assert only_event("report.redact").ip == "198.51.100.9"


# --- The admin and the log page -------------------------------------------------------------------------


def test_admin_changes_are_recorded_with_the_address(administrator: User) -> None:
    client = signed_in(administrator)
    response = client.post(
        "/admin/incidents/category/add/",
        {
            "code": "ngap-ung",
            "name": "Ngập úng",
            "description": "",
            "duplicate_radius_m": "250",
            "sort_order": "0",
            "is_active": "on",
            "answer_templates-TOTAL_FORMS": "0",
            "answer_templates-INITIAL_FORMS": "0",
            "questions-TOTAL_FORMS": "0",
            "questions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    category = Category.objects.get(code="ngap-ung")
    added = only_event("admin.add")
    assert added.actor == administrator and added.ip == IP and added.object_ref == "ngap-ung"
    assert added.object_type == "incidents.category"

    response = client.post(f"/admin/incidents/category/{category.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert only_event("admin.delete").object_ref == "ngap-ung"

    user = User.objects.create_user(username="dan", password=PASSWORD)
    response = client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": "Mật-khẩu-mới-456", "password2": "Mật-khẩu-mới-456", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    changed = only_event("admin.change")
    assert changed.object_ref == str(user.pk)
    assert "Mật-khẩu-mới-456" not in json.dumps(changed.details, ensure_ascii=False)


def test_the_log_page_lists_and_filters_events_for_administrators(administrator: User, officer: User) -> None:
    client = signed_in(administrator)
    report = report_make()
    services.report_start(report=report, actor=officer)
    audit_record(None, "login_failed", actor_label="ke-gian", ip="192.0.2.1")
    page = client.get("/can-bo/nhat-ky/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "report.start" in html and report.code in html and "ke-gian" in html and "192.0.2.1" in html
    filtered = client.get("/can-bo/nhat-ky/", {"action": "report.", "actor": "canbo"}).content.decode()
    assert "report.start" in filtered and "ke-gian" not in filtered
    bad = client.get("/can-bo/nhat-ky/", {"date_from": "2030-01-02", "date_to": "2030-01-01"})
    assert bad.status_code == 400 and "“Đến ngày” phải sau “Từ ngày”." in bad.content.decode()


def test_the_log_page_is_for_administrators_only(officer: User) -> None:
    StaffRole.objects.create(user=officer, agency=Agency.objects.get(code="ubnd-d25450"), role=Role.ADMIN)
    # An "admin" role held at a ward agency is not a provincial administrator.
    assert signed_in(officer).get("/can-bo/nhat-ky/").status_code == 403
    response = Client().get("/can-bo/nhat-ky/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_the_staff_bar_links_the_log_for_administrators_only(administrator: User, officer: User) -> None:
    admin_page = signed_in(administrator).get("/can-bo/phan-anh/").content.decode()
    officer_page = signed_in(officer).get("/can-bo/phan-anh/").content.decode()
    assert 'href="/can-bo/nhat-ky/"' in admin_page
    assert 'href="/can-bo/nhat-ky/"' not in officer_page


def _report_payload() -> dict[str, Any]:
    lng, lat = point_in("D25450")
    return {
        "kind": "feedback",
        "category": "cay-xanh",
        "title": "Cây đổ chắn ngang đường",
        "description": "Một cây lớn đổ chắn ngang đường.",
        "location": {"type": "Point", "coordinates": [lng, lat]},
        "reporter": {"name": "Trần Thị Gọi", "phone": "0912345678"},
    }


@pytest.mark.parametrize("channel", ["form", "api"])
def test_intake_and_hotline_rows_record_the_client_behind_our_proxy(
    demo: None, settings: SettingsWrapper, channel: str
) -> None:
    from tests.incidents.test_pages import FORM_URL, form_data, solve_captcha

    settings.BEHIND_PROXY = True
    proxied: dict[str, Any] = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.1.1.1, 198.51.100.9"}

    def send(client: Client) -> Report:
        if channel == "api":
            # An anonymous app answers the captcha; a signed-in operator needs none.
            payload = _report_payload() if client.session.get("_auth_user_id") else captcha_fields(client)
            payload = {**payload, **_report_payload()}
            response = client.post("/api/v1/reports/", json.dumps(payload), content_type="application/json")
            assert response.status_code == 201, response.content
        else:
            page = client.get(FORM_URL).content.decode()
            captcha = solve_captcha(page) if "captcha_0" in page else {}
            response = client.post(FORM_URL, {**form_data(), **captcha})
            assert response.status_code == 303, response.content
        return Report.objects.order_by("-pk").first()  # type: ignore[return-value]

    anonymous = send(Client(**proxied))
    assert anonymous.events.get(action="created").ip_address == "198.51.100.9"
    operator = staff_make("tongdai", "ubnd-d72", Role.OPERATOR)
    client = Client(**proxied)
    client.force_login(operator)
    hotline = send(client)
    assert hotline.channel == "hotline"
    assert hotline.events.get(action="created").ip_address == "198.51.100.9"
    assert only_event("report.create_hotline").ip == "198.51.100.9"
