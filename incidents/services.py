"""Writes for reports: intake, routing, the processing workflow, moderation.

Every state change goes through one function here that checks who may do it,
records who/when/why in the report's history and tells the people concerned.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts import services as accounts
from accounts.models import User as Account
from agencies.models import Role
from agencies.selectors import agency_ids_for, is_administrator
from agencies.staff_access import report_staff_may_act, report_staff_visible
from audit.services import audit_record
from common.gis import CoordinateError, make_point, parse_lat_lng
from common.phones import PhoneError, phone_normalize
from common.text import clean_text
from notifications.services import notification_enqueue

from . import attachments as attachment_files
from .deadlines import add_working_days
from .models import (
    OPEN_STATUSES,
    Agency,
    Answer,
    Attachment,
    Category,
    Channel,
    ConsentChannel,
    DailyCounter,
    IdempotencyKey,
    RejectionReason,
    Report,
    ReportEvent,
    ReportKind,
    ReportStatus,
    ReportSupport,
)
from .routing import (  # noqa: F401 (routing re-exported: callers import it from services)
    OUTSIDE_MESSAGE,
    Routing,
    agency_for,
    report_route,
    reports_relocate,
    route_report,
    units_cache,
)
from .selectors import category_by_code
from .tokens import reporter_token, reporter_token_valid

User = Account | AnonymousUser
Action = ReportEvent.Action

# Control characters (except tab and newlines) never belong in a report's text.
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


class IdempotencyConflict(Exception):
    """The key was used before for a different request."""


def _collect(errors: dict[str, list[str]], name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except (ValidationError, PhoneError, CoordinateError) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        errors.setdefault(name, []).extend(messages)
        return None


def _clean_reporter(reporter: ReporterInput, user: User | None, errors: dict[str, list[str]]) -> dict[str, Any]:
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
    elif not signed_in:
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
    payload = json.dumps(
        {**data.__dict__, "reporter": data.reporter.__dict__, "files": [(f.name, f.size) for f in files]},
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


def report_create(
    *,
    data: ReportInput,
    user: User | None = None,
    files: Sequence[UploadedFile] = (),
    channel: str = "web",
    idempotency_key: str | None = None,
    idempotency_scope: str = "",
    ip_address: str | None = None,
) -> Report:
    """Validate, route, number and store a new report, then tell the reporter and the agency.

    Raises ValidationError with field-keyed Vietnamese messages; nothing is
    stored then. With an idempotency key, a retried request returns the report
    the first one created; the key belongs to `idempotency_scope` (who calls:
    an account, a device), and another caller's same key is another key.
    Of the people using the site, only a hotline operator
    (or an administrator) enters reports with channel "hotline", on behalf of a
    caller: the report is the caller's, not the operator's account's
    (PermissionDenied for anyone else, signed in or not). Code without a person
    behind it (user=None: imports, the demo) may file them too.
    """
    hotline = channel == Channel.HOTLINE
    operator = user if hotline else None
    if hotline and user is not None:
        if not (is_administrator(user) or agency_ids_for(user, [Role.OPERATOR])):
            raise PermissionDenied("Chỉ tổng đài viên mới nhập phản ánh qua tổng đài.")
        user = None
    stored_key = _idempotency_id(idempotency_key, idempotency_scope) if idempotency_key else None
    if stored_key:
        existing = _idempotent_report(stored_key, _request_hash(data, files))
        if existing is not None:
            return existing
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
    point = _collect(errors, "location", parse_lat_lng, data.lat, data.lng)
    if data.occurred_at is not None and data.occurred_at > timezone.now() + CLOCK_SKEW:
        errors["occurred_at"] = ["Thời gian xảy ra không thể ở tương lai."]
    reporter = _clean_reporter(data.reporter, user, errors)
    checked = []
    try:
        attachment_files.check_count(len(files))
        for upload in files:
            checked.append(attachment_files.check_upload(upload))
        attachment_files.check_total_pixels(checked)
    except attachment_files.AttachmentError as exc:
        errors.setdefault("attachments", []).append(str(exc))
    routing = None
    if point is not None and category is not None:
        routing = _collect(errors, "location", _route_messages, point, category)
    if errors or routing is None or category is None:
        raise ValidationError(errors or {"location": [OUTSIDE_MESSAGE]})
    # Decoding images is the costly step: only a request right in everything else gets this far.
    try:
        processed = [attachment_files.process_checked(item) for item in checked]
    except attachment_files.AttachmentError as exc:
        raise ValidationError({"attachments": [str(exc)]}) from None
    location = routing.location
    now = timezone.now()
    today = timezone.localdate(now)
    days = category.deadline_days or settings.REPORT_DEADLINE_DAYS
    code = _next_code(today)
    try:
        with transaction.atomic():
            report = Report(
                kind=data.kind,
                category=category,
                title=title,
                description=description,
                address=address or "",
                location=make_point(point[0], point[1]),
                occurred_at=data.occurred_at,
                channel=channel,
                ward_id=location.ward.id if location.ward else None,
                district_id=location.district.id if location.district else None,
                province_id=location.province.id if location.province else location.chain[-1].id,
                agency=routing.agency,
                status=ReportStatus.FORWARDED if routing.agency else ReportStatus.RECEIVED,
                deadline=add_working_days(today, days),
                user=_account(user),
                is_public=data.is_public is not False,
                consent_report_public=data.is_public,
                consent_at=now,
                consent_channel=channel if channel in ConsentChannel.values else ConsentChannel.UNKNOWN,
                created_at=now,
                **reporter,
            )
            units_cache(report, location)
            report.code = code
            report.save()
            events = [
                ReportEvent(
                    report=report,
                    action=Action.CREATED,
                    to_status=ReportStatus.RECEIVED,
                    actor=report.user or _account(operator),
                    ip_address=ip_address,
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
                        note=f"Tự động chuyển theo vị trí: {routing.agency.name}",
                        created_at=now,
                    )
                )
            ReportEvent.objects.bulk_create(events)
            for item in processed:
                _store_attachment(report, item)
            if stored_key:
                IdempotencyKey.objects.create(key=stored_key, request_hash=_request_hash(data, files), report=report)
            if operator is not None:
                audit_record(operator, "report.create_hotline", obj=report, ip=ip_address)
            _notify_reporter(report, "received")
            _notify_agency(report)
    except IntegrityError:
        if stored_key:
            # A concurrent retry with the same key won the race: answer with its report.
            existing = _idempotent_report(stored_key, _request_hash(data, files))
            if existing is not None:
                return existing
        raise
    return report


def _route_messages(point: tuple[float, float], category: Category) -> Routing:
    try:
        return report_route(lng=point[0], lat=point[1], category=category)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict["location"]) from exc


def _idempotent_report(key: str, request_hash: str) -> Report | None:
    found = IdempotencyKey.objects.select_related("report").filter(key=key).first()
    if found is None:
        return None
    if found.request_hash != request_hash:
        raise IdempotencyConflict("Idempotency-Key này đã được dùng cho một yêu cầu khác.")
    return found.report


def _store_attachment(report: Report, item: attachment_files.ProcessedFile) -> Attachment:
    attachment = Attachment(
        report=report,
        kind=str(item.kind),
        content_type=item.content_type,
        size=len(item.content),
        original_name=item.original_name,
        width=item.width,
        height=item.height,
    )
    attachment.file.save(f"file.{item.extension}", ContentFile(item.content), save=False)
    if item.thumbnail:
        attachment.thumbnail.save("thumb.jpg", ContentFile(item.thumbnail), save=False)
    attachment.save()
    return attachment


# --- Workflow -------------------------------------------------------------------


def _account(user: User | None) -> Account | None:
    """The signed-in account, or None for anonymous people."""
    return user if isinstance(user, Account) else None


def _require(actor: User, report: Report, roles: Sequence[str]) -> None:
    """Raise PermissionDenied unless the actor holds one of `roles` for the report's agency (staff_access)."""
    if not report_staff_may_act(user=actor, report=report, roles=roles):
        raise PermissionDenied("Bạn không có quyền thực hiện thao tác này với phản ánh này.")


