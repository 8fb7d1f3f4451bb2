"""Intake: a new report from any channel, as a short sequence of named steps.

`report_create` is the one intake. The site and the app (and the hotline operator on the site), the
demo, imports and the channels to come (channels/) each describe who sends and how (`Sender`; the
site and app get theirs from `sender_for`) and pass the report as `ReportInput`. Its steps keep the
order the trust fixes set: a retried request is answered with its first report (idempotency); the
whole report is cleaned and checked (with the answers to its category's questions), its files by their
headers only, and routed, so every problem is told at once; only a report right in everything else has
its images decoded (the costly step); the code is allocated outside the transaction (autocommitted
counter); the report, its history, its files, the idempotency key and its messages are stored in one
transaction; the stored report is the answer.
The per-request limits and the captcha are the caller's (incidents.throttles), checked before.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User as Account
from agencies.models import Role
from agencies.selectors import agency_ids_for, is_administrator
from audit.services import audit_record
from common.gis import make_point, parse_lat_lng
from common.phones import phone_normalize
from common.storage import files_removed_on_rollback
from common.text import clean_text

from .. import attachments as attachment_files
from ..deadlines import add_working_days
from ..models import (
    Category,
    Channel,
    ConsentChannel,
    DailyCounter,
    IdempotencyKey,
    Report,
    ReportEvent,
    ReportKind,
    ReportStatus,
)
from ..routing import OUTSIDE_MESSAGE, Routing, report_route, report_route_unlocated, units_cache
from ..selectors import category_by_code
from .base import Action, User, _account, _collect
from .files import attachment_store, files_check, files_decode
from .messages import _notify_agency, _notify_on_duty, _notify_reporter
from .questions import question_answers_clean

ID_NUMBER = re.compile(r"^(\d{9}|\d{12})$")
# Clocks on phones drift: a time this far in the future is still accepted.
CLOCK_SKEW = timedelta(minutes=10)


@dataclass
class ReporterInput:
    name: str = ""
    phone: str = ""
    email: str = ""
    id_number: str = ""
    is_organization: bool = False
    organization_name: str = ""
    # None: the reporter did not say, and stays confidential (personal data is public only by choice).
    confidential: bool | None = None


@dataclass
class ReportInput:
    kind: str
    category: str
    title: str
    description: str
    lng: Any
    lat: Any
    address: str = ""
    occurred_at: datetime | None = None
    reporter: ReporterInput = field(default_factory=ReporterInput)
    # None: not stated; the report's content is published (names never are unless chosen).
    is_public: bool | None = None
    # Answers to the category's extra questions: {question code: value, or [values] for a list}.
    question_answers: Mapping[str, str | list[str]] = field(default_factory=dict)
    # Urgent (seed 004): only a hotline operator marks a report so at intake (see report_clean).
    urgent: bool = False


@dataclass(frozen=True)
class Sender:
    """Who sends a report and through which channel: what the channel knows, as data for the intake."""

    channel: str = Channel.WEB
    # The reporter's own account (None: anonymous, or a caller typed in by an operator).
    account: Account | None = None
    # Staff who typed the report in for the reporter (a hotline call): its creator in the history, audited.
    operator: Account | None = None
    # Whether the receipt goes by SMS: not when the sender saw the code on screen (a paid SMS would only
    # repeat it); e-mail, which costs nothing, always goes.
    sms_receipt: bool = True
    # Where the reporter's choice about publication was made (Report.consent_channel).
    consent_channel: str = ConsentChannel.UNKNOWN
    ip_address: str | None = None
    # Where the channel answers the reporter ("zalo:<user id>", "messenger:<id>", an e-mail address),
    # and the e-mail Message-ID to answer in the same thread: Report.reply_address / reply_thread.
    reply_address: str = ""
    reply_thread: str = ""
    # Whether a reporter who is not signed in must leave a phone number. Not where the channel itself
    # answers for its senders (an Open311 client, known by its API key, whose users may give only an
    # e-mail address or nothing, as GeoReport v2 allows).
    phone_required: bool = True
    # Said to the reporter at the end of the receipt (e.g. the e-mail channel's attachments it could not take).
    receipt_note: str = ""
    # Whether the channel may file a report whose place it could not find (lng and lat both empty): an
    # e-mail without a map link or a known address, an Open311 address matching nothing. It is routed by
    # category over the province (routing.report_route_unlocated) until staff set the pin. Never the site's
    # form or the app: a person there pins the place or picks a ward.
    location_optional: bool = False


# Channels where the sender sees the new report's code on screen.
SCREEN_CHANNELS = (Channel.WEB, Channel.APP)


def sender_for(*, user: User | None = None, channel: str = Channel.WEB, ip_address: str | None = None) -> Sender:
    """The sender of a report typed on the site or in the app by `user` (None: filed by code, e.g. the demo).

    Of the people using the site, only a hotline operator (or an administrator) enters reports with
    channel "hotline", on behalf of a caller: the report is the caller's, not the operator's account's
    (PermissionDenied for anyone else, signed in or not).
    """
    account = _account(user)
    operator = None
    if channel == Channel.HOTLINE and user is not None:
        if not (is_administrator(user) or agency_ids_for(user, [Role.OPERATOR])):
            raise PermissionDenied("Chỉ tổng đài viên mới nhập phản ánh qua tổng đài.")
        account, operator = None, account
    return Sender(
        channel=channel,
        account=account,
        operator=operator,
        sms_receipt=channel not in SCREEN_CHANNELS,
        consent_channel=channel if channel in ConsentChannel.values else ConsentChannel.UNKNOWN,
        ip_address=ip_address,
    )


# An anonymous visitor of the site: the default sender.
WEB = sender_for()


class IdempotencyConflict(Exception):
    """The key was used before for a different request."""


@dataclass(frozen=True)
class CleanReport:
    """A report checked in full and routed; its files checked by their headers, not yet decoded."""

    data: ReportInput
    category: Category
    title: str
    description: str
    address: str
    # None: filed without a pin (Sender.location_optional).
    point: tuple[float, float] | None
    reporter: dict[str, Any]
    files: list[attachment_files.CheckedFile]
    routing: Routing
    question_answers: dict[str, Any] = field(default_factory=dict)


def report_create(
    *,
    data: ReportInput,
    sender: Sender = WEB,
    files: Sequence[UploadedFile] = (),
    idempotency_key: str | None = None,
    idempotency_scope: str = "",
    now: datetime | None = None,
) -> Report:
    """Clean, check, route, number and store a new report, then tell the reporter and the agency.

    Raises ValidationError with field-keyed Vietnamese messages; nothing is stored then. With an
    idempotency key, a retried request returns the report the first one created; the key belongs to
    `idempotency_scope` (who calls: an account, a device), and another caller's same key is another key.
    `now` is the time of receipt (the clock by default; tests freeze it).
    """
    key = _idempotency_id(idempotency_key, idempotency_scope) if idempotency_key else None
    request_hash = _request_hash(data, files) if key else ""
    if key and (replayed := _idempotent_report(key, request_hash)) is not None:
        return replayed
    clean = report_clean(data=data, sender=sender, files=files)
    decoded = files_decode(clean.files)
    now = now or timezone.now()
    code = _next_code(timezone.localdate(now))
    try:
        with files_removed_on_rollback(), transaction.atomic():
            report = _report_store(clean, sender=sender, code=code, now=now)
            for item in decoded:
                attachment_store(report, item)
            if key:
                IdempotencyKey.objects.create(key=key, request_hash=request_hash, report=report)
            if sender.operator is not None:
                audit_record(sender.operator, "report.create_hotline", obj=report, ip=sender.ip_address)
            _messages_enqueue(report, sender)
    except IntegrityError:
        # A concurrent retry with the same key won the race: answer with its report.
        if key and (replayed := _idempotent_report(key, request_hash)) is not None:
            return replayed
        raise
    return report


def report_clean(*, data: ReportInput, sender: Sender, files: Sequence[UploadedFile] = ()) -> CleanReport:
    """Clean the input, check the limits of its files (headers only) and route it: every problem at once,
    as a ValidationError keyed by field."""
    errors: dict[str, list[str]] = {}
    if data.kind not in ReportKind.values:
        errors["kind"] = ["Loại phải là “feedback” (phản ánh, kiến nghị) hoặc “idea” (hiến kế)."]
    category = category_by_code(data.category)
    if category is None:
        errors["category"] = ["Chuyên mục không tồn tại."]
    title = _collect(errors, "title", clean_text, data.title, max_length=200, field_label="Tiêu đề")
    description = _collect(errors, "description", clean_text, data.description, max_length=5000, field_label="Nội dung")
    address = _collect(
        errors, "address", clean_text, data.address, max_length=300, field_label="Địa chỉ", required=False
    )
    unlocated = sender.location_optional and _blank(data.lng) and _blank(data.lat)
    point = None if unlocated else _collect(errors, "location", parse_lat_lng, data.lat, data.lng)
    if data.occurred_at is not None and data.occurred_at > timezone.now() + CLOCK_SKEW:
        errors["occurred_at"] = ["Thời gian xảy ra không thể ở tương lai."]
    if data.urgent and sender.operator is None:
        errors["urgent"] = ["Chỉ tổng đài viên 1022 đánh dấu phản ánh khẩn khi tiếp nhận."]
    reporter = _clean_reporter(data.reporter, sender.account, errors, phone_required=sender.phone_required)
    answers = _answers_clean(category, data.question_answers, errors) if category is not None else {}
    checked = files_check(files, errors)
    routing = None
    if point is not None and category is not None:
        routing = _collect(errors, "location", _route_messages, point, category)
    elif unlocated and category is not None:
        routing = _collect(errors, "location", _route_unlocated, category)
    if errors or routing is None or category is None:
        raise ValidationError(errors or {"location": [OUTSIDE_MESSAGE]})
    return CleanReport(
        data=data,
        category=category,
        title=title,
        description=description,
        address=address or "",
        point=point,
        reporter=reporter,
        files=checked,
        routing=routing,
        question_answers=answers,
    )


def _answers_clean(category: Category, answers: Mapping[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    """The answers to the category's extra questions; their refusals join `errors`, keyed by question."""
    try:
        return question_answers_clean(category=category, answers=answers)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        return {}


