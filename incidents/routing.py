"""Routing, the one path from a point to the units it lies in and the agency that handles it.

Intake routes a new report through `report_route` (one round trip: the unit under the pin, its
chain and the agency, with a prepared statement); a stored report is routed again through the same
function (`route_report`) and re-located in bulk after a boundary change (`reports_relocate`).
The agency is the most specific one for the chain of units and the category (`_agency_pick`).
A report without a pin (a channel that could not find the place, `report_route_unlocated`) is routed
the same way over the served province alone: a provincial department handling its category, else the
province's general receiving agency; staff set its pin later (`route_report` again).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from agencies.models import Agency
from boundaries.models import AdminUnit
from boundaries.selectors import (
    COVERING_UNIT_SQL,
    Location,
    UnitRef,
    locate,
    locate_many,
    location_of,
    province_served,
)
from common.db import prepared_cursor

from .models import Category, Report

OUTSIDE_MESSAGE = "Vị trí nằm ngoài địa bàn tiếp nhận. Hãy đặt ghim trong phạm vi tỉnh."
NO_PROVINCE_MESSAGE = "Hãy chọn vị trí: chưa xác định được tỉnh tiếp nhận phản ánh không có vị trí."


@dataclass(frozen=True)
class Routing:
    location: Location
    agency: Agency | None


_AGENCY_COLUMNS = [
    "id",
    "code",
    "name",
    "level",
    "parent_id",
    "email",
    "phone",
    "answer_requires_approval",
    "is_active",
]


def _agency_pick(chain: str) -> str:
    """SQL choosing the most specific agency for a chain of units given as `chain` (columns id, level).

    One that handles the category over one that handles everything, then the
    finest jurisdiction, then the code, so the choice is deterministic.
    """
    return f"""
        SELECT {", ".join("a." + column for column in _AGENCY_COLUMNS)} FROM {Agency._meta.db_table} a
        JOIN {Agency.jurisdiction.through._meta.db_table} j ON j.agency_id = a.id
        JOIN {chain} ON u.id = j.adminunit_id
        CROSS JOIN LATERAL (
            SELECT count(*) > 0 AS specialised, bool_or(c.category_id = %(category)s) AS handles
            FROM {Agency.categories.through._meta.db_table} c WHERE c.agency_id = a.id
        ) rules
        WHERE a.is_active AND (NOT rules.specialised OR rules.handles)
        ORDER BY rules.specialised DESC, u.level DESC, a.code
        LIMIT 1
    """  # noqa: S608 (table names from model metadata)


_AGENCY_SQL = _agency_pick("unnest(%(units)s::bigint[], %(levels)s::smallint[]) AS u(id, level)")
_UNITS = AdminUnit._meta.db_table
# Intake's routing in one round trip: the unit under the pin, its chain, and the agency.
_ROUTE_SQL = f"""
    WITH hit AS ({COVERING_UNIT_SQL}),
    chain AS (
        SELECT u.id, u.level FROM hit JOIN {_UNITS} u ON u.id = hit.unit_id
        UNION ALL
        SELECT p.id, p.level FROM hit JOIN {_UNITS} u ON u.id = hit.unit_id JOIN {_UNITS} p ON p.id = u.parent_id
        UNION ALL
        SELECT g.id, g.level FROM hit JOIN {_UNITS} u ON u.id = hit.unit_id JOIN {_UNITS} p ON p.id = u.parent_id
            JOIN {_UNITS} g ON g.id = p.parent_id
    )
    SELECT hit.unit_id, agency.* FROM hit LEFT JOIN LATERAL ({_agency_pick("chain u")}) agency ON true
