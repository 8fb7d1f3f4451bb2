"""The messages a report's events send through the notifications outbox, in the caller's transaction: to
the reporter back the way the report came (chat, e-mail thread) and by SMS and e-mail, to its followers
and to the agency."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.utils.text import Truncator
from django.utils.translation import override

from agencies.selectors import agency_duty_contacts
from notifications.services import notification_enqueue

from ..deadlines import office_opening
from ..models import ATTACHMENT_SHOWN_PUBLICLY, Answer, Attachment, Report, ReportEvent, ReportFollower
from ..tokens import RATE_ANCHOR, follower_token, reporter_token

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


# Channels whose reply address ("<channel>:<id>") takes the report's messages in its own conversation.
CHAT_CHANNELS = ("zalo", "messenger")
# How much of the answer a chat message and an SMS carry; the whole answer is one link away.
CHAT_ANSWER_CHARS = 1000
SMS_ANSWER_CHARS = 160


def _report_url(report: Report) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/phan-anh/{report.code}/"


# Messages go out in Vietnamese whatever language the page that caused them was in (choice labels are lazy).
@override(settings.LANGUAGE_CODE)
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


@dataclass(frozen=True)
class _Route:
    channel: str
    recipient: str
    thread: str = ""


def _reporter_routes(report: Report, *, instant: bool) -> list[_Route]:
    """Where the reporter's messages go: back the way the report came, and to what they left.

    A chat report (reply address "zalo:<id>", "messenger:<id>") is answered in its conversation instead
    of by SMS (the chat's sender falls back to SMS itself when the platform's window has closed); an
    e-mailed report by a reply in the thread of the e-mail that filed it; any other report (the site,
    the app, Open311, the hotline's caller) by SMS to the phone and e-mail to the address it left.
    `instant` False: the sender saw this on screen or in the conversation, so no SMS or chat message.
    """
    routes = []
    chat = report.reply_address.split(":", 1)[0] if ":" in report.reply_address else ""
    if chat in CHAT_CHANNELS:
        if instant:
            routes.append(_Route(chat, report.reply_address))
    elif instant and report.reporter_phone:
        routes.append(_Route("sms", report.reporter_phone))
    emails = []
    if "@" in report.reply_address:
        emails.append(_Route("email", report.reply_address, report.reply_thread))
    if report.reporter_email and report.reporter_email.lower() not in {r.recipient.lower() for r in emails}:
        emails.append(_Route("email", report.reporter_email))
    return routes + emails


def _notify_reporter(report: Report, event: str, *, sms: bool = True, note: str = "") -> None:
    """The reporter's message about `event` on each of their routes (`sms` False: no SMS nor chat message).

    `note` ends the e-mail (the channel's word, e.g. the mail intake's about files it could not take).
    """
    subject, body = _message(report, event, for_reporter=True)
    key = f"report:{report.code}:{event}:{report.reopen_count}"
    email = f"{body}\n\n{note}" if note else body
    _send(report, _reporter_routes(report, instant=sms), subject, {"email": email}, body, key)


def _send(report: Report, routes: list[_Route], subject: str, bodies: dict[str, str], default: str, key: str) -> None:
    seen: list[str] = []
    for route in routes:
        # One message per event and channel; a second e-mail address gets its own key.
        suffix = route.channel if route.channel not in seen else f"{route.channel}:{seen.count(route.channel) + 1}"
        seen.append(route.channel)
        if route.channel != "email":
            mail_subject = ""
        else:
            # In the thread of the reporter's own e-mail, under its subject: one conversation in their mail.
            mail_subject = f"Re: {report.title}" if route.thread else subject
        notification_enqueue(
            channel=route.channel,
            recipient=route.recipient,
            subject=mail_subject,
            body=bodies.get(route.channel, default),
            dedupe_key=f"{key}:{suffix}",
            thread=route.thread,
        )


def _notify_answer(report: Report, answer: Answer) -> None:
    """The published answer, to the reporter on each of their routes: its text, links to its files and
    the link where they rate it or reopen the report (signed, expiring: incidents.tokens).

    Keyed like every message of the report's: by event and reopening, so publishing again sends nothing
    and the answer after a reopening is sent.
    """
    token = reporter_token(report)
    link = f"{_report_url(report)}?t={token}#{RATE_ANCHOR}"
    files = []
    for attachment in answer.attachments.filter(is_hidden=False):
        url = f"{_report_url(report)}tep/{attachment.pk}/"
        # A file not published (an official reply with personal data) opens with the reporter's link.
        files.append(f"- {_file_label(attachment)}: {url if attachment.is_public else f'{url}?t={token}'}")
    agency = answer.agency.name if answer.agency else ""
    head = f"Phản ánh “{report.title[:80]}” (mã {report.code}) đã có kết quả xử lý" + (
        f" của {agency}" if agency else ""
    )
    reopen = (
        f"Bạn có hài lòng với kết quả? Đánh giá, hoặc mở lại phản ánh nếu vấn đề chưa được giải quyết (trong "
        f"{settings.REPORT_REOPEN_DAYS} ngày), tại: {link}"
    )
    files_text = ("Tệp kèm theo:\n" + "\n".join(files) + "\n\n") if files else ""

    def full(limit: int | None) -> str:
        text = answer.body if limit is None else Truncator(answer.body).chars(limit)
        return f"{head}:\n\n{text}\n\n{files_text}{reopen}"

    short = Truncator(answer.body).chars(SMS_ANSWER_CHARS)
    bodies = {
        "email": full(None),
        "zalo": full(CHAT_ANSWER_CHARS),
        "messenger": full(CHAT_ANSWER_CHARS),
        "sms": f"Phản ánh {report.code} đã có kết quả: {short} Xem, đánh giá: {link}",
    }
    subject = f"Phản ánh {report.code} đã có kết quả"
    key = f"report:{report.code}:completed:{report.reopen_count}"
    _send(report, _reporter_routes(report, instant=True), subject, bodies, bodies["email"], key)


@override(settings.LANGUAGE_CODE)
def _file_label(attachment: Attachment) -> str:
    if attachment.kind == Attachment.Kind.DOCUMENT:
        return "Văn bản trả lời"
    if attachment.kind == Attachment.Kind.IMAGE:
        return "Ảnh sau khi xử lý"
    return attachment.get_kind_display()


def _follower_contacts(report: Report) -> list[tuple[int, str, str]]:
    """(follower id, channel, address) for each contact following the report, each contact once: a
    follower's own contact, or an account's confirmed phone and e-mail (as its profile chose)."""
    contacts: list[tuple[int, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for follower in ReportFollower.objects.filter(report=report).select_related("user").order_by("pk"):
        if follower.address:
            mine = [(follower.channel, follower.address)]
        else:
            account = follower.user
            mine = []
            if account is not None and account.is_active:
                if account.phone and account.phone_verified_at and account.notify_by_sms:
                    mine.append(("sms", account.phone))
                if account.email and account.email_verified_at and account.notify_by_email:
                    mine.append(("email", account.email.lower()))
        for channel, address in mine:
            if (channel, address) not in seen:
                seen.add((channel, address))
                contacts.append((follower.pk, channel, address))
    return contacts


@override(settings.LANGUAGE_CODE)
def _notify_followers(report: Report, event: ReportEvent, *, answer: Answer | None = None) -> None:
    """A public update of the report (a status change, the published answer) to each contact that follows
    it, once per event: its public history line, the answer's text and public files, the report's page and
    the link that stops these messages. Never the reporter's name or contact; the reporter has had their
    own message (with their link), so their contacts are skipped.

    Nothing for a hidden report: its title may be why it is hidden.
    """
    if not report.is_public:
        return
    reporter = {("sms", report.reporter_phone), ("email", report.reporter_email.lower())}
    if "@" in report.reply_address:
        reporter.add(("email", report.reply_address.lower()))
    contacts = [c for c in _follower_contacts(report) if (c[1], c[2]) not in reporter]
    if not contacts:
        return
    url = _report_url(report)
    update = event.get_action_display() + (f": {event.note}" if event.note else "")
    parts = [f"Phản ánh “{report.title[:80]}” (mã {report.code}) bạn theo dõi có cập nhật: {update}."]
    short = f"Phản ánh {report.code} bạn theo dõi: {update}"
    if answer is not None:
        parts = [f"Phản ánh “{report.title[:80]}” (mã {report.code}) bạn theo dõi đã có kết quả xử lý."]
        short = f"Phản ánh {report.code} bạn theo dõi đã có kết quả: {answer.body}"
        parts.append(f"Kết quả xử lý{f' của {answer.agency.name}' if answer.agency else ''}:\n\n{answer.body}")
        files = [f"- {_file_label(a)}: {url}tep/{a.pk}/" for a in answer.attachments.filter(ATTACHMENT_SHOWN_PUBLICLY)]
        if files:
            parts.append("Tệp kèm theo:\n" + "\n".join(files))
    parts.append(f"Xem tại {url}")
    subject = f"Phản ánh {report.code}: {event.get_action_display().lower()}"
    for follower_pk, channel, address in contacts:
        stop = f"{url}bo-theo-doi/?t={follower_token(follower_pk=follower_pk, report_code=report.code)}"
        # Keyed by event and contact: the same update reaches a contact once, however often it is queued.
        contact = hashlib.sha256(address.encode()).hexdigest()[:16]
        key = f"report:{report.code}:{event.action}:{event.pk}:to:{contact}:{channel}"
        if channel == "sms":
            body = f"{Truncator(short).chars(SMS_ANSWER_CHARS)} Xem: {url} Bỏ theo dõi: {stop}"
            notification_enqueue(channel="sms", recipient=address, body=body, dedupe_key=key)
        elif channel == ReportFollower.Channel.PUSH:
            # What the service worker shows (static/js/sw.js): tapped, it opens the report's page.
            push = {"title": subject, "body": Truncator(short).chars(SMS_ANSWER_CHARS), "url": url, "tag": report.code}
            body = json.dumps(push, ensure_ascii=False)
            notification_enqueue(channel="webpush", recipient=address, subject=subject, body=body, dedupe_key=key)
        else:
            body = "\n\n".join([*parts, f"Không muốn nhận tin về phản ánh này nữa? Bỏ theo dõi: {stop}"])
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