def _report_store(clean: CleanReport, *, sender: Sender, code: str, now: datetime) -> Report:
    """The report and its first history entries (created; forwarded when an agency was found)."""
    data, routing, location = clean.data, clean.routing, clean.routing.location
    today: date = timezone.localdate(now)
    report = Report(
        kind=data.kind,
        category=clean.category,
        title=clean.title,
        description=clean.description,
        address=clean.address,
        location=make_point(clean.point[0], clean.point[1]) if clean.point is not None else None,
        occurred_at=data.occurred_at,
        channel=sender.channel,
        ward_id=location.ward.id if location.ward else None,
        district_id=location.district.id if location.district else None,
        province_id=location.province.id if location.province else location.chain[-1].id,
        agency=routing.agency,
        status=ReportStatus.FORWARDED if routing.agency else ReportStatus.RECEIVED,
        deadline=add_working_days(today, clean.category.deadline_days or settings.REPORT_DEADLINE_DAYS),
        urgent=data.urgent,
        user=sender.account,
        is_public=data.is_public is not False,
        consent_report_public=data.is_public,
        consent_at=now,
        consent_channel=sender.consent_channel,
        reply_address=sender.reply_address,
        reply_thread=sender.reply_thread,
        question_answers=clean.question_answers,
        created_at=now,
        **clean.reporter,
    )
    units_cache(report, location)
    report.code = code
    report.save()
    events = [
        ReportEvent(
            report=report,
            action=Action.CREATED,
            to_status=ReportStatus.RECEIVED,
            actor=sender.account or sender.operator,
            ip_address=sender.ip_address,
            created_at=now,
        )
    ]
    if routing.agency is not None:
        events.append(
            ReportEvent(
                report=report,
                action=Action.FORWARDED,
                from_status=ReportStatus.RECEIVED,
                to_status=ReportStatus.FORWARDED,
                agency=routing.agency,
                note=(
                    f"Tự động chuyển theo vị trí: {routing.agency.name}"
                    if clean.point is not None
                    else f"Chưa có vị trí, tự động chuyển theo chuyên mục: {routing.agency.name}"
                ),
                created_at=now,
            )
        )
    ReportEvent.objects.bulk_create(events)
    return report