"""  # noqa: S608


def report_route(*, lng: float, lat: float, category: Category) -> Routing:
    """Which units contain the pin and which agency handles it (see _agency_pick)."""
    with prepared_cursor() as cursor:
        cursor.execute(_ROUTE_SQL, {"lng": float(lng), "lat": float(lat), "category": category.pk}, prepare=True)
        row = cursor.fetchone()
    location = location_of(row[0]) if row is not None else None
    if row is None or location is None:
        # No unit covers the pin: within the tolerance the nearest one takes it.
        location = locate(lng, lat)
        if location is None:
            raise ValidationError({"location": [OUTSIDE_MESSAGE]})
        return Routing(location=location, agency=agency_for(location=location, category=category))
    agency = Agency(**dict(zip(_AGENCY_COLUMNS, row[1:], strict=True))) if row[1] is not None else None
    return Routing(location=location, agency=agency)


def report_route_unlocated(*, category: Category) -> Routing:
    """The routing of a report whose place is unknown: the served province, and the agency that
    `_agency_pick` chooses over it alone (a provincial department for the category, else the general one)."""
    location = province_served()
    if location is None:
        raise ValidationError({"location": [NO_PROVINCE_MESSAGE]})
    return Routing(location=location, agency=agency_for(location=location, category=category))


def agency_for(*, location: Location, category: Category) -> Agency | None:
    # One plain query: routing runs on every intake, and the ORM form of this
    # (M2M joins, Exists, a filtered Max) costs more to compile than to run.
    with prepared_cursor() as cursor:
        cursor.execute(
            _AGENCY_SQL,
            {
                "category": category.pk,
                "units": [unit.id for unit in location.chain],
                "levels": [unit.level for unit in location.chain],
            },
            prepare=True,
        )
        row = cursor.fetchone()
    return Agency(**dict(zip(_AGENCY_COLUMNS, row, strict=True))) if row else None


def units_cache(report: Report, location: Location) -> None:
    """Attach the located units to the new report, so answering with it needs no more queries."""

    def unit(ref: UnitRef | None) -> AdminUnit | None:
        if ref is None:
            return None
        return AdminUnit(id=ref.id, code=ref.code, name=ref.name, kind=ref.kind, level=ref.level)

    report.ward, report.district = unit(location.ward), unit(location.district)
    report.province = unit(location.province) or unit(location.chain[-1])  # type: ignore[assignment]


def route_report(*, report: Report) -> None:
    """Re-locate a stored report (after a boundary change) and re-assign it if it is still open."""
    update = report_reroute(report)
    report.save(update_fields=[*update, "updated_at"])


def report_reroute(report: Report) -> list[str]:
    """Route a report again from its pin (or, without one, over the province), in memory: its units, and
    its agency if it is still open and another one handles it now. Returns the fields changed."""
    if report.location is None:
        routing = report_route_unlocated(category=report.category)
    else:
        routing = report_route(lng=report.location.x, lat=report.location.y, category=report.category)
    location_apply(report, routing.location)
    update = ["ward", "district", "province"]
    if report.is_open and routing.agency is not None and routing.agency.pk != report.agency_id:
        report.agency = routing.agency
        update.append("agency")
    return update


def location_apply(report: Report, location: Location) -> None:
    report.ward_id = location.ward.id if location.ward else None
    report.district_id = location.district.id if location.district else None
    report.province_id = location.province.id if location.province else location.chain[-1].id


def reports_relocate(*, batch_size: int = 50_000) -> int:
    """Re-locate every stored report against the boundaries in force (the batch lookup path).

    Only the units change; agencies stay, as officers already work on them.
    Returns how many reports changed units.
    """
    changed = 0
    last_id = 0
    while True:
        rows = list(
            # A report without a pin keeps its province: only staff setting the pin locate it.
            Report.objects.filter(pk__gt=last_id, location__isnull=False)
            .order_by("pk")
            .values_list("pk", "location", "ward_id", "district_id", "province_id")[:batch_size]
        )
        if not rows:
            return changed
        last_id = rows[-1][0]
        located = locate_many([(row[1].x, row[1].y) for row in rows if row[1] is not None])
        updates = []
        for row, location in zip(rows, located, strict=True):
            if location is None:
                continue
            report = Report(pk=row[0])
            location_apply(report, location)
            if (report.ward_id, report.district_id, report.province_id) != row[2:]:
                updates.append(report)
        with transaction.atomic():
            Report.objects.bulk_update(updates, ["ward", "district", "province"], batch_size=1000)
        changed += len(updates)
