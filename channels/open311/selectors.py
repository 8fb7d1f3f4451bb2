"""Reads of the Open311 channel: our categories as services, public reports as service requests, and where
a request's location is. Only public fields ever leave here: no reporter name, phone, e-mail or id."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from agencies.models import Agency
from boundaries.geocoding import geocode
from boundaries.models import Level
from boundaries.places import address_places, text_fold
from boundaries.selectors import unit_point
from common.gis import CoordinateError, parse_lat_lng
from incidents.models import OPEN_STATUSES, Answer, Attachment, Category, Report, ReportStatus
from incidents.selectors import categories_with_questions, category_list, category_questions, reports_public

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this API's documents last changed (discovery's changeset: clients refresh cached services after it).
CHANGESET = "2026-12-06T00:00:00+07:00"
# The specification's default window and widest range of GET requests, and its cap on results.
WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
CLOSED_STATUSES = (ReportStatus.COMPLETED, ReportStatus.REJECTED)
OPEN, CLOSED = "open", "closed"
# As long as a report's address may be.
ADDRESS_MAX = 300
DATE_ONLY = re.compile(r"^\d{4}-\d\d-\d\d$")
DATETIME_NO_ZONE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$")


# --- services ------------------------------------------------------------------------------------------


def _keywords(category: Category) -> str:
    # Synonyms a client can match on: the code and the name without diacritics (people type "cay xanh").
    return ", ".join(dict.fromkeys([category.code, category.name.lower(), text_fold(category.name)]))


def _groups() -> dict[int, str]:
    """Category id -> the provincial department that handles it (the specification's `group`)."""
    groups: dict[int, str] = {}
    departments = Agency.objects.filter(level=Level.PROVINCE, is_active=True).prefetch_related("categories")
    for agency in departments.order_by("name"):
        for category in agency.categories.all():
            groups.setdefault(category.pk, agency.name)
    return groups


def service_list() -> list[dict[str, Any]]:
    """GET services: every active category, in the order the site offers them."""
    groups = _groups()
    return [
        {
            "service_code": category.code,
            "service_name": category.name,
            "description": category.description or None,
            # Extra questions to answer: the client reads the service definition.
            "metadata": category.has_questions,
            "type": "realtime",
            "keywords": _keywords(category),
            "group": groups.get(category.pk),
        }
        for category in categories_with_questions()
    ]


def service_get(code: str) -> Category | None:
    return category_list().filter(code=code).first() if len(code) <= 50 else None


def service_definition(category: Category) -> dict[str, Any]:
    """GET services/{code}: the category's active questions as the specification's attributes.

    `order` is the question's place, counted from 1: the specification wants positive numbers no two
    attributes share, which the questions' own sort keys need not be. The question is the attribute's
    `description`; its explanation helps the user answer (`datatype_description`).
    """
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": question.variable,
                "code": question.code,
                "datatype": question.datatype,
                "required": question.required,
                "datatype_description": question.description or None,
                "order": position,
                "description": question.prompt,
                "values": [{"key": item["key"], "name": item["name"]} for item in question.values or []],
            }
            for position, question in enumerate(category_questions(category=category), start=1)
        ],
    }


# --- requests ------------------------------------------------------------------------------------------


def w3c_parse(name: str, raw: str) -> datetime:
    """A W3C datetime (with its time zone, as the specification asks) or a day (midnight, service time)."""
    raw = raw.strip()
    if DATE_ONLY.match(raw):
        day = parse_date_safe(raw)
        if day is not None:
            # A day as end_date includes the whole day.
            start = timezone.make_aware(datetime.combine(day, time.min))
            return start + timedelta(days=1) if name == "end_date" else start
    elif DATETIME_NO_ZONE.match(raw):
        raise ValidationError({name: [f"{name} cần có múi giờ (Z hoặc ±hh:mm), ví dụ 2010-01-01T00:00:00Z."]})
    else:
        try:
            moment = parse_datetime(raw)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment
    raise ValidationError({name: [f"{name} phải là ngày giờ dạng W3C, ví dụ 2010-01-01T00:00:00Z."]})