def _locked(report: Report) -> Report:
    return Report.objects.select_for_update(of=("self",)).select_related("agency", "category").get(pk=report.pk)


def _transition(
    report: Report,
    *,
    action: str,
    to_status: str | None,
    actor: User | None,
    note: str = "",
    is_public: bool = True,
    agency: Agency | None = None,
    ip_address: str | None = None,
) -> ReportEvent:
    from_status = report.status
    if to_status is not None:
        report.status = to_status
    return ReportEvent.objects.create(
        report=report,
        action=action,
        from_status=from_status,
        to_status=report.status,
        actor=_account(actor),
        agency=agency,
        note=note,
        is_public=is_public,
        ip_address=ip_address,
    )


def _expect(report: Report, statuses: Sequence[str], doing: str) -> None:
    if report.status not in statuses:
        raise ValidationError(f"Không thể {doing}: phản ánh đang ở trạng thái “{report.get_status_display()}”.")


def _audit(actor: User, action: str, obj: Report | Attachment, **details: Any) -> None:
    # In the caller's transaction: the action and its audit record commit together.
    audit_record(actor, action, obj=obj, details=details)


@transaction.atomic
def report_start(*, report: Report, actor: User) -> Report:
    """An officer takes the report up (Đang xử lý)."""
    report = _locked(report)
    _require(actor, report, [Role.OFFICER, Role.LEADER])
    _expect(report, [ReportStatus.FORWARDED, ReportStatus.RECEIVED], "bắt đầu xử lý")
    _transition(report, action=Action.STARTED, to_status=ReportStatus.IN_PROGRESS, actor=actor)
    report.save(update_fields=["status", "updated_at"])
    _audit(actor, "report.start", report)
    return report


