"""Writes for warnings: drafts, the submit → approve → update/cancel workflow, and delivery.

Every step goes through one function here that checks who may do it (officers
and leaders of the issuing agency write and submit; only leaders approve and
cancel), records it in the alert's history and the staff audit log, and, for
published steps, defers the delivery job in the same transaction.
"""

from __future__ import annotations

import json
import logging
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Polygon
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.models import User as Account
from agencies.models import Agency, Role
from agencies.selectors import agency_ids_for
from boundaries.models import AdminUnit
from common.gis import CoordinateError, make_point, metres_to_degrees, parse_lat_lng, to_multipolygon
from common.jobs import job_defer, jobs_defer
from common.text import clean_text, strip_control
from notifications.models import Notification, PushSubscription

from .models import (
    Alert,
    AlertAreaPart,
    AlertDelivery,
    AlertEvent,
    AlertPiece,
    Category,
    Certainty,
    DeliveryKind,
    Severity,
    Status,
    Urgency,
)

logger = logging.getLogger(__name__)

User = Account | AnonymousUser
Action = AlertEvent.Action
Kind = AlertAreaPart.Kind

# Circles: at least a few metres, at most a province across.
MAX_RADIUS_M = 100_000.0
MAX_PARTS = 50
# Vertices of all the drawn polygons of one warning together (every ring of every part).
MAX_POLYGON_VERTICES = 5_000
# An area may stick out of the jurisdiction by this much (drawing by hand on a border).
JURISDICTION_TOLERANCE_M = 100.0
# A ward counts as inside when at least this share of it lies in the area (borders only touch).
WARD_SHARE = 0.01
# Notifications per delivery job.
DELIVERY_BATCH = 1000


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


@dataclass
class AreaResult:
    geom: MultiPolygon
    parts: list[AlertAreaPart]
    description: str


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


def _polygon_from_geojson(raw: Any, index: int) -> list[Polygon]:
    where = f"Vùng vẽ thứ {index}"
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ValidationError(f"{where}: GeoJSON không đọc được.") from None
    if isinstance(raw, dict) and raw.get("type") == "Feature":
        raw = raw.get("geometry")
    if not isinstance(raw, dict) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValidationError(f"{where}: cần một GeoJSON Polygon (hoặc MultiPolygon).")
    coordinates = raw.get("coordinates")
    try:
        geom = GEOSGeometry(json.dumps({"type": raw["type"], "coordinates": coordinates}), srid=4326)
    except (GEOSException, GDALException, ValueError, TypeError):
        raise ValidationError(f"{where}: GeoJSON sai cấu trúc (mỗi vòng cần ít nhất 4 điểm, khép kín).") from None
    # Every ring of every polygon counts, before any of them is checked (validity costs per vertex).
    if geom.num_points > MAX_POLYGON_VERTICES:
        raise ValidationError(f"{where}: quá nhiều đỉnh (tối đa {MAX_POLYGON_VERTICES} cho cả vùng).")
    polygons: list[Polygon] = [p for p in geom if isinstance(p, Polygon)] if isinstance(geom, MultiPolygon) else []
    if isinstance(geom, Polygon):
        polygons = [geom]
    for polygon in polygons:
        for x, y in polygon.exterior_ring.coords:
            if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
                raise ValidationError(f"{where}: tọa độ nằm ngoài phạm vi (kinh độ -180..180, vĩ độ -90..90).")
        if not polygon.valid:
            raise ValidationError(
                f"{where} tự cắt nhau hoặc không hợp lệ ({polygon.valid_reason}). "
                "Hãy vẽ lại sao cho các cạnh không cắt nhau."
            )
        if polygon.area <= 0:
            raise ValidationError(f"{where}: vùng có diện tích bằng 0.")
    return polygons


