"""The messages a report's events send: SMS and e-mail through the notifications outbox, in the caller's
transaction."""

from __future__ import annotations

import hashlib

from django.conf import settings

from agencies.selectors import agency_duty_contacts
from notifications.services import notification_enqueue

from ..deadlines import office_opening
from ..models import Report
from ..tokens import reporter_token

_MESSAGES = {
    "received": (
        "Đã tiếp nhận phản ánh {code}",
        "Phản ánh “{title}” đã được tiếp nhận với mã {code}. Hạn xử lý: {deadline}. {start}Theo dõi tại {url}",
    ),
    "completed": (
        "Phản ánh {code} đã có kết quả",
        "Phản ánh “{title}” (mã {code}) đã có kết quả xử lý. Xem tại {url}",
    ),
    "rejected": (
        "Phản ánh {code} không được tiếp nhận",
        "Phản ánh “{title}” (mã {code}) không được tiếp nhận: {reason}. Chi tiết tại {url}",
    ),
    "merged": (
        "Phản ánh {code} đã được gộp",
        "Phản ánh “{title}” (mã {code}) trùng với một phản ánh khác và đã được gộp. Bạn sẽ nhận kết quả của "
        "phản ánh đó. Xem tại {url}",
    ),
}


def _report_url(report: Report) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/phan-anh/{report.code}/"


def _message(report: Report, event: str, *, for_reporter: bool = False) -> tuple[str, str]:
    subject, body = _MESSAGES[event]
    url = _report_url(report)
    if for_reporter:
        # The reporter's own link: it lets them rate or reopen without an account.
        url += "?t=" + reporter_token(report)
    values = {
        "code": report.code,
        "title": report.title[:80],
        "deadline": f"{report.deadline:%d/%m/%Y}",
        "url": url,
        "reason": report.get_rejection_reason_display().lower(),
        "start": _processing_start(report) if event == "received" else "",
    }
    return subject.format(**values), body.format(**values)


def _processing_start(report: Report) -> str:
    """When processing starts, for the receipt (seed 004: office hours; urgent ones 24/7 through 1022)."""
    if report.urgent:
        return "Phản ánh khẩn được xử lý ngay. "
    opening = office_opening(report.created_at)
    if opening is None:
        return ""
    return f"Phản ánh gửi ngoài giờ hành chính, sẽ được xử lý từ {opening:%H:%M} ngày {opening:%d/%m/%Y}. "


def report_receipt(report: Report) -> tuple[str, str]:
    """The reporter's receipt of a new report (subject, body), the same on every channel: code, deadline,
    when processing starts and the reporter's own link."""
    return _message(report, "received", for_reporter=True)


def _notify_person(phone: str, email: str, subject: str, body: str, key: str, *, thread: str = "") -> None:
    if phone:
        notification_enqueue(channel="sms", recipient=phone, body=body, dedupe_key=f"{key}:sms")
    if email:
        notification_enqueue(
            channel="email", recipient=email, subject=subject, body=body, dedupe_key=f"{key}:email", thread=thread
        )


def _notify_reporter(report: Report, event: str, *, sms: bool = True, note: str = "") -> None:
    """The reporter's message about `event`, by SMS (unless `sms` is False) and e-mail, to what they left.

    A report filed by e-mail is answered in the thread of the reporter's own message (Report.reply_thread),
    under its subject, so mail clients show one conversation. `note` ends the e-mail (the channel's word).
    """
    subject, body = _message(report, event, for_reporter=True)
    key = f"report:{report.code}:{event}:{report.reopen_count}"
    _notify_person(report.reporter_phone if sms else "", "", subject, body, key)
    if report.reporter_email:
        thread = report.reply_thread if report.reporter_email == report.reply_address.lower() else ""
        mail_subject = f"Re: {report.title}" if thread else subject
        mail_body = f"{body}\n\n{note}" if note else body
        _notify_person("", report.reporter_email, mail_subject, mail_body, key, thread=thread)


def _notify_supporters(report: Report) -> None:
    """Tell each contact that follows the report once; the reporter has had their own message.

    Nothing for a hidden report: its title may be why it is hidden.
    """
    if not report.is_public:
        return
    subject, body = _message(report, "completed")
    told = {("sms", report.reporter_phone), ("email", report.reporter_email.lower())}
    for support in report.supports.all():
        for channel, address in (("sms", support.phone), ("email", support.email.lower())):
            if not address or (channel, address) in told:
                continue
            told.add((channel, address))
            # Keyed by the contact, not the support row: one message per contact per event, ever.
            contact = hashlib.sha256(address.encode()).hexdigest()[:16]
            key = f"report:{report.code}:completed:{report.reopen_count}:to:{contact}:{channel}"
            if channel == "sms":
                notification_enqueue(channel="sms", recipient=address, body=body, dedupe_key=key)
            else:
                notification_enqueue(channel="email", recipient=address, subject=subject, body=body, dedupe_key=key)


def _notify_agency(report: Report) -> None:
    if report.agency is None or not report.agency.email:
        return
    subject = f"Phản ánh mới {report.code}: {report.title[:80]}"
    body = (
        f"{report.agency.name} nhận phản ánh {report.code} ({report.category.name}).\n"
        f"Hạn xử lý: {report.deadline:%d/%m/%Y}.\n{_report_url(report)}"
    )
    notification_enqueue(
        channel="email",
        recipient=report.agency.email,
        subject=subject,
        body=body,
        dedupe_key=f"report:{report.code}:agency:{report.agency_id}:{report.status}:{report.reopen_count}",
    )


def _notify_on_duty(report: Report) -> None:
    """An urgent report: its agency's on-duty staff (or, with nobody on duty, the agency and its leaders) are
    told at once by SMS and e-mail, at any hour, in the caller's transaction."""
    if not report.urgent or report.agency is None:
        return
    subject = f"KHẨN: phản ánh {report.code}: {report.title[:80]}"
    body = (
        f"Phản ánh KHẨN {report.code} ({report.category.name}) giao {report.agency.name}: {report.title[:80]}. "
        f"Địa chỉ: {report.address or 'xem bản đồ'}. Xử lý ngay: "
        f"{settings.SITE_URL.rstrip('/')}/can-bo/phan-anh/{report.code}/"
    )
    key = f"report:{report.code}:urgent:{report.agency_id}"
    for phone, email in agency_duty_contacts(agency=report.agency):
        if phone:
            notification_enqueue(channel="sms", recipient=phone, body=body, dedupe_key=f"{key}:sms:{phone}")
        if email:
            notification_enqueue(
                channel="email", recipient=email, subject=subject, body=body, dedupe_key=f"{key}:email:{email}"
            )