@transaction.atomic
def report_answer(*, report: Report, actor: User, body: str) -> Answer:
    """Record the answer. It is published at once when the agency needs no approval or a leader wrote it."""
    report = _locked(report)
    _require(actor, report, [Role.OFFICER, Role.LEADER])
    _expect(report, [ReportStatus.FORWARDED, ReportStatus.IN_PROGRESS], "trả lời")
    text = clean_text(body, max_length=10000, field_label="Nội dung trả lời")
    answer = Answer.objects.create(report=report, body=text, author=_account(actor), agency=report.agency)
    _transition(report, action=Action.ANSWERED, to_status=ReportStatus.AWAITING_APPROVAL, actor=actor, is_public=False)
    is_leader = report_staff_may_act(user=actor, report=report, roles=[Role.LEADER])
    if report.agency is not None and report.agency.answer_requires_approval and not is_leader:
        report.save(update_fields=["status", "updated_at"])
        _audit(actor, "report.answer", report, answer=answer.pk, published=False)
        return answer
    _publish(report, answer, actor)
    _audit(actor, "report.answer", report, answer=answer.pk, published=True)
    return answer


@transaction.atomic
def report_approve_answer(*, report: Report, actor: User) -> Answer:
    """A leader approves the pending answer (Duyệt): it goes public and the report is completed."""
    report = _locked(report)
    _require(actor, report, [Role.LEADER])
    _expect(report, [ReportStatus.AWAITING_APPROVAL], "duyệt kết quả")
    answer = report.answers.filter(published_at__isnull=True).order_by("-created_at").first()
    if answer is None:
        raise ValidationError("Không có kết quả nào chờ duyệt.")
    _publish(report, answer, actor)
    _audit(actor, "report.approve", report, answer=answer.pk)
    return answer