def _messages_enqueue(report: Report, sender: Sender) -> None:
    """The reporter's receipt and the agency's notice, in the intake's transaction (the outbox)."""
    _notify_reporter(report, "received", sms=sender.sms_receipt, note=sender.receipt_note)
    _notify_agency(report)
    _notify_on_duty(report)


def _clean_reporter(
    reporter: ReporterInput, user: Account | None, errors: dict[str, list[str]], *, phone_required: bool = True
) -> dict[str, Any]:
    signed_in = user is not None and user.is_authenticated
    name = reporter.name or (user.get_full_name() if signed_in else "")  # type: ignore[union-attr]
    phone_raw = reporter.phone or (getattr(user, "phone", "") if signed_in else "")
    email = reporter.email or (getattr(user, "email", "") if signed_in else "")
    out: dict[str, Any] = {
        "reporter_name": _collect(errors, "reporter.name", clean_text, name, max_length=120, field_label="Họ và tên"),
        "reporter_phone": "",
        "reporter_email": "",
        "reporter_id_number": "",
        "is_organization": bool(reporter.is_organization),
        "organization_name": "",
        "confidential": reporter.confidential is not False,
        # The choice as stated, recorded with the report; None when the reporter did not say.
        "consent_name_public": None if reporter.confidential is None else not reporter.confidential,
    }
    if phone_raw:
        out["reporter_phone"] = _collect(errors, "reporter.phone", phone_normalize, phone_raw) or ""
    elif not signed_in and phone_required:
        errors.setdefault("reporter.phone", []).append("Người gửi không đăng nhập phải để lại số điện thoại.")
    if email:
        email = email.strip()
        if _collect(errors, "reporter.email", validate_email, email) is None and "reporter.email" not in errors:
            out["reporter_email"] = email.lower()
    id_number = re.sub(r"\s", "", reporter.id_number or "")
    if id_number:
        if ID_NUMBER.match(id_number):
            out["reporter_id_number"] = id_number
        else:
            errors.setdefault("reporter.id_number", []).append("Số CMND/CCCD phải gồm 9 hoặc 12 chữ số.")
    if out["is_organization"]:
        out["organization_name"] = _collect(
            errors,
            "reporter.organization_name",
            clean_text,
            reporter.organization_name,
            max_length=200,
            field_label="Tên tổ chức",
        )
    return out