def _parse_parts(raw_parts: Any) -> list[AlertAreaPart]:
    if not isinstance(raw_parts, list) or not raw_parts:
        raise ValidationError("Cần ít nhất một vùng: vẽ đa giác, vẽ hình tròn hoặc chọn đơn vị hành chính.")
    if len(raw_parts) > MAX_PARTS:
        raise ValidationError(f"Tối đa {MAX_PARTS} phần vùng cho một cảnh báo.")
    parts: list[AlertAreaPart] = []
    unit_codes: list[str] = []
    vertices = 0
    for index, raw in enumerate(raw_parts, start=1):
        if not isinstance(raw, dict):
            raise ValidationError(f"Phần vùng thứ {index} không hợp lệ.")
        kind = raw.get("kind")
        if kind == Kind.POLYGON:
            for polygon in _polygon_from_geojson(raw.get("geometry"), index):
                # The limit holds for the whole area, not per part: many parts just under it add up.
                vertices += polygon.num_points
                if vertices > MAX_POLYGON_VERTICES:
                    raise ValidationError(f"Cả vùng cảnh báo có quá nhiều đỉnh (tối đa {MAX_POLYGON_VERTICES}).")
                parts.append(AlertAreaPart(kind=Kind.POLYGON, polygon=polygon))
        elif kind == Kind.CIRCLE:
            try:
                lng, lat = parse_lat_lng(raw.get("lat"), raw.get("lng"))
            except CoordinateError as exc:
                raise ValidationError(f"Hình tròn thứ {index}: {exc}") from None
            try:
                radius = float(raw.get("radius_m"))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise ValidationError(f"Hình tròn thứ {index}: bán kính phải là một số (mét).") from None
            if not math.isfinite(radius) or radius <= 0:
                raise ValidationError(f"Hình tròn thứ {index}: bán kính phải lớn hơn 0 mét.")
            if radius > MAX_RADIUS_M:
                raise ValidationError(
                    f"Hình tròn thứ {index}: bán kính tối đa {MAX_RADIUS_M / 1000:g} km; vùng lớn hơn hãy chọn "
                    "đơn vị hành chính."
                )
            parts.append(AlertAreaPart(kind=Kind.CIRCLE, center=make_point(lng, lat), radius_m=radius))
        elif kind == Kind.UNIT:
            code = str(raw.get("code") or "").strip()
            if not code:
                raise ValidationError(f"Phần vùng thứ {index}: thiếu mã đơn vị hành chính.")
            unit_codes.append(code)
            parts.append(AlertAreaPart(kind=Kind.UNIT, unit=AdminUnit(code=code)))
        else:
            raise ValidationError(f"Phần vùng thứ {index}: loại phải là polygon, circle hoặc unit.")
    if unit_codes:
        units = {u.code: u for u in AdminUnit.objects.current().filter(code__in=unit_codes).defer("geom")}
        missing = [code for code in unit_codes if code not in units]
        if missing:
            raise ValidationError(f"Không có đơn vị hành chính mã {', '.join(missing)}.")
        for part in parts:
            if part.kind == Kind.UNIT:
                part.unit = units[part.unit.code]  # type: ignore[union-attr]
    for position, part in enumerate(parts):
        part.position = position
    return parts


_UNION_SQL = f"""
    SELECT ST_AsEWKB(ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(g)), 3)))
    FROM (
        SELECT ST_GeomFromEWKB(b) AS g FROM unnest(%(polygons)s::bytea[]) AS b
        UNION ALL
        SELECT ST_Buffer(ST_SetSRID(ST_MakePoint(c.lng, c.lat), 4326)::geography, c.r, 'quad_segs=16')::geometry
        FROM unnest(%(lngs)s::float8[], %(lats)s::float8[], %(radii)s::float8[]) AS c(lng, lat, r)
        UNION ALL
        SELECT geom FROM {AdminUnit._meta.db_table} WHERE id = ANY(%(units)s::bigint[])
    ) s
"""  # noqa: S608 (table name from model metadata)