@transaction.atomic
def report_return_answer(*, report: Report, actor: User, note: str) -> Report:
    """A leader sends the pending answer back to the officer with a reason."""
    report = _locked(report)
    _require(actor, report, [Role.LEADER])
    _expect(report, [ReportStatus.AWAITING_APPROVAL], "trả lại kết quả")
    reason = clean_text(note, max_length=1000, field_label="Lý do trả lại")
    report.answers.filter(published_at__isnull=True).delete()
    _transition(
        report, action=Action.RETURNED, to_status=ReportStatus.IN_PROGRESS, actor=actor, note=reason, is_public=False
    )
    report.save(update_fields=["status", "updated_at"])
    _audit(actor, "report.return", report, note=reason)
    return report


def _publish(report: Report, answer: Answer, actor: User) -> None:
    now = timezone.now()
    answer.approved_by = _account(actor)
    answer.published_at = now
    answer.save(update_fields=["approved_by", "published_at"])
    _transition(report, action=Action.APPROVED, to_status=None, actor=actor, is_public=False)
    _transition(report, action=Action.COMPLETED, to_status=ReportStatus.COMPLETED, actor=actor)
    report.completed_at = now
    report.is_overdue = report.deadline < timezone.localdate(now)
    report.save(update_fields=["status", "completed_at", "is_overdue", "updated_at"])
    _notify_reporter(report, "completed")
    _notify_supporters(report)


@transaction.atomic
def report_reject(*, report: Report, actor: User, reason: str, note: str = "") -> Report:
    """Refuse a report (spam, duplicate, out of scope), with the reason shown publicly."""
    report = _locked(report)
    _require(actor, report, [Role.OFFICER, Role.LEADER])
    _expect(report, OPEN_STATUSES, "từ chối")
    if reason not in RejectionReason.values:
        raise ValidationError("Lý do từ chối phải là spam, duplicate hoặc out_of_scope.")
    text = clean_text(note, max_length=1000, field_label="Ghi chú", required=False)
    report.rejection_reason = reason
    _transition(
        report,
        action=Action.REJECTED,
        to_status=ReportStatus.REJECTED,
        actor=actor,
        note=f"{RejectionReason(reason).label}. {text}".strip(),
    )
    report.completed_at = timezone.now()
    report.save(update_fields=["status", "rejection_reason", "completed_at", "updated_at"])
    _notify_reporter(report, "rejected")
    _audit(actor, "report.reject", report, reason=reason)
    return report


@transaction.atomic
def report_reassign(*, report: Report, actor: User, agency: Agency, note: str = "") -> Report:
    """Hand the report to another agency (wrong jurisdiction or field)."""
    report = _locked(report)
    _require(actor, report, [Role.OFFICER, Role.LEADER])
    _expect(report, OPEN_STATUSES, "chuyển cơ quan")
    if agency.pk == report.agency_id or not agency.is_active:
        raise ValidationError("Hãy chọn một cơ quan khác, đang hoạt động.")
    report.answers.filter(published_at__isnull=True).delete()
    previous = report.agency.code if report.agency else ""
    report.agency = agency
    text = clean_text(note, max_length=1000, field_label="Ghi chú", required=False)
    _transition(
        report,
        action=Action.REASSIGNED,
        to_status=ReportStatus.FORWARDED,
        actor=actor,
        agency=agency,
        note=f"Chuyển đến {agency.name}. {text}".strip(),
    )
    report.save(update_fields=["agency", "status", "updated_at"])
    _notify_agency(report)
    _audit(actor, "report.reassign", report, from_agency=previous, to_agency=agency.code)
    return report