def _next_code(day: Any) -> str:
    # One row per day, incremented under its row lock: concurrent intakes get
    # distinct numbers. Called outside the intake's transaction, the increment
    # commits at once, so the lock is held for one statement rather than for the
    # whole intake (which made every intake wait in line). An intake that then
    # fails leaves a gap in the day's numbers, which codes tolerate.
    table = DailyCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, 1) "  # noqa: S608 (table name from model metadata)
            f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [day],
        )
        (sequence,) = cursor.fetchone()
    return f"{day:%Y%m%d}{sequence:04d}"


def _request_hash(data: ReportInput, files: Sequence[UploadedFile]) -> str:
    request = {**data.__dict__, "reporter": data.reporter.__dict__, "files": [(f.name, f.size) for f in files]}
    # Answers count only when given: a request without any hashes as it did before questions existed, so
    # the keys stored then still match their retries.
    answers = request.pop("question_answers")
    if answers:
        request["question_answers"] = dict(answers)
    payload = json.dumps(
        request,
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


IDEMPOTENCY_KEY_MAX = 100


def _idempotency_id(key: str, scope: str) -> str:
    """What is stored for a caller's key: key and caller hashed together, so the same key sent by another
    caller never finds this caller's report (nor its reporter token)."""
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise ValidationError(
            {"idempotency_key": [f"Idempotency-Key dài quá {IDEMPOTENCY_KEY_MAX} ký tự (hiện có {len(key)})."]}
        )
    if not scope:
        raise ValueError("an idempotency key needs the caller's scope")
    return hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()


def report_replay(
    *, data: ReportInput, files: Sequence[UploadedFile], idempotency_key: str, idempotency_scope: str
) -> Report | None:
    """The report this caller's earlier request with the same key created, or None.

    IdempotencyConflict when the caller used the key for a different request; ValidationError for a key
    longer than IDEMPOTENCY_KEY_MAX.
    """
    return _idempotent_report(_idempotency_id(idempotency_key, idempotency_scope), _request_hash(data, files))


def _route_messages(point: tuple[float, float], category: Category) -> Routing:
    try:
        return report_route(lng=point[0], lat=point[1], category=category)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict["location"]) from exc


def _route_unlocated(category: Category) -> Routing:
    try:
        return report_route_unlocated(category=category)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict["location"]) from exc


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _idempotent_report(key: str, request_hash: str) -> Report | None:
    found = IdempotencyKey.objects.select_related("report").filter(key=key).first()
    if found is None:
        return None
    if found.request_hash != request_hash:
        raise IdempotencyConflict("Idempotency-Key này đã được dùng cho một yêu cầu khác.")
    return found.report