def area_union(parts: Sequence[AlertAreaPart]) -> MultiPolygon:
    """The parts as one valid MultiPolygon: polygons, circles buffered in metres, unit geometries."""
    polygons = [bytes(p.polygon.ewkb) for p in parts if p.kind == Kind.POLYGON and p.polygon is not None]
    circles = [p for p in parts if p.kind == Kind.CIRCLE and p.center is not None]
    with connection.cursor() as cursor:
        cursor.execute(
            _UNION_SQL,
            {
                "polygons": polygons,
                "lngs": [p.center.x for p in circles],  # type: ignore[union-attr]
                "lats": [p.center.y for p in circles],  # type: ignore[union-attr]
                "radii": [p.radius_m for p in circles],
                "units": [p.unit_id or p.unit.pk for p in parts if p.kind == Kind.UNIT and p.unit is not None],
            },
        )
        (raw,) = cursor.fetchone()
    if raw is None:
        raise ValidationError("Vùng cảnh báo trống.")
    geom = to_multipolygon(GEOSGeometry(memoryview(bytes(raw))))
    geom.srid = 4326
    if geom.empty:
        raise ValidationError("Vùng cảnh báo trống.")
    return geom


_JURISDICTION_SQL = f"""
    WITH j AS (
        SELECT ST_Union(u.geom) AS geom FROM {AdminUnit._meta.db_table} u
        JOIN {Agency.jurisdiction.through._meta.db_table} aj ON aj.adminunit_id = u.id
        WHERE aj.agency_id = %(agency)s
    )
    SELECT j.geom IS NOT NULL,
        CASE WHEN j.geom IS NULL THEN false
             WHEN ST_Covers(j.geom, %(area)s::geometry) THEN true
             ELSE ST_Covers(ST_Buffer(j.geom, %(tolerance)s), %(area)s::geometry) END
    FROM j
"""  # noqa: S608


def area_check_jurisdiction(geom: MultiPolygon, agency: Agency) -> None:
    """Refuse an area reaching outside the agency's jurisdiction (beyond a small tolerance)."""
    tolerance = metres_to_degrees(JURISDICTION_TOLERANCE_M, geom.centroid.y)
    with connection.cursor() as cursor:
        cursor.execute(_JURISDICTION_SQL, {"agency": agency.pk, "area": geom.ewkb, "tolerance": tolerance})
        has, inside = cursor.fetchone()
    if not has:
        raise ValidationError(f"Cơ quan “{agency.name}” chưa được giao địa bàn nên chưa phát hành được cảnh báo.")
    if not inside:
        raise ValidationError(
            f"Vùng cảnh báo vượt ra ngoài địa bàn quản lý của “{agency.name}”. "
            "Hãy thu hẹp vùng vẽ hoặc chọn đơn vị hành chính trong địa bàn."
        )


def _describe(parts: Sequence[AlertAreaPart]) -> str:
    names = [p.unit.name for p in parts if p.kind == Kind.UNIT and p.unit is not None]
    drawn = sum(1 for p in parts if p.kind != Kind.UNIT)
    if drawn:
        names.append("khu vực khoanh vẽ trên bản đồ")
    return "; ".join(names)[:300]


def area_build(raw_parts: Any, *, agency: Agency | None = None) -> AreaResult:
    """Parse, union and (with an agency) check an area; ValidationError keyed "area" on bad input."""
    try:
        parts = _parse_parts(raw_parts)
        geom = area_union(parts)
        if agency is not None:
            area_check_jurisdiction(geom, agency)
    except ValidationError as exc:
        raise ValidationError({"area": exc.messages}) from None
    return AreaResult(geom=geom, parts=parts, description=_describe(parts))


_PEOPLE_SQL_TEMPLATE = """
    people AS (
        SELECT sp.user_id FROM {places} sp
        WHERE sp.ward_id IN (
            SELECT w.id FROM {units} w, area
            WHERE w.level = 3 AND ST_Intersects(w.geom, area.geom)
              AND ST_Area(ST_Intersection(w.geom, area.geom)) > %(share)s * ST_Area(w.geom)
        )
        UNION
        SELECT sp.user_id FROM {places} sp, area
        WHERE sp.location IS NOT NULL AND ST_Covers(area.geom, sp.location)
    )
"""