@transaction.atomic
def report_merge(*, report: Report, actor: User, into: Report) -> Report:
    """Close a duplicate into another open report; its reporter follows the other one."""
    report = _locked(report)
    target = _locked(into)
    _require(actor, report, [Role.OFFICER, Role.LEADER])
    _expect(report, OPEN_STATUSES, "gộp")
    if not target.is_public and not report_staff_visible(user=actor, report=target):
        # A hidden report of another agency is as unknown as a code that does not exist.
        raise ValidationError({"into": ["Không có phản ánh mã này."]})
    if target.pk == report.pk or target.merged_into_id is not None or target.status == ReportStatus.REJECTED:
        raise ValidationError("Chỉ gộp được vào một phản ánh khác chưa bị từ chối hoặc gộp.")
    report.merged_into = target
    report.rejection_reason = RejectionReason.DUPLICATE
    report.completed_at = timezone.now()
    _transition(
        report, action=Action.MERGED, to_status=ReportStatus.REJECTED, actor=actor, note=f"Trùng với {target.code}."
    )
    report.save(update_fields=["merged_into", "rejection_reason", "status", "completed_at", "updated_at"])
    ReportSupport.objects.bulk_create(
        [
            ReportSupport(
                report=target,
                user=report.user,
                name=report.reporter_name,
                phone=report.reporter_phone,
                email=report.reporter_email,
            )
        ],
        ignore_conflicts=True,
    )
    Report.objects.filter(pk=target.pk).update(support_count=target.supports.count())
    _notify_reporter(report, "merged")
    _audit(actor, "report.merge", report, into=target.code)
    return report


def report_can_reopen(report: Report) -> bool:
    """Whether the reporter may still reopen: answered, not reopened before, within the window."""
    return (
        report.status == ReportStatus.COMPLETED
        and report.reopen_count == 0
        and report.completed_at is not None
        and timezone.now() - report.completed_at <= timedelta(days=settings.REPORT_REOPEN_DAYS)
    )


def _require_reporter(report: Report, user: User | None, token: str | None) -> None:
    if user is not None and user.is_authenticated and report.user_id == user.pk:
        return
    if token and reporter_token_valid(report, token):
        return
    raise PermissionDenied("Chỉ người gửi phản ánh mới làm được việc này.")


@transaction.atomic
def report_rate(*, report: Report, satisfied: bool, user: User | None = None, token: str | None = None) -> Report:
    report = _locked(report)
    _require_reporter(report, user, token)
    _expect(report, [ReportStatus.COMPLETED], "đánh giá")
    # One rating per answer: it cannot be changed (a reopened report's next answer is rated anew).
    if report.events.filter(action=Action.RATED, created_at__gte=report.completed_at).exists():
        raise ValidationError("Bạn đã đánh giá kết quả này rồi.")
    report.satisfied = satisfied
    _transition(
        report,
        action=Action.RATED,
        to_status=None,
        actor=user,
        note="Hài lòng với kết quả." if satisfied else "Chưa hài lòng với kết quả.",
    )
    report.save(update_fields=["satisfied", "updated_at"])
    return report


@transaction.atomic
def report_reopen(*, report: Report, reason: str, user: User | None = None, token: str | None = None) -> Report:
    """The reporter reopens an answered report, once, within settings.REPORT_REOPEN_DAYS."""
    report = _locked(report)
    _require_reporter(report, user, token)
    _expect(report, [ReportStatus.COMPLETED], "mở lại")
    if report.reopen_count >= 1:
        raise ValidationError("Phản ánh chỉ được mở lại một lần.")
    if report.completed_at and timezone.now() - report.completed_at > timedelta(days=settings.REPORT_REOPEN_DAYS):
        raise ValidationError(f"Đã quá {settings.REPORT_REOPEN_DAYS} ngày kể từ khi có kết quả, không thể mở lại.")
    text = clean_text(reason, max_length=2000, field_label="Lý do mở lại")
    report.reopen_count = F("reopen_count") + 1
    report.completed_at = None
    report.satisfied = False
    _transition(report, action=Action.REOPENED, to_status=ReportStatus.IN_PROGRESS, actor=user, note=text)
    report.save(update_fields=["reopen_count", "completed_at", "satisfied", "status", "updated_at"])
    report.refresh_from_db()
    _notify_agency(report)
    return report


def _proven(account: Account | None, target: accounts.Target) -> bool:
    """Whether the signed-in account has already confirmed this phone or address."""
    if account is None:
        return False
    if target.channel == accounts.Channel.SMS:
        return account.phone == target.address and account.phone_verified_at is not None
    return (account.email or "").lower() == target.address and account.email_verified_at is not None


