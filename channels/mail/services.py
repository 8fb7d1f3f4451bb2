"""The e-mail channel: the worker polls the intake mailbox over IMAP and files each new message through the
one intake (incidents.services.report_create); the intake's receipt answers in the message's own thread.

A message is taken once. Its key (the Message-ID, or a hash of its headers) is a unique InboundMail row, and
the report is filed with that key as its idempotency key, so the report, its row in the intake's
idempotency table and its receipt are stored in one transaction: a crash after that but before our row or
the mailbox's \\Seen flag files nothing twice (the next poll gets the same report back and writes the row).

A message whose place cannot be found (no map link, no address naming one ward) is filed anyway, without a
pin (Sender.location_optional: routed by category to the province's receiving desk), and the receipt says a
place can still be sent by replying; a reply in that report's thread carrying a place pins and re-routes it
(incidents.services.report_add_location), and one without a place files nothing new.
"""

from __future__ import annotations

import hashlib
import imaplib
import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef
from imap_tools import AND, BaseMailBox, MailBox, MailboxLoginError, MailBoxUnencrypted, MailMessage, MailMessageFlags
from imap_tools.errors import ImapToolsError

from boundaries.places import Place, address_places
from incidents import attachments as attachment_files
from incidents.models import Category, CategoryQuestion, Channel, ConsentChannel, Report
from incidents.services import ReporterInput, ReportInput, Sender, report_add_location, report_create
from notifications.services import notification_enqueue

from .models import InboundMail
from .parsing import (
    address_candidates,
    body_text,
    category_guess,
    map_point,
    message_key,
    skip_reason,
    subject_title,
    thread_ids,
    unquoted,
)

logger = logging.getLogger(__name__)

Outcome = InboundMail.Outcome
# The intake's idempotency keys of this channel belong to this scope.
IDEMPOTENCY_SCOPE = "mail_intake"
TITLE_MAX, DESCRIPTION_MAX, ADDRESS_MAX, NAME_MAX = 200, 5000, 300, 120
IMAP_TIMEOUT_SECONDS = 30
NO_TITLE = "Phản ánh qua thư điện tử"
HOW_TO = (
    "Để phản ánh qua thư điện tử, hãy ghi rõ sự việc trong tiêu đề và nội dung thư, kèm vị trí: một liên kết "
    "bản đồ (Google Maps, OpenStreetMap) hoặc địa chỉ có tên phường, xã (ví dụ “Địa chỉ: 12 Lê Lợi, Phường 1, "
    "Thành phố Tây Ninh”); ảnh, ghi âm hoặc tài liệu gửi dưới dạng tệp đính kèm."
)
NO_LOCATION = (
    "Thư chưa cho biết nơi xảy ra sự việc (không có liên kết bản đồ hay địa chỉ có tên phường, xã): phản ánh đã "
    "được chuyển theo chuyên mục đến bộ phận tiếp nhận của tỉnh. Bạn vẫn có thể gửi vị trí bằng cách trả lời thư "
    "này, kèm một liên kết bản đồ (Google Maps, OpenStreetMap) hoặc địa chỉ có tên phường, xã."
)


class MailboxUnavailable(Exception):
    """The intake mailbox could not be reached or read; nothing was half-stored, the job is tried again."""


@dataclass(frozen=True)
class MailboxSettings:
    host: str
    port: int
    user: str
    password: str
    ssl: bool


def mailbox_settings() -> MailboxSettings | None:
    """The intake mailbox from the settings; None while the channel is off (INTAKE_IMAP_HOST unset)."""
    if not settings.INTAKE_IMAP_HOST or not settings.INTAKE_IMAP_USER:
        return None
    return MailboxSettings(
        host=settings.INTAKE_IMAP_HOST,
        port=settings.INTAKE_IMAP_PORT,
        user=settings.INTAKE_IMAP_USER,
        password=settings.INTAKE_IMAP_PASSWORD,
        ssl=settings.INTAKE_IMAP_SSL,
    )


@contextmanager
def _mailbox(config: MailboxSettings) -> Iterator[BaseMailBox]:
    kind = MailBox if config.ssl else MailBoxUnencrypted
    try:
        box = kind(config.host, config.port, timeout=IMAP_TIMEOUT_SECONDS)
        with box.login(config.user, config.password, initial_folder="INBOX") as logged_in:
            yield logged_in
    except (OSError, imaplib.IMAP4.error, ImapToolsError, MailboxLoginError) as exc:
        raise MailboxUnavailable(f"Hộp thư {config.user}@{config.host}:{config.port}: {exc}") from exc