def _people_sql() -> str:
    from accounts.models import SavedPlace

    return _PEOPLE_SQL_TEMPLATE.format(places=SavedPlace._meta.db_table, units=AdminUnit._meta.db_table)


def area_people_count(geom: MultiPolygon) -> int:
    """How many opted-in people have a saved place (ward or point) inside the area."""
    users = Account._meta.db_table
    count_sql = (
        f"SELECT count(*) FROM {users} u JOIN people p ON p.user_id = u.id WHERE u.notify_alerts AND u.is_active"  # noqa: S608
    )
    sql = "WITH area AS (SELECT %(area)s::geometry AS geom), " + _people_sql() + count_sql
    with connection.cursor() as cursor:
        cursor.execute(sql, {"area": geom.ewkb, "share": WARD_SHARE})
        (count,) = cursor.fetchone()
    return int(count)


# People counts are only ever shown in these bands: an exact count over areas of one's choosing
# would find a person's saved home by bisection.
PEOPLE_BANDS = (10, 100, 1_000, 10_000, 100_000)


@dataclass(frozen=True)
class PeopleBand:
    """[low, high) people; high None for the top band."""

    low: int
    high: int | None

    @property
    def label(self) -> str:
        low, high = number_format(self.low, force_grouping=True), number_format(self.high or 0, force_grouping=True)
        if self.low == 0:
            return _("Dưới %(high)s người") % {"high": high}
        if self.high is None:
            return _("Từ %(low)s người trở lên") % {"low": low}
        return _("Từ %(low)s đến %(high)s người") % {"low": low, "high": high}


def people_band(count: int) -> PeopleBand:
    low = 0
    for high in PEOPLE_BANDS:
        if count < high:
            return PeopleBand(low=low, high=high)
        low = high
    return PeopleBand(low=low, high=None)


@dataclass(frozen=True)
class AreaPreview:
    geom: MultiPolygon
    people: PeopleBand


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
    return AreaPreview(geom=result.geom, people=band)


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


_PIECES_SQL = f"""
    INSERT INTO {AlertPiece._meta.db_table} (alert_id, geom, valid_from, valid_to)
    SELECT a.id, s.geom, greatest(a.starts_at, a.approved_at), a.ends_at
    FROM {Alert._meta.db_table} a
    CROSS JOIN LATERAL ST_Subdivide(a.area, %(vertices)s) AS s(geom)
    WHERE a.id = %(alert)s
"""  # noqa: S608


def _pieces_publish(alert: Alert) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_PIECES_SQL, {"alert": alert.pk, "vertices": settings.BOUNDARY_PIECE_MAX_VERTICES})


def _pieces_withdraw(alert: Alert, at: datetime) -> None:
    AlertPiece.objects.filter(alert=alert, valid_to__gt=at).update(valid_to=at)


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
        _pieces_withdraw(old, now)
        _record(old, Action.SUPERSEDED, actor, by=alert.pk)
        kind = DeliveryKind.UPDATE
    if alert.submitted_at is None:
        alert.submitted_by = _account(actor)
        alert.submitted_at = now
    alert.status = Status.APPROVED
    alert.approved_by = _account(actor)
    alert.approved_at = now
    alert.save(update_fields=["status", "submitted_by", "submitted_at", "approved_by", "approved_at", "updated_at"])
    _pieces_publish(alert)
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
        _pieces_withdraw(alert, now)
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


# --- Delivery (worker side) ------------------------------------------------------------------


def _local(value: datetime) -> str:
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y")