def report_support(
    *,
    report: Report,
    name: str,
    phone: str = "",
    email: str = "",
    otp: str = "",
    user: User | None = None,
    ip_address: str | None = None,
) -> ReportSupport | None:
    """Another person follows an open report instead of filing a duplicate; they hear of the answer.

    A phone or address hears nothing until it is proven: without `otp` a one-time code is sent to it
    and None returned; with the code typed back, the support is stored. The answer is the same
    whether or not that contact already follows (a second confirmation changes nothing), so it
    tells no one who follows what. A signed-in person's own confirmed phone or e-mail (or none: the
    account alone) needs no code. Raises ValidationError, accounts.ThrottledError, accounts.OtpError.
    """
    _expect(report, OPEN_STATUSES, "cùng phản ánh")
    errors: dict[str, list[str]] = {}
    clean_name = _collect(errors, "name", clean_text, name, max_length=120, field_label="Họ và tên") or ""
    account = _account(user)
    target = None
    if phone.strip() or email.strip():
        try:
            target = accounts.otp_target(phone=phone.strip() or None, email=email.strip() or None)
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                errors.setdefault(field_name, []).extend(messages)
    elif account is None:
        errors.setdefault("phone", []).append("Hãy để lại số điện thoại hoặc e-mail để nhận kết quả.")
    if errors:
        raise ValidationError(errors)
    if target is not None and not _proven(account, target):
        if not otp:
            accounts.otp_request(target=target, purpose=accounts.Purpose.FOLLOW, ip=ip_address)
            return None
        try:
            accounts.otp_verify_contact(target=target, purpose=accounts.Purpose.FOLLOW, code=otp)
        except accounts.OtpError as exc:
            raise ValidationError({"otp": [str(exc)]}) from None
    return _support_store(report, clean_name, target, account, user)


@transaction.atomic
def _support_store(
    report: Report, name: str, target: accounts.Target | None, account: Account | None, user: User | None
) -> ReportSupport:
    report = _locked(report)
    _expect(report, OPEN_STATUSES, "cùng phản ánh")
    same = report.supports.all()
    if target is None:
        same = same.filter(user=account, phone="", email="")
    elif target.channel == accounts.Channel.SMS:
        same = same.filter(phone=target.address)
    else:
        same = same.filter(email__iexact=target.address)
    support = same.first()
    if support is not None:
        return support
    support = ReportSupport.objects.create(
        report=report,
        user=account,
        name=name,
        phone=target.address if target and target.channel == accounts.Channel.SMS else "",
        email=target.address if target and target.channel == accounts.Channel.EMAIL else "",
    )
    report.support_count = report.supports.count()
    _transition(report, action=Action.SUPPORTED, to_status=None, actor=user)
    report.save(update_fields=["support_count", "updated_at"])
    return support


def report_lookup(*, code: str, phone: str, otp: str = "", ip_address: str | None = None) -> Report | None:
    """The reporter finds their report by its code and their phone, proven by a one-time code.

    Without `otp` a code is sent when that phone sent that report, and None returned; the limits are
    counted and the answer is the same when it did not (nor does the code exist), so the look-up tells
    no one who sent what. With the right code, the report. Raises ValidationError (bad phone, wrong or
    expired code: keyed "otp"), accounts.ThrottledError.
    """
    target = accounts.otp_target(phone=phone)
    report = Report.objects.filter(code=code.strip()[:20], reporter_phone=target.address).first()
    if not otp:
        accounts.otp_request(target=target, purpose=accounts.Purpose.REPORTER, ip=ip_address, send=report is not None)
        return None
    try:
        accounts.otp_verify_contact(target=target, purpose=accounts.Purpose.REPORTER, code=otp)
    except accounts.OtpError as exc:
        raise ValidationError({"otp": [str(exc)]}) from None
    if report is None:
        # A proven phone that did not send this report: said like a wrong code.
        raise ValidationError({"otp": ["Mã xác nhận không đúng."]})
    return report