def mail_poll(*, limit: int = 100) -> Counter[str]:
    """Take the mailbox's unread messages (at most `limit`): each filed, skipped or refused, then flagged \\Seen.

    Returns how many had each outcome ("duplicate": taken before, only flagged now; "failed": left unread
    for the next poll). Raises MailboxUnavailable when the mailbox cannot be reached or read.
    """
    outcomes: Counter[str] = Counter()
    config = mailbox_settings()
    if config is None:
        return outcomes
    with _mailbox(config) as box:
        for message in box.fetch(AND(seen=False), mark_seen=False, limit=limit):
            try:
                outcome = mail_process(message=message)
            except Exception:
                # One message the code cannot take must not stop the others; it stays unread, and is tried
                # again (and logged again) at the next poll.
                logger.exception("mail %s from %s could not be processed", message.uid, message.from_)
                outcomes["failed"] += 1
                continue
            if message.uid:
                box.flag(message.uid, MailMessageFlags.SEEN, True)
            outcomes[outcome] += 1
    return outcomes


def mail_process(*, message: MailMessage) -> str:
    """File one received message as a report, or record why not (and tell the sender what is missing)."""
    key = message_key(message)
    if InboundMail.objects.filter(key=key).exists():
        return "duplicate"
    if reason := skip_reason(message, own_addresses=_own_addresses()):
        _record(key, message, outcome=Outcome.SKIPPED, reason=reason)
        return Outcome.SKIPPED
    reply_address = _address(message)
    if not _valid_address(reply_address):
        _record(key, message, outcome=Outcome.SKIPPED, reason="Không có địa chỉ người gửi hợp lệ để trả lời.")
        return Outcome.SKIPPED
    text = body_text(message)
    title = subject_title(message.subject) or (text.split("\n", 1)[0] if text else "") or NO_TITLE
    point, address = _location(f"{message.subject}\n{unquoted(text)}")
    if (waiting := _unlocated_report_answered(message, reply_address)) is not None:
        return _location_reply(key, message, waiting, point)
    files, refused_files = _attachments(message)
    # A mail cannot answer a category's required questions: such categories are not guessed (staff may move
    # the report there), so the report is not refused for answers nobody asked for.
    asking = CategoryQuestion.objects.filter(category=OuterRef("pk"), active=True, required=True, variable=True)
    active = Category.objects.filter(is_active=True).exclude(Exists(asking)).values_list("code", flat=True)
    data = ReportInput(
        kind="feedback",
        category=category_guess(f"{title}\n{text}", active=list(active)),
        title=_cut(title, TITLE_MAX),
        description=_cut(text or title, DESCRIPTION_MAX),
        # No place found: filed without a pin (location_optional below).
        lng=point[0] if point else None,
        lat=point[1] if point else None,
        address=_cut(address, ADDRESS_MAX),
        reporter=ReporterInput(name=_cut(_name(message), NAME_MAX), email=reply_address),
        # Nobody asked the sender about publication: the report stays private (the form asks; a mail cannot).
        is_public=False,
    )
    sender = Sender(
        channel=Channel.EMAIL,
        sms_receipt=False,
        consent_channel=ConsentChannel.EMAIL,
        reply_address=reply_address,
        reply_thread=key if not key.startswith("sha256:") else "",
        phone_required=False,
        receipt_note="\n\n".join(
            note for note in (_refused_files_note(refused_files), "" if point else NO_LOCATION) if note
        ),
        location_optional=True,
    )
    try:
        report = report_create(
            data=data,
            sender=sender,
            files=files,
            idempotency_key=hashlib.sha256(key.encode()).hexdigest(),
            idempotency_scope=IDEMPOTENCY_SCOPE,
        )
    except ValidationError as exc:
        _refuse(key, message, [message for messages in exc.message_dict.values() for message in messages])
        return Outcome.REFUSED
    _record(key, message, outcome=Outcome.FILED, report=report, reason=_refused_files_note(refused_files))
    return Outcome.FILED


def _unlocated_report_answered(message: MailMessage, reply_address: str) -> Report | None:
    """The sender's report filed by e-mail without a place whose thread this message answers, if any."""
    threads = thread_ids(message)
    if not threads:
        return None
    return (
        Report.objects.filter(
            channel=Channel.EMAIL, location__isnull=True, reply_address=reply_address, reply_thread__in=threads
        )
        .order_by("-created_at")
        .first()
    )


