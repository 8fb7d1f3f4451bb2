"""Staff set the pin of a report: mostly one filed without a place (an e-mail that named none), which
intake routed over the province by category; or its reporter sends the place later (report_add_location).
The pin is checked like an intake's (inside the province served), and the report is routed again through
the one routing path (incidents.routing): its ward and district, and its agency while it is open.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from agencies.models import Role
from common.gis import CoordinateError, make_point, parse_lat_lng

from ..models import OPEN_STATUSES, Report, ReportStatus
from ..routing import OUTSIDE_MESSAGE, report_reroute
from .base import Action, User, _audit, _locked, _require, _transition
from .files import answers_unpublished_delete
from .messages import _notify_agency


@transaction.atomic
def report_set_location(*, report: Report, actor: User, lat: Any, lng: Any, ip_address: str | None = None) -> Report:
    """Pin the report at (lat, lng) and route it again; audited, and told in its history.

    ValidationError keyed "location" for a bad point or one outside the report's province; nothing is
    stored then. An open report whose new place belongs to another agency goes there (forwarded again).
    """
    report = _locked(report)
    _require(actor, report, [Role.OFFICER, Role.LEADER])
    had_pin, previous_agency = report.location is not None, report.agency
    point = _pin(report, lat, lng, actor=actor, ip_address=ip_address)
    _audit(
        actor,
        "report.locate",
        report,
        lng=round(point[0], 6),
        lat=round(point[1], 6),
        had_pin=had_pin,
        ward=report.ward.code if report.ward else "",
        from_agency=previous_agency.code if previous_agency else "",
        to_agency=report.agency.code if report.agency else "",
    )
    return report


@transaction.atomic
def report_add_location(*, report: Report, lat: Any, lng: Any) -> Report:
    """The reporter sends the place of their report filed without one (an e-mail reply in its thread): pinned
    and routed as staff would (report_set_location). A report that has a pin keeps it (ValidationError):
    only staff move a pin. The channel checks that the sender is the reporter."""
    report = _locked(report)
    if report.location is not None:
        raise ValidationError({"location": ["Phản ánh đã có vị trí."]})
    _pin(report, lat, lng, actor=None, ip_address=None, by_reporter=True)
    return report


def _pin(
    report: Report, lat: Any, lng: Any, *, actor: User | None, ip_address: str | None, by_reporter: bool = False
) -> tuple[float, float]:
    """Set the locked report's pin, route it again, store it with its history; the point as (lng, lat)."""
    try:
        lng_value, lat_value = parse_lat_lng(lat, lng)
    except CoordinateError as exc:
        raise ValidationError({"location": [str(exc)]}) from exc
    province_id = report.province_id
    report.location = make_point(lng_value, lat_value)
    try:
        fields = report_reroute(report)
    except ValidationError as exc:
        raise ValidationError({"location": exc.message_dict.get("location", [OUTSIDE_MESSAGE])}) from exc
    if report.province_id != province_id:
        raise ValidationError({"location": [OUTSIDE_MESSAGE]})
    place = ", ".join(unit.name for unit in (report.ward, report.district) if unit is not None)
    who = "Người gửi bổ sung vị trí" if by_reporter else "Đã xác định vị trí"
    _transition(
        report,
        action=Action.LOCATED,
        to_status=None,
        actor=actor,
        note=f"{who}: {place}." if place else f"{who}.",
        ip_address=ip_address,
    )
    moved = "agency" in fields and report.status in OPEN_STATUSES
    if moved:
        # As a reassignment: the new agency takes it up from the start.
        answers_unpublished_delete(report)
        _transition(
            report,
            action=Action.REASSIGNED,
            to_status=ReportStatus.FORWARDED,
            actor=actor,
            agency=report.agency,
            note=f"Tự động chuyển theo vị trí: {report.agency.name}",  # type: ignore[union-attr]
            ip_address=ip_address,
        )
        fields.append("status")
    report.save(update_fields=["location", *fields, "updated_at"])
    if moved:
        _notify_agency(report)
    return lng_value, lat_value