# --- Moderation -----------------------------------------------------------------


@transaction.atomic
def report_redact(*, report: Report, actor: User, title: str, description: str, reason: str) -> Report:
    """Replace personal information a person typed into the title or text; the reason is logged."""
    report = _locked(report)
    _require(actor, report, [Role.OFFICER, Role.LEADER])
    why = clean_text(reason, max_length=500, field_label="Lý do")
    report.title = clean_text(title, max_length=200, field_label="Tiêu đề")
    report.description = clean_text(description, max_length=5000, field_label="Nội dung")
    _transition(report, action=Action.REDACTED, to_status=None, actor=actor, note=why, is_public=False)
    report.save(update_fields=["title", "description", "updated_at"])
    # The reason only: the removed text was personal information.
    _audit(actor, "report.redact", report, reason=why)
    return report


@transaction.atomic
def report_set_public(*, report: Report, actor: User, public: bool, reason: str) -> Report:
    """Hide a report from the public (or show it again), with a logged reason."""
    report = _locked(report)
    _require(actor, report, [Role.OFFICER, Role.LEADER])
    why = clean_text(reason, max_length=300, field_label="Lý do")
    report.is_public = public
    report.hidden_reason = "" if public else why
    _transition(
        report, action=Action.SHOWN if public else Action.HIDDEN, to_status=None, actor=actor, note=why, is_public=False
    )
    report.save(update_fields=["is_public", "hidden_reason", "updated_at"])
    _audit(actor, "report.show" if public else "report.hide", report, reason=why)
    return report


@transaction.atomic
def attachment_hide(*, attachment: Attachment, actor: User, reason: str) -> Attachment:
    report = _locked(attachment.report)
    _require(actor, report, [Role.OFFICER, Role.LEADER])
    why = clean_text(reason, max_length=300, field_label="Lý do")
    attachment.is_hidden = True
    attachment.hidden_reason = why
    attachment.save(update_fields=["is_hidden", "hidden_reason"])
    _transition(
        report,
        action=Action.ATTACHMENT_HIDDEN,
        to_status=None,
        actor=actor,
        note=f"Tệp #{attachment.pk}: {why}",
        is_public=False,
    )
    _audit(actor, "attachment.hide", attachment, report=report.code, reason=why)
    return attachment


def reports_flag_overdue() -> int:
    """Mark open reports past their deadline; run by the worker on a schedule."""
    today = timezone.localdate()
    flagged = 0
    with transaction.atomic():
        reports = list(
            Report.objects.select_for_update(skip_locked=True).filter(
                status__in=OPEN_STATUSES, deadline__lt=today, is_overdue=False
            )[:1000]
        )
        for report in reports:
            report.is_overdue = True
            _transition(report, action=Action.OVERDUE, to_status=None, actor=None, is_public=False)
        Report.objects.bulk_update(reports, ["is_overdue"])
        flagged += len(reports)
    return flagged


# --- Notifications --------------------------------------------------------------

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


def _notify_person(phone: str, email: str, subject: str, body: str, key: str) -> None:
    if phone:
        notification_enqueue(channel="sms", recipient=phone, body=body, dedupe_key=f"{key}:sms")
    if email:
        notification_enqueue(channel="email", recipient=email, subject=subject, body=body, dedupe_key=f"{key}:email")


# Channels where the sender saw the code on screen: a paid SMS acknowledging
# receipt would only repeat it (e-mail, which costs nothing, still goes).
SCREEN_CHANNELS = ("web", "app")


def _notify_reporter(report: Report, event: str) -> None:
    subject, body = _message(report, event, for_reporter=True)
    key = f"report:{report.code}:{event}:{report.reopen_count}"
    phone = "" if event == "received" and report.channel in SCREEN_CHANNELS else report.reporter_phone
    _notify_person(phone, report.reporter_email, subject, body, key)


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
