"""Writes for warnings: drafts and the submit → approve → update/cancel workflow.

Every step goes through one function here that checks who may do it (officers
and leaders of the issuing agency write and submit; only leaders approve and
cancel), records it in the alert's history and the staff audit log, and, for
published steps, defers the delivery job (alerts.delivery) in the same transaction.
The area itself is parsed and checked in alerts.area.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import MultiPolygon
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User as Account
from agencies.models import Agency, Role
from agencies.selectors import agency_ids_for
from common.jobs import job_defer
from common.text import clean_text, strip_control

from .area import (
    AreaResult,
    PeopleBand,
    area_build,
    area_people_count,
    area_pieces_publish,
    area_pieces_withdraw,
    people_band,
)
from .models import (
    Alert,
    AlertAreaPart,
    AlertEvent,
    Category,
    Certainty,
    DeliveryKind,
    Severity,
    Status,
    Urgency,
)

User = Account | AnonymousUser
Action = AlertEvent.Action


@dataclass
class AlertInput:
    """What a staff member writes. `area` is a list of parts:
    {"kind": "polygon", "geometry": <GeoJSON Polygon>}, {"kind": "circle", "lat", "lng", "radius_m"},
    {"kind": "unit", "code": "<admin unit code>"}."""

    headline: str
    description: str
    category: str
    severity: str
    urgency: str
    certainty: str
    starts_at: datetime | None
    ends_at: datetime | None
    area: list[dict[str, Any]] = field(default_factory=list)
    instruction: str = ""
    area_description: str = ""
    agency: str = ""


# --- Permissions ---------------------------------------------------------------------


def _account(user: User | None) -> Account | None:
    return user if isinstance(user, Account) else None


def _acts_for(actor: User, agency_id: int, roles: Sequence[str]) -> bool:
    return agency_id in agency_ids_for(actor, roles)


def _require(actor: User, agency_id: int, roles: Sequence[str], message: str) -> None:
    if not _acts_for(actor, agency_id, roles):
        raise PermissionDenied(message)


WRITERS = (Role.OFFICER, Role.LEADER)
NOT_WRITER = "Bạn không có quyền soạn cảnh báo cho cơ quan này."
NOT_LEADER = "Chỉ lãnh đạo (tài khoản phê duyệt) của cơ quan phát hành mới được thực hiện thao tác này."


def agencies_for_writer(actor: User) -> list[Agency]:
    """The agencies the user may write warnings for."""
    ids = agency_ids_for(actor, WRITERS)
    return list(Agency.objects.filter(id__in=ids, is_active=True).order_by("level", "name"))


def can_approve(actor: User, alert: Alert) -> bool:
    """A leader of the issuing agency (or an agency above it) approves.

    The creator may approve their own alert only when their account is an
    approver account for it: it holds the leader role and not also the officer
    role there (as in the seeds, where the "…_pheduyet" account creates and
    approves in one go). An officer who also leads cannot wave their own draft through.
    """
    if not _acts_for(actor, alert.agency_id, [Role.LEADER]):
        return False
    if alert.created_by_id is not None and alert.created_by_id == getattr(actor, "pk", None):
        return not _acts_for(actor, alert.agency_id, [Role.OFFICER])
    return True


# --- Input ------------------------------------------------------------------------------


def _text(value: str, *, label: str, max_length: int, required: bool, errors: dict[str, list[str]], key: str) -> str:
    try:
        return clean_text(value, max_length=max_length, field_label=label, required=required)
    except ValidationError as exc:
        errors.setdefault(key, []).extend(exc.messages)
        return strip_control(value)


def _choice(value: str, choices: Any, *, label: str, errors: dict[str, list[str]], key: str) -> str:
    if value not in choices.values:
        allowed = ", ".join(f"{v} ({lbl})" for v, lbl in choices.choices)
        errors.setdefault(key, []).append(f"{label} không hợp lệ. Chọn một trong: {allowed}.")
    return value


@dataclass(frozen=True)
class AreaPreview:
    geom: MultiPolygon
    people: PeopleBand
    description: str


def area_preview(*, actor: User, area: Any, agency_code: str) -> AreaPreview:
    """What a warning over `area` would cover and, as a band, how many people it would reach.

    The agency and the area are checked exactly as `alert_create` checks them (`_resolve_agency`,
    then `area_build` with the agency's jurisdiction), and every preview goes into the audit log.
    """
    agency = _resolve_agency(actor, agency_code)
    result = area_build(area, agency=agency)
    band = people_band(area_people_count(result.geom))
    west, south, east, north = result.geom.extent
    from audit.services import audit_record

    audit_record(
        actor,
        "alert.preview",
        obj=agency,
        details={
            "bbox": [round(v, 5) for v in (west, south, east, north)],
            "parts": len(result.parts),
            "people_band": [band.low, band.high],
        },
    )
    return AreaPreview(geom=result.geom, people=band, description=result.description)


def _validate(data: AlertInput, errors: dict[str, list[str]]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "headline": _text(data.headline, label="Tiêu đề", max_length=160, required=True, errors=errors, key="headline"),
        "description": _text(
            data.description, label="Nội dung", max_length=5000, required=True, errors=errors, key="description"
        ),
        "instruction": _text(
            data.instruction, label="Hướng dẫn", max_length=3000, required=False, errors=errors, key="instruction"
        ),
        "category": _choice(data.category, Category, label="Lĩnh vực", errors=errors, key="category"),
        "severity": _choice(data.severity, Severity, label="Mức độ nghiêm trọng", errors=errors, key="severity"),
        "urgency": _choice(data.urgency, Urgency, label="Mức độ khẩn cấp", errors=errors, key="urgency"),
        "certainty": _choice(data.certainty, Certainty, label="Mức độ chắc chắn", errors=errors, key="certainty"),
        "area_description": _text(
            data.area_description,
            label="Mô tả vùng",
            max_length=300,
            required=False,
            errors=errors,
            key="area_description",
        ),
    }
    if data.starts_at is None:
        errors.setdefault("starts_at", []).append("Cần thời gian bắt đầu.")
    if data.ends_at is None:
        errors.setdefault("ends_at", []).append("Cần thời gian kết thúc.")
    if data.starts_at is not None and data.ends_at is not None:
        if timezone.is_naive(data.starts_at) or timezone.is_naive(data.ends_at):
            errors.setdefault("starts_at", []).append("Thời gian phải kèm múi giờ.")
        elif data.ends_at <= data.starts_at:
            errors.setdefault("ends_at", []).append("Thời gian kết thúc phải sau thời gian bắt đầu.")
    values["starts_at"] = data.starts_at
    values["ends_at"] = data.ends_at
    return values


def _resolve_agency(actor: User, code: str) -> Agency:
    agencies = agencies_for_writer(actor)
    if not agencies:
        raise PermissionDenied(NOT_WRITER)
    if not code:
        if len(agencies) == 1:
            return agencies[0]
        raise ValidationError({"agency": ["Hãy chọn cơ quan phát hành."]})
    for agency in agencies:
        if agency.code == code:
            return agency
    if Agency.objects.filter(code=code).exists():
        raise PermissionDenied(NOT_WRITER)
    raise ValidationError({"agency": ["Cơ quan không tồn tại."]})


def _prepare(data: AlertInput, agency: Agency) -> tuple[dict[str, Any], AreaResult]:
    errors: dict[str, list[str]] = {}
    values = _validate(data, errors)
    area: AreaResult | None = None
    try:
        area = area_build(data.area, agency=agency)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors or area is None:
        raise ValidationError(errors)
    if not values["area_description"]:
        values["area_description"] = area.description or "Khu vực cảnh báo"
    return values, area


def _save_parts(alert: Alert, parts: Sequence[AlertAreaPart]) -> None:
    alert.parts.all().delete()
    for part in parts:
        part.alert = alert
    AlertAreaPart.objects.bulk_create(parts)


def _record(alert: Alert, action: str, actor: User | None, note: str = "", **details: Any) -> None:
    AlertEvent.objects.create(alert=alert, action=action, actor=_account(actor), note=note, details=details)
    # The staff audit log (accounts), kept beside the alert's own history.
    try:
        from audit.services import audit_record
    except ImportError:  # pragma: no cover - the audit log is another app's
        return
    audit_record(actor, f"alert.{action}", obj=alert, details={"status": alert.status, **details})


def _new_identifier() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


# --- Workflow ---------------------------------------------------------------------------


@transaction.atomic
def alert_create(*, actor: User, data: AlertInput, updates: Alert | None = None) -> Alert:
    """A new draft; with `updates`, the draft of a new version of that published alert."""
    if updates is not None:
        updates = Alert.objects.select_related("agency").get(pk=updates.pk)
        _require(actor, updates.agency_id, WRITERS, NOT_WRITER)
        if updates.status != Status.APPROVED or updates.is_expired():
            raise ValidationError("Chỉ cập nhật được cảnh báo đang phát hành và còn hiệu lực.")
        agency = updates.agency
    else:
        agency = _resolve_agency(actor, data.agency)
    values, area = _prepare(data, agency)
    alert = Alert.objects.create(
        identifier=_new_identifier(),
        agency=agency,
        area=area.geom,
        references=updates,
        created_by=_account(actor),
        **values,
    )
    _save_parts(alert, area.parts)
    _record(alert, Action.CREATED, actor, updates=updates.pk if updates else None)
    return alert


def _locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update(of=("self",)).select_related("agency").get(pk=alert.pk)


@transaction.atomic
def alert_update(*, alert: Alert, actor: User, data: AlertInput) -> Alert:
    """Edit a draft (a submitted one goes back to draft only through its writer's edit)."""
    alert = _locked(alert)
    _require(actor, alert.agency_id, WRITERS, NOT_WRITER)
    if alert.status not in (Status.DRAFT, Status.SUBMITTED):
        raise ValidationError(f"Không sửa được: cảnh báo đang ở trạng thái “{alert.get_status_display()}”.")
    values, area = _prepare(data, alert.agency)
    for name, value in values.items():
        setattr(alert, name, value)
    alert.area = area.geom
    # An edit after submission needs a fresh submission.
    alert.status = Status.DRAFT
    alert.save()
    _save_parts(alert, area.parts)
    _record(alert, Action.EDITED, actor)
    return alert


@transaction.atomic
def alert_submit(*, alert: Alert, actor: User) -> Alert:
    alert = _locked(alert)
    _require(actor, alert.agency_id, WRITERS, NOT_WRITER)
    if alert.status != Status.DRAFT:
        raise ValidationError(f"Không gửi duyệt được: cảnh báo đang ở trạng thái “{alert.get_status_display()}”.")
    if alert.ends_at <= timezone.now():
        raise ValidationError({"ends_at": ["Thời gian kết thúc đã qua; hãy sửa lại trước khi gửi duyệt."]})
    alert.status = Status.SUBMITTED
    alert.submitted_by = _account(actor)
    alert.submitted_at = timezone.now()
    alert.save(update_fields=["status", "submitted_by", "submitted_at", "updated_at"])
    _record(alert, Action.SUBMITTED, actor)
    return alert


def _defer_delivery(alert: Alert, kind: str) -> None:
    job_defer(task="alerts.deliver_alert", alert_id=alert.pk, kind=kind)


@transaction.atomic
def alert_approve(*, alert: Alert, actor: User) -> Alert:
    """A leader approves (Duyệt): the alert is published, an older version it updates is superseded,
    and delivery to the people inside is queued."""
    alert = _locked(alert)
    _require(actor, alert.agency_id, [Role.LEADER], NOT_LEADER)
    if not can_approve(actor, alert):
        raise PermissionDenied(
            "Người tạo cảnh báo không được tự duyệt cảnh báo của mình; cần tài khoản phê duyệt của đơn vị."
        )
    if alert.status not in (Status.DRAFT, Status.SUBMITTED):
        raise ValidationError(f"Không duyệt được: cảnh báo đang ở trạng thái “{alert.get_status_display()}”.")
    now = timezone.now()
    if alert.ends_at <= now:
        raise ValidationError({"ends_at": ["Thời gian kết thúc đã qua; không thể phát hành."]})
    kind = DeliveryKind.ALERT
    if alert.references_id is not None:
        old = _locked(Alert(pk=alert.references_id))
        if old.status != Status.APPROVED:
            raise ValidationError("Cảnh báo được cập nhật không còn phát hành (đã hủy hoặc đã có bản cập nhật khác).")
        old.status = Status.SUPERSEDED
        old.superseded_at = now
        old.save(update_fields=["status", "superseded_at", "updated_at"])
        area_pieces_withdraw(alert=old, at=now)
        _record(old, Action.SUPERSEDED, actor, by=alert.pk)
        kind = DeliveryKind.UPDATE
    if alert.submitted_at is None:
        alert.submitted_by = _account(actor)
        alert.submitted_at = now
    alert.status = Status.APPROVED
    alert.approved_by = _account(actor)
    alert.approved_at = now
    alert.save(update_fields=["status", "submitted_by", "submitted_at", "approved_by", "approved_at", "updated_at"])
    area_pieces_publish(alert=alert)
    _record(alert, Action.APPROVED, actor)
    _defer_delivery(alert, kind)
    return alert


@transaction.atomic
def alert_cancel(*, alert: Alert, actor: User, reason: str = "") -> Alert:
    """Cancel (Hủy cảnh báo). A published alert: leaders only, and people are told (CAP Cancel).
    A draft or one awaiting approval: its writers may discard it."""
    alert = _locked(alert)
    note = strip_control(reason)[:500]
    if alert.status == Status.APPROVED:
        _require(actor, alert.agency_id, [Role.LEADER], NOT_LEADER)
        now = timezone.now()
        if alert.ends_at <= now:
            raise ValidationError("Cảnh báo đã hết hạn; không cần hủy.")
        alert.status = Status.CANCELLED
        alert.cancelled_by = _account(actor)
        alert.cancelled_at = now
        alert.cancel_reason = note
        alert.save(update_fields=["status", "cancelled_by", "cancelled_at", "cancel_reason", "updated_at"])
        area_pieces_withdraw(alert=alert, at=now)
        _record(alert, Action.CANCELLED, actor, note=note)
        _defer_delivery(alert, DeliveryKind.CANCEL)
        return alert
    if alert.status in (Status.DRAFT, Status.SUBMITTED):
        _require(actor, alert.agency_id, WRITERS, NOT_WRITER)
        alert.status = Status.CANCELLED
        alert.cancelled_by = _account(actor)
        alert.cancelled_at = timezone.now()
        alert.cancel_reason = note
        alert.save(update_fields=["status", "cancelled_by", "cancelled_at", "cancel_reason", "updated_at"])
        _record(alert, Action.CANCELLED, actor, note=note)
        return alert
    raise ValidationError(f"Không hủy được: cảnh báo đang ở trạng thái “{alert.get_status_display()}”.")


@transaction.atomic
def alert_publish_update(*, alert: Alert, actor: User, data: AlertInput) -> Alert:
    """A leader publishes a new version of a published alert at once (CAP Update); the old one is superseded."""
    alert = Alert.objects.get(pk=alert.pk)
    _require(actor, alert.agency_id, [Role.LEADER], NOT_LEADER)
    new = alert_create(actor=actor, data=data, updates=alert)
    if not can_approve(actor, new):
        raise PermissionDenied(
            "Tài khoản vừa soạn vừa xử lý không được tự phát hành bản cập nhật; hãy gửi duyệt bản cập nhật."
        )
    return alert_approve(alert=new, actor=actor)


def alert_window_default() -> tuple[datetime, datetime]:
    """The form's default window: from the next quarter hour, for a day."""
    now = timezone.localtime()
    start = now.replace(second=0, microsecond=0) + timedelta(minutes=15 - now.minute % 15)
    return start, start + timedelta(days=1)
