"""The messages a report's events send: SMS and e-mail through the notifications outbox, in the caller's
transaction."""

from __future__ import annotations

import hashlib

from django.conf import settings

from notifications.services import notification_enqueue

from ..models import Report
from ..tokens import reporter_token

_MESSAGES = {
    "received": (
        "Đã tiếp nhận phản ánh {code}",
        "Phản ánh “{title}” đã được tiếp nhận với mã {code}. Hạn xử lý: {deadline}. Theo dõi tại {url}",
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
    }
    return subject.format(**values), body.format(**values)


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