def _messages(alert: Alert, kind: str) -> dict[str, str]:
    prefix: str = {
        DeliveryKind.ALERT: "Cảnh báo",
        DeliveryKind.UPDATE: "Cập nhật cảnh báo",
        DeliveryKind.CANCEL: "Hủy cảnh báo",
    }[DeliveryKind(kind)]
    url = f"{settings.SITE_URL.rstrip('/')}/canh-bao/{alert.pk}/"
    window = f"{_local(alert.starts_at)} đến {_local(alert.ends_at)}"
    if kind == DeliveryKind.CANCEL:
        sms = f"[{prefix}] {alert.headline} ({alert.area_description}) đã được hủy. Chi tiết: {url}"
        text = f"{alert.agency.name} đã hủy cảnh báo “{alert.headline}” cho {alert.area_description}."
    else:
        sms = f"[{prefix}] {alert.headline}. Khu vực: {alert.area_description}. Hiệu lực từ {window}. Chi tiết: {url}"
        text = (
            f"{alert.agency.name} thông báo: {alert.headline}\n\nKhu vực: {alert.area_description}\n"
            f"Hiệu lực: từ {window}\n\n{alert.description}\n"
            + (f"\nHướng dẫn: {alert.instruction}\n" if alert.instruction else "")
        )
    subject = f"[{prefix}] {alert.headline}"
    return {
        "subject": subject[:255],
        "sms": sms,
        "email": text + f"\nXem chi tiết và bản đồ: {url}\n",
        "push": json.dumps({"title": subject, "body": sms, "url": url, "tag": f"alert-{alert.pk}"}, ensure_ascii=False),
    }


def _resolve_sql() -> str:
    """Record the newly reached people (the unique key skips anyone told before); their delivery ids."""
    head = f"WITH area AS (SELECT area AS geom FROM {Alert._meta.db_table} WHERE id = %(alert)s), "  # noqa: S608
    tail = f""",
    delivered AS (
        INSERT INTO {AlertDelivery._meta.db_table} (alert_id, user_id, kind, created_at)
        SELECT %(alert)s, u.id, %(kind)s, now() FROM {Account._meta.db_table} u JOIN people p ON p.user_id = u.id
        WHERE u.notify_alerts AND u.is_active
        ON CONFLICT (alert_id, user_id, kind) DO NOTHING
        RETURNING id
    )
    SELECT coalesce(array_agg(id ORDER BY id), '{{}}') FROM delivered
    """  # noqa: S608 (table names from model metadata)
    return head + _people_sql() + tail


_OUTBOX_COLUMNS = (
    "channel, recipient, subject, body, status, attempts, last_error, dedupe_key, created_at, push_subscription_id"
)


def _outbox_sql() -> str:
    """The messages for a slice of deliveries: SMS, e-mail and each browser subscription, each with its
    dedupe key, so that writing the same slice again adds nothing."""
    users = Account._meta.db_table
    deliveries = AlertDelivery._meta.db_table
    pushes = PushSubscription._meta.db_table
    return f"""
    WITH d AS (SELECT user_id FROM {deliveries} WHERE id = ANY(%(ids)s::bigint[]))
    INSERT INTO {Notification._meta.db_table} ({_OUTBOX_COLUMNS})
    SELECT 'sms', u.phone, '', %(sms)s, 'queued', 0, '', %(key)s || 'sms:' || u.id, now(), NULL::bigint
    FROM d JOIN {users} u ON u.id = d.user_id
    WHERE u.notify_by_sms AND u.phone IS NOT NULL AND u.phone <> ''
    UNION ALL
    SELECT 'email', u.email, %(subject)s, %(email)s, 'queued', 0, '', %(key)s || 'email:' || u.id, now(), NULL
    FROM d JOIN {users} u ON u.id = d.user_id
    WHERE u.notify_by_email AND u.email <> ''
    UNION ALL
    SELECT 'webpush', 'push:' || s.id, %(subject)s, %(push)s, 'queued', 0, '', %(key)s || 'push:' || s.id, now(), s.id
    FROM d JOIN {pushes} s ON s.user_id = d.user_id
    ON CONFLICT (dedupe_key) DO NOTHING
    """  # noqa: S608 (table names from model metadata)


def _anonymous_push_sql() -> str:
    # Browsers subscribed without an account get every warning of the service.
    pushes = PushSubscription._meta.db_table
    return f"""
    INSERT INTO {Notification._meta.db_table} ({_OUTBOX_COLUMNS})
    SELECT 'webpush', 'push:' || s.id, %(subject)s, %(push)s, 'queued', 0, '', %(key)s || 'push:' || s.id, now(), s.id
    FROM {pushes} s WHERE s.user_id IS NULL
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id
    """  # noqa: S608