def parse_date_safe(raw: str) -> Any:
    try:
        return parse_date(raw)
    except ValueError:
        return None


@dataclass(frozen=True)
class RequestQuery:
    """GET requests' filters, as the specification names them."""

    ids: Sequence[str] = ()
    service_codes: Sequence[str] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: Sequence[str] = ()


def request_query_parse(params: Any, *, now: datetime | None = None) -> RequestQuery:
    """The filters of GET requests; ValidationError keyed by parameter for a bad value.

    A comma list of service_request_id overrides every other filter. Without dates the window is the
    last 90 days; with one, the 90 days after the start or before the end; a wider range is refused.
    """

    def values(name: str) -> list[str]:
        return [part.strip() for raw in params.getlist(name) for part in raw.split(",") if part.strip()]

    ids = values("service_request_id")
    if ids:
        if len(ids) > MAX_RESULTS:
            raise ValidationError({"service_request_id": [f"Tối đa {MAX_RESULTS} service_request_id một lần."]})
        return RequestQuery(ids=ids)
    errors: dict[str, list[str]] = {}
    start = end = None
    for name in ("start_date", "end_date"):
        raw = params.get(name, "").strip()
        if raw:
            try:
                moment = w3c_parse(name, raw)
            except ValidationError as exc:
                errors.update(exc.message_dict)
                continue
            if name == "start_date":
                start = moment
            else:
                end = moment
    statuses = values("status")
    if any(status not in (OPEN, CLOSED) for status in statuses):
        errors["status"] = ["status chỉ nhận open và closed (có thể ghi cả hai, cách nhau bằng dấu phẩy)."]
    if errors:
        raise ValidationError(errors)
    if start is None:
        end = end or now or timezone.now()
        start = end - WINDOW
    elif end is None:
        end = start + WINDOW
    if end < start:
        raise ValidationError({"end_date": ["end_date phải sau start_date."]})
    if end - start > WINDOW:
        raise ValidationError({"end_date": [f"Khoảng từ start_date đến end_date tối đa {WINDOW.days} ngày."]})
    return RequestQuery(service_codes=values("service_code"), start=start, end=end, statuses=statuses)


def _public_parts(reports: QuerySet[Report]) -> QuerySet[Report]:
    return reports.select_related("category", "ward", "district", "province", "agency").prefetch_related(
        Prefetch(
            "answers",
            queryset=Answer.objects.filter(published_at__isnull=False).order_by("published_at", "id"),
            to_attr="published_answers",
        ),
        Prefetch(
            "attachments",
            queryset=Attachment.objects.filter(is_hidden=False, kind=Attachment.Kind.IMAGE).order_by("id"),
            to_attr="public_images",
        ),
    )


def requests_find(query: RequestQuery) -> list[Report]:
    """Public reports (of every channel) matching the query, newest first, at most MAX_RESULTS."""
    reports = reports_public()
    if query.ids:
        reports = reports.filter(code__in=[code for code in query.ids if len(code) <= 16])
    else:
        reports = reports.filter(created_at__gte=query.start, created_at__lte=query.end)
        if query.service_codes:
            reports = reports.filter(category__code__in=query.service_codes)
        if query.statuses and set(query.statuses) != {OPEN, CLOSED}:
            reports = reports.filter(status__in=OPEN_STATUSES if OPEN in query.statuses else CLOSED_STATUSES)
    return list(_public_parts(reports).order_by("-created_at", "-id")[:MAX_RESULTS])


def request_get(code: str) -> Report | None:
    """One public report by its code (our service_request_id); None, as for an unknown one, when hidden."""
    if len(code) > 16:
        return None
    return _public_parts(reports_public().filter(code=code)).first()


