"""Read-only warning queries: in force at a point, in a box, current ones for the feed, staff lists."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.gis.geos import Polygon
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User as Account
from agencies.models import Agency, Role
from agencies.selectors import agency_ids_for
from boundaries.models import AdminUnit
from common.db import prepared_cursor
from common.gis import SRID

from .models import Alert, AlertPiece, Status

# The point query reads only the subdivided pieces of published versions, each
# with the window it is in force in; the GiST index on the pieces finds the few
# whose box holds the point, and ST_Covers then tests small polygons.
_ACTIVE_SQL = f"""
    SELECT DISTINCT a.id, a.headline, a.category, a.severity, a.urgency, a.certainty,
        a.starts_at, a.ends_at, a.area_description, ag.name
    FROM {AlertPiece._meta.db_table} p
    JOIN {Alert._meta.db_table} a ON a.id = p.alert_id
    JOIN {Agency._meta.db_table} ag ON ag.id = a.agency_id
    WHERE ST_Covers(p.geom, ST_SetSRID(ST_MakePoint(%(lng)s::float8, %(lat)s::float8), {SRID}))
      AND p.valid_from <= %(at)s::timestamptz AND p.valid_to > %(at)s::timestamptz
    ORDER BY a.id
"""  # noqa: S608 (table names from model metadata)


@dataclass(frozen=True, slots=True)
class ActiveAlert:
    id: int
    headline: str
    category: str
    severity: str
    urgency: str
    certainty: str
    starts_at: datetime
    ends_at: datetime
    area_description: str
    agency_name: str


def alerts_active_at(lng: float, lat: float, at: datetime | None = None) -> list[ActiveAlert]:
    """The published alerts in force at `at` (now) whose area covers the point."""
    with prepared_cursor() as cursor:
        cursor.execute(_ACTIVE_SQL, {"lng": float(lng), "lat": float(lat), "at": at or timezone.now()}, prepare=True)
        return [ActiveAlert(*row) for row in cursor.fetchall()]


def published_at(at: datetime) -> Q:
    """Versions published and in force at `at`: approved by then, not yet withdrawn, inside their window."""
    return Q(
        approved_at__lte=at, starts_at__lte=at, ends_at__gt=at, status__in=[Status.APPROVED, Status.SUPERSEDED]
    ) & (Q(superseded_at__isnull=True) | Q(superseded_at__gt=at)) | Q(
        status=Status.CANCELLED, approved_at__lte=at, starts_at__lte=at, ends_at__gt=at, cancelled_at__gt=at
    )


def alerts_in_force(at: datetime | None = None) -> QuerySet[Alert]:
    """Published alerts in force at `at` (now): begun, not ended, not cancelled or replaced by then."""
    return Alert.objects.filter(published_at(at or timezone.now())).select_related("agency")


def alerts_in_bbox(bbox: tuple[float, float, float, float] | None, at: datetime | None = None) -> QuerySet[Alert]:
    """Published alerts in force at `at` (now) whose area meets the box (west, south, east, north)."""
    alerts = alerts_in_force(at)
    if bbox is not None:
        box = Polygon.from_bbox(bbox)
        box.srid = SRID
        alerts = alerts.filter(area__intersects=box)
    return alerts.annotate(geojson=AsGeoJSON("area", precision=6)).defer("area").order_by("-approved_at")


def alerts_current(now: datetime | None = None) -> QuerySet[Alert]:
    """For the feed and the public page: published, not replaced, not yet ended (in force or upcoming),
    and cancelled ones whose window has not ended, so that readers learn of the cancellation."""
    moment = now or timezone.now()
    return (
        Alert.objects.filter(status__in=[Status.APPROVED, Status.CANCELLED], ends_at__gt=moment)
        .exclude(status=Status.CANCELLED, approved_at__isnull=True)
        .select_related("agency")
        .order_by("-approved_at", "-id")
    )


def alert_published(pk: int) -> Alert | None:
    return (
        Alert.objects.filter(pk=pk, approved_at__isnull=False)
        .select_related("agency", "references")
        .prefetch_related("parts__unit")
        .first()
    )


def staff_agency_ids(user: Account) -> set[int]:
    return agency_ids_for(user, [Role.OFFICER, Role.LEADER])


def staff_alerts(user: Account, *, status: str = "") -> QuerySet[Alert]:
    """The alerts of the agencies the user writes or approves for; `status` may be "expired" too."""
    alerts = Alert.objects.filter(agency_id__in=staff_agency_ids(user)).select_related("agency", "created_by")
    now = timezone.now()
    if status == "expired":
        alerts = alerts.filter(status=Status.APPROVED, ends_at__lte=now)
    elif status == Status.APPROVED:
        alerts = alerts.filter(status=Status.APPROVED, ends_at__gt=now)
    elif status:
        alerts = alerts.filter(status=status)
    return alerts.order_by("-created_at", "-id")


def staff_alert(user: Account, pk: int) -> Alert | None:
    return (
        Alert.objects.filter(pk=pk, agency_id__in=staff_agency_ids(user))
        .select_related("agency", "references", "created_by", "approved_by", "submitted_by", "cancelled_by")
        .prefetch_related("parts__unit", "events__actor")
        .first()
    )


# Each agency's jurisdiction as one simplified outline, and the wards inside it with a label point each.
_JURISDICTION_MAP_SQL = f"""
    WITH j AS (
        SELECT aj.agency_id, ST_Union(u.geom) AS geom
        FROM {AdminUnit._meta.db_table} u
        JOIN {Agency.jurisdiction.through._meta.db_table} aj ON aj.adminunit_id = u.id
        WHERE aj.agency_id = ANY(%(agencies)s)
        GROUP BY aj.agency_id
    )
    SELECT j.agency_id, ST_AsGeoJSON(ST_SimplifyPreserveTopology(j.geom, %(tolerance)s), 5),
        (SELECT coalesce(json_agg(json_build_array(w.name, round(ST_Y(p)::numeric, 5), round(ST_X(p)::numeric, 5))
                                  ORDER BY w.name), '[]'::json)
         FROM {AdminUnit._meta.db_table} w CROSS JOIN LATERAL ST_PointOnSurface(w.geom) AS p
         WHERE w.level = 3 AND w.valid_from <= %(day)s AND (w.valid_to IS NULL OR w.valid_to > %(day)s)
           AND ST_Covers(j.geom, p))
    FROM j
"""  # noqa: S608 (table names from model metadata)


def agency_jurisdiction_maps(agencies: list[Agency]) -> dict[str, dict[str, Any]]:
    """For the warning editor: per agency code, its jurisdiction's outline (GeoJSON) and its wards'
    names with a point inside each ([name, lat, lng]) to label them on the map."""
    codes = {agency.pk: agency.code for agency in agencies}
    with connection.cursor() as cursor:
        cursor.execute(
            _JURISDICTION_MAP_SQL,
            {"agencies": list(codes), "tolerance": 0.0005, "day": timezone.localdate()},
        )
        rows = cursor.fetchall()
    return {
        codes[agency_id]: {
            "outline": json.loads(outline),
            "wards": wards if isinstance(wards, list) else json.loads(wards),
        }
        for agency_id, outline, wards in rows
        if outline
    }


def area_geojson(alert: Alert) -> dict[str, Any]:
    geojson: dict[str, Any] = json.loads(alert.area.geojson)
    return geojson