def _location_reply(key: str, message: MailMessage, report: Report, point: tuple[float, float] | None) -> str:
    """A reply in the thread of a report still without a place: its place pins the report (and the sender is
    told); without one, nothing new is filed (a thank-you, a question) and the staff see it in the log."""
    if point is None:
        _record(
            key, message, outcome=Outcome.SKIPPED, reason=f"Thư trả lời về phản ánh {report.code}, không có vị trí."
        )
        return Outcome.SKIPPED
    try:
        with transaction.atomic():
            located = report_add_location(report=report, lat=point[1], lng=point[0])
            _record(key, message, outcome=Outcome.LOCATED, report=located)
            place = located.ward.name if located.ward else ""
            notification_enqueue(
                channel="email",
                recipient=located.reply_address,
                subject=f"Re: {subject_title(message.subject) or NO_TITLE}",
                body=f"Đã nhận vị trí của phản ánh {located.code}{': ' + place if place else ''}. Cảm ơn bạn.",
                dedupe_key=f"mail:{hashlib.sha256(key.encode()).hexdigest()[:40]}:located",
                thread=key if not key.startswith("sha256:") else "",
            )
    except ValidationError as exc:
        _refuse(key, message, [message for messages in exc.message_dict.values() for message in messages])
        return Outcome.REFUSED
    return Outcome.LOCATED


def _own_addresses() -> set[str]:
    """Our own addresses: what we send from, and the intake mailbox (mail from them is a loop)."""
    own = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower(), settings.INTAKE_IMAP_USER.lower()}
    return {address for address in own if "@" in address}


def _address(message: MailMessage) -> str:
    reply_to = message.reply_to[0] if message.reply_to else ""
    return (reply_to or message.from_ or "").strip().lower()[:254]


def _valid_address(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def _name(message: MailMessage) -> str:
    name = (message.from_values.name if message.from_values else "") or ""
    return " ".join(name.split()) or (message.from_ or "").split("@")[0]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _location(text: str) -> tuple[tuple[float, float] | None, str]:
    """(lng, lat) and an address: a map link's point; else the point inside the one ward an address names
    (the same ward point the web form uses when no pin is set); else None."""
    if (point := map_point(text)) is not None:
        return point, ""
    for candidate in address_candidates(text):
        wards: list[Place] = address_places(candidate)
        if len(wards) == 1:
            ward = wards[0]
            return (ward.lng, ward.lat), candidate
    return None, ""


def _attachments(message: MailMessage) -> tuple[list[SimpleUploadedFile], list[tuple[str, str]]]:
    """The attached files the intake takes (type, size and count checked as report_create checks them), and
    the names of the others with the reason, to tell the sender."""
    taken: list[SimpleUploadedFile] = []
    checked: list[attachment_files.CheckedFile] = []
    refused: list[tuple[str, str]] = []
    for attachment in message.attachments:
        name = attachment.filename or "tệp không tên"
        upload = SimpleUploadedFile(name, attachment.payload, content_type=attachment.content_type)
        try:
            item = attachment_files.check_upload(upload)
            attachment_files.check_count(len(taken) + 1)
            attachment_files.check_total_pixels([*checked, item])
        except attachment_files.AttachmentError as exc:
            refused.append((name, str(exc)))
            continue
        checked.append(item)
        taken.append(SimpleUploadedFile(name, attachment.payload, content_type=attachment.content_type))
    return taken, refused


def _refused_files_note(refused: list[tuple[str, str]]) -> str:
    if not refused:
        return ""
    lines = "\n".join(f"- {name}: {reason}" for name, reason in refused)
    return f"Các tệp đính kèm sau không được nhận:\n{lines}"


def _record(
    key: str, message: MailMessage, *, outcome: str, reason: str = "", report: Report | None = None
) -> InboundMail:
    row, _ = InboundMail.objects.get_or_create(
        key=key,
        defaults={
            "from_address": (message.from_ or "")[:254],
            "subject": message.subject[:300],
            "outcome": outcome,
            "reason": reason,
            "report": report,
        },
    )
    return row


@transaction.atomic
def _refuse(key: str, message: MailMessage, reasons: list[str]) -> None:
    """Record the message as refused and answer the sender, in its thread, with what was missing."""
    reason = "\n".join(f"- {item}" for item in reasons)
    _record(key, message, outcome=Outcome.REFUSED, reason=reason)
    address = _address(message)
    body = f"Thư của bạn đã đến nhưng chưa được ghi nhận thành phản ánh:\n{reason}\n\n{HOW_TO}"
    notification_enqueue(
        channel="email",
        recipient=address,
        subject=f"Re: {subject_title(message.subject) or NO_TITLE}",
        body=body,
        dedupe_key=f"mail:{hashlib.sha256(key.encode()).hexdigest()[:40]}:refused",
        thread=key if not key.startswith("sha256:") else "",
    )