def _status_notes(report: Report) -> str:
    """Why the request is where it is: the published answer, else the refusal's reason, else our status."""
    answers: list[Answer] = getattr(report, "published_answers", [])
    if answers:
        return answers[-1].body
    if report.status == ReportStatus.REJECTED and report.rejection_reason:
        return report.get_rejection_reason_display()
    return report.get_status_display()


def service_notice(report: Report) -> str | None:
    if report.status not in OPEN_STATUSES:
        return None
    return f"Cơ quan xử lý trả lời trước hết ngày {report.deadline:%d/%m/%Y} (hạn xử lý)."


def _expected(report: Report) -> datetime:
    # The deadline is a day: the request is expected by the end of it, service time.
    return timezone.make_aware(datetime.combine(report.deadline, time(23, 59, 59)))


def _address(report: Report) -> str:
    units = [report.ward, report.district, report.province]
    return ", ".join(part for part in [report.address, *(unit.name for unit in units if unit)] if part)


def request_public(report: Report, *, base_url: str) -> dict[str, Any]:
    """A report as a GeoReport request, public fields only, in the specification's order."""
    closed = report.status in CLOSED_STATUSES
    images: list[Attachment] = getattr(report, "public_images", [])
    return {
        "service_request_id": report.code,
        "status": CLOSED if closed else OPEN,
        "status_notes": _status_notes(report),
        "service_name": report.category.name,
        "service_code": report.category.code,
        "description": report.description,
        "agency_responsible": report.agency.name if report.agency else None,
        "service_notice": service_notice(report),
        "requested_datetime": report.created_at,
        "updated_datetime": (report.completed_at if closed and report.completed_at else report.updated_at),
        "expected_datetime": _expected(report),
        "address": _address(report),
        "address_id": report.ward.code if report.ward else None,
        # Vietnamese postal codes are not in our boundary data.
        "zipcode": None,
        # A request filed without a place has none yet: null, as GeoReport v2 lets lat/long be absent.
        "lat": round(report.location.y, 6) if report.location is not None else None,
        "long": round(report.location.x, 6) if report.location is not None else None,
        "media_url": (base_url + reverse("report-attachment", args=[report.code, images[0].pk]) if images else None),
    }


# --- location of a new request -------------------------------------------------------------------------


def request_location(*, lat: str, long: str, address_string: str, address_id: str) -> tuple[float, float] | None:
    """(lng, lat) of a new request: `lat`+`long`, else the ward `address_id` names (a ward code), else the
    street geocoder's answer for `address_string`, else the one ward the address names; None for an address
    that names no place we know (the request is filed without a pin, routed by category over the province).
    ValidationError keyed by parameter otherwise (several wards named: the client should say more or send
    lat/long; no location at all)."""
    if lat.strip() or long.strip():
        try:
            return parse_lat_lng(lat, long)
        except CoordinateError as exc:
            message = str(exc).replace("lng", "long")
            raise ValidationError({"lat" if "lat" in message else "long": [message]}) from None
    if address_id.strip():
        point = unit_point(address_id.strip()[:50], level=Level.WARD)
        if point is None:
            raise ValidationError({"address_id": ["address_id phải là mã một phường/xã đang có hiệu lực."]})
        return point
    text = " ".join(address_string.split())
    if len(text) > ADDRESS_MAX:
        raise ValidationError({"address_string": [f"address_string dài quá {ADDRESS_MAX} ký tự."]})
    if not text:
        raise ValidationError({"lat": ["Cần vị trí: lat và long, hoặc address_string, hoặc address_id."]})
    if settings.GEOCODER_URL:
        found = geocode(text, limit=1)
        if found:
            return found[0].lng, found[0].lat
    wards = address_places(text)
    if len(wards) == 1:
        return wards[0].lng, wards[0].lat
    if wards:
        names = "; ".join(f"{ward.name} ({ward.parent})" for ward in wards[:5])
        raise ValidationError(
            {"address_string": [f"address_string khớp với nhiều phường/xã: {names}. Hãy ghi rõ hơn hoặc gửi lat/long."]}
        )
    return None
