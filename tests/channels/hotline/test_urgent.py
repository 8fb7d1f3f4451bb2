"""Urgent reports (seed 004): marked by the operator or by the staff who handle them, first in the agency's
worklist, and told at once to the agency's on-duty staff by SMS and e-mail, at any hour."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import User
from agencies.models import Agency, Role, StaffRole
from audit.models import AuditEvent
from incidents import services
from incidents.models import Report
from notifications.models import Notification
from notifications.services import notification_deliver
from tests.conftest import point_in
from tests.factories import PASSWORD, report_make, staff_make
from tests.servers import FakeSmsGateway, SmtpServer

WARD = "D25450"
# Sunday, three in the morning: nobody is at the office.
NIGHT = datetime(2026, 12, 6, 3, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def call(operator: User, *, urgent: bool, title: str = "Cây đổ đè lên dây điện") -> Report:
    lng, lat = point_in(WARD)
    return services.report_create(
        data=services.ReportInput(
            kind="feedback",
            category="cay-xanh",
            title=title,
            description="Người gọi báo cây đổ, dây điện võng xuống đường.",
            lng=lng,
            lat=lat,
            reporter=services.ReporterInput(name="Lê Thị Gọi", phone="0911222333"),
            urgent=urgent,
        ),
        sender=services.sender_for(user=operator, channel="hotline"),
        now=NIGHT,
    )


def receiving_agency() -> Agency:
    agency = report_make(ward=WARD).agency
    assert agency is not None
    return agency


def on_duty(agency: Agency, username: str, phone: str, email: str) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, phone=phone, email=email)
    StaffRole.objects.create(user=user, agency=agency, role=Role.OFFICER, on_duty=True)
    return user


def test_an_urgent_call_tells_the_on_duty_officer_at_night_by_sms_and_email(
    demo: None, smtp_server: SmtpServer, sms_gateway: FakeSmsGateway
) -> None:
    agency = receiving_agency()
    on_duty(agency, "truc_dem", "+84901111111", "truc@example.vn")
    staff_make("nghi", agency.code, Role.OFFICER)  # not on duty: not woken
    operator = staff_make("tongdai", "ubnd-d72", Role.OPERATOR)

    report = call(operator, urgent=True)

    assert report.urgent and report.agency == agency
    duty = Notification.objects.filter(dedupe_key__startswith=f"report:{report.code}:urgent:")
    assert sorted(duty.values_list("channel", "recipient")) == [("email", "truc@example.vn"), ("sms", "+84901111111")]
    for notification in duty:
        notification_deliver(notification_id=notification.pk)
    [mail] = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["truc@example.vn"] and report.code in mail.subject and "KHẨN" in mail.subject
    [sms] = sms_gateway.wait_for(1)
    assert report.code in str(sms) and f"/can-bo/phan-anh/{report.code}/" in str(sms)
    # The caller hears that it is handled now, not at the next opening.
    receipt = Notification.objects.get(channel="sms", recipient="+84911222333")
    assert "Phản ánh khẩn được xử lý ngay." in receipt.body and "ngoài giờ" not in receipt.body

    # An ordinary call wakes nobody.
    ordinary = call(operator, urgent=False, title="Vỉa hè bong tróc")
    assert not Notification.objects.filter(dedupe_key__startswith=f"report:{ordinary.code}:urgent:").exists()


def test_with_nobody_on_duty_the_agency_and_its_leaders_are_told(demo: None) -> None:
    agency = receiving_agency()
    Agency.objects.filter(pk=agency.pk).update(email="tiepnhan@example.vn", phone="0276 3822 111")
    leader = staff_make("lanhdao", agency.code, Role.LEADER)
    User.objects.filter(pk=leader.pk).update(email="lanhdao@example.vn", phone="+84902222222")
    staff_make("canbo", agency.code, Role.OFFICER)

    report = call(staff_make("tongdai", "ubnd-d72", Role.OPERATOR), urgent=True)

    told = Notification.objects.filter(dedupe_key__startswith=f"report:{report.code}:urgent:")
    assert sorted(told.values_list("channel", "recipient")) == [
        ("email", "lanhdao@example.vn"),
        ("email", "tiepnhan@example.vn"),
        ("sms", "+842763822111"),
        ("sms", "+84902222222"),
    ]


def test_only_an_operator_marks_a_new_report_urgent(client: Client, demo: None) -> None:
    lng, lat = point_in(WARD)
    data = services.ReportInput(
        kind="feedback", category="cay-xanh", title="T", description="D", lng=lng, lat=lat, urgent=True
    )
    data.reporter.phone = "0912345678"
    with pytest.raises(ValidationError) as refused:
        services.report_create(data=data, sender=services.sender_for(channel="web"))
    assert "urgent" in refused.value.message_dict
    assert not Report.objects.exists()


def test_urgent_reports_head_the_worklist_and_staff_who_handle_them_mark_them(demo: None) -> None:
    agency = receiving_agency()
    on_duty(agency, "truc", "+84901111111", "truc@example.vn")
    officer = staff_make("canbo", agency.code, Role.OFFICER)
    earlier = Report.objects.get()
    later = report_make(ward=WARD, title="Cây nghiêng sắp đổ")
    client = Client()
    client.force_login(officer)

    def worklist() -> list[str]:
        html = client.get("/can-bo/phan-anh/").content.decode()
        return sorted((earlier.code, later.code), key=html.index)

    assert worklist() == [earlier.code, later.code]  # same deadline: the older first

    response = client.post(f"/can-bo/phan-anh/{later.code}/khan/", {"urgent": "1"})
    assert response.status_code == 303
    later.refresh_from_db()
    assert later.urgent
    assert worklist() == [later.code, earlier.code]
    assert AuditEvent.objects.filter(action="report.urgent", object_ref=later.code, actor=officer).exists()
    assert Notification.objects.filter(
        dedupe_key__startswith=f"report:{later.code}:urgent:", channel="sms", recipient="+84901111111"
    ).exists()

    # An operator handles no report: the mark is not theirs to change afterwards.
    operator = Client()
    operator.force_login(staff_make("tongdai", "ubnd-d72", Role.OPERATOR))
    assert operator.post(f"/can-bo/phan-anh/{later.code}/khan/", {"urgent": "0"}).status_code in (403, 404)
    client.post(f"/can-bo/phan-anh/{later.code}/khan/", {"urgent": "0"})
    later.refresh_from_db()
    assert not later.urgent


def test_an_operator_marks_a_call_urgent_through_the_api_and_nobody_else_does(demo: None) -> None:
    payload = {
        "category": "cay-xanh",
        "title": "Cây đổ đè dây điện",
        "description": "Người gọi báo cây đổ.",
        "location": {"type": "Point", "coordinates": list(point_in(WARD))},
        "reporter": {"name": "Lê Thị Gọi", "phone": "0911222333"},
        "urgent": True,
    }
    officer = Client()
    officer.force_login(staff_make("canbo", "ubnd-d72", Role.OFFICER))
    refused = officer.post("/api/v1/reports/", payload, content_type="application/json")
    assert refused.status_code == 400 and "urgent" in refused.json()["errors"]
    assert not Report.objects.exists()

    operator = Client()
    operator.force_login(staff_make("tongdai", "ubnd-d72", Role.OPERATOR))
    response = operator.post("/api/v1/reports/", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    assert Report.objects.get(code=response.json()["code"]).urgent