@dataclass(frozen=True)
class DeliveryResult:
    people: int
    notifications: int
    jobs: int


def _key(alert: Alert, kind: str) -> str:
    return f"alert:{alert.pk}:{kind}:"


@transaction.atomic
def alert_deliver(*, alert_id: int, kind: str) -> DeliveryResult:
    """Find the opted-in people with a saved place inside the area and queue them, once per person and event.

    One statement resolves the people and records a delivery for each one not
    recorded before (the unique (alert, user, kind) key); the new deliveries
    are handed to batch jobs (`alert_deliver_batch`), deferred in bulk in the
    same transaction. Run twice, the second run finds everyone recorded and
    queues nothing.
    """
    alert = Alert.objects.select_related("agency").get(pk=alert_id)
    if kind != DeliveryKind.CANCEL and (alert.status != Status.APPROVED or alert.ends_at <= timezone.now()):
        # Replaced, cancelled or ended before the worker got here: that news goes out instead.
        return DeliveryResult(people=0, notifications=0, jobs=0)
    messages = _messages(alert, kind)
    with connection.cursor() as cursor:
        # JIT compiling costs more than this one-off statement gains from it.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(_resolve_sql(), {"alert": alert.pk, "kind": kind, "share": WARD_SHARE})
        (ids,) = cursor.fetchone()
        cursor.execute(_anonymous_push_sql(), {"key": _key(alert, kind), **messages})
        anonymous = [row[0] for row in cursor.fetchall()]
    batches = [ids[i : i + DELIVERY_BATCH] for i in range(0, len(ids), DELIVERY_BATCH)]
    if batches:
        jobs_defer(
            task="alerts.deliver_alert_batch",
            arguments=({"alert_id": alert.pk, "kind": kind, "delivery_ids": batch} for batch in batches),
        )
    if anonymous:
        job_defer(task="notifications.deliver_notifications", notification_ids=anonymous)
    if ids or anonymous:
        AlertEvent.objects.create(
            alert=alert,
            action=Action.DELIVERED,
            details={"kind": kind, "people": len(ids), "browsers": len(anonymous)},
        )
    return DeliveryResult(people=len(ids), notifications=len(anonymous), jobs=len(batches) + bool(anonymous))


def alert_deliver_batch(*, alert_id: int, kind: str, delivery_ids: list[int], last_attempt: bool = False) -> int:
    """Write a batch of deliveries' messages to the outbox and send them; returns how many were written.

    Each message has a dedupe key, and each is sent at most once (notification_deliver),
    so a retried batch neither writes nor sends anything twice.
    """
    from notifications.services import notification_deliver_many

    alert = Alert.objects.select_related("agency").get(pk=alert_id)
    messages = _messages(alert, kind)
    key = _key(alert, kind)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_outbox_sql(), {"ids": delivery_ids, "key": key, **messages})
        written = cursor.rowcount
    users = AlertDelivery.objects.filter(id__in=delivery_ids).values("user_id")
    pushes = PushSubscription.objects.filter(user_id__in=users).values_list("id", flat=True)
    keys = [
        f"{key}{channel}:{user}" for user in users.values_list("user_id", flat=True) for channel in ("sms", "email")
    ]
    keys += [f"{key}push:{push}" for push in pushes]
    pending = list(
        Notification.objects.filter(dedupe_key__in=keys)
        .exclude(status=Notification.Status.SENT)
        .order_by("id")
        .values_list("id", flat=True)
    )
    notification_deliver_many(notification_ids=pending, last_attempt=last_attempt)
    return max(written, 0)


def alert_window_default() -> tuple[datetime, datetime]:
    """The form's default window: from the next quarter hour, for a day."""
    now = timezone.localtime()
    start = now.replace(second=0, microsecond=0) + timedelta(minutes=15 - now.minute % 15)
    return start, start + timedelta(days=1)
