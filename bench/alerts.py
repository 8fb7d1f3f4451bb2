"""Warning figures (issue: warnings): the point query over a history of alerts, and the fan-out.

- alert_active_p50_ms / alert_active_p99_ms: `alerts_active_at` (what GET /api/v1/alerts/active runs)
  for random points over Vietnam, with 10,000 alerts in history of which 200 in force; areas are real
  district and ward outlines (hundreds of vertices) and circles.
- alert_active_http_p99_ms: the same through the API view, in process (Django's test client).
- alert_fanout_per_s: recipients resolved and queued per second by the worker-side delivery job for one
  alert covering a district where 100,000 people saved a place.
"""

from __future__ import annotations

import time
from datetime import timedelta

from bench.common import log, percentile

HISTORY = 10_000
ACTIVE = 200
PLACES = 100_000
QUERY_POINTS = 2_000
BENCH_PREFIX = "urn:bench:"
AGENCY = "bench-alerts"
USER_PREFIX = "bench_dan_"


def _agency() -> int:
    from agencies.models import Agency
    from boundaries.models import Level

    agency, _ = Agency.objects.get_or_create(code=AGENCY, defaults={"name": "Cơ quan đo tải", "level": Level.PROVINCE})
    return agency.pk


def _load_alerts(agency_id: int) -> None:
    """10,000 published alerts over random districts, wards and circles; kept between runs."""
    from django.conf import settings
    from django.db import connection, transaction

    from alerts.models import Alert

    if Alert.objects.filter(identifier__startswith=BENCH_PREFIX).count() == HISTORY:
        return
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM alerts_alert WHERE identifier LIKE %s", [BENCH_PREFIX + "%"])
        # A third districts, a third wards, a third circles of 0.5 to 10 km (64 vertices) around ward points.
        cursor.execute(
            """
            WITH pick AS (
                SELECT n, (n %% 3) AS kind FROM generate_series(1, %(count)s) AS n
            ), districts AS (
                SELECT row_number() OVER (ORDER BY random()) AS r, geom FROM boundaries_adminunit WHERE level = 2
            ), wards AS (
                SELECT row_number() OVER (ORDER BY random()) AS r, geom FROM boundaries_adminunit WHERE level = 3
            ), nd AS (SELECT count(*) c FROM districts), nw AS (SELECT count(*) c FROM wards)
            INSERT INTO alerts_alert (identifier, headline, description, instruction, category, severity, urgency,
                certainty, agency_id, starts_at, ends_at, area, area_description, status, created_at, updated_at,
                approved_at, cancel_reason)
            SELECT %(prefix)s || pick.n, 'Cảnh báo đo tải ' || pick.n, 'Nội dung đo tải.', '', 'weather', 'Moderate',
                'Expected', 'Likely', %(agency)s,
                now() - interval '400 days' + (pick.n * interval '55 minutes'),
                now() - interval '400 days' + (pick.n * interval '55 minutes') + interval '2 days',
                ST_Multi(CASE pick.kind
                    WHEN 0 THEN d.geom
                    WHEN 1 THEN w.geom
                    ELSE ST_Buffer(ST_PointOnSurface(w.geom)::geography, 500 + random() * 9500, 16)::geometry
                END),
                'Vùng đo tải', 'approved', now(), now(),
                now() - interval '400 days' + (pick.n * interval '55 minutes') - interval '1 hour', ''
            FROM pick CROSS JOIN nd CROSS JOIN nw
            JOIN districts d ON d.r = 1 + (pick.n * 7919) %% nd.c
            JOIN wards w ON w.r = 1 + (pick.n * 104729) %% nw.c
            """,
            {"count": HISTORY, "prefix": BENCH_PREFIX, "agency": agency_id},
        )
        cursor.execute(
            """
            INSERT INTO alerts_alertpiece (alert_id, geom, valid_from, valid_to)
            SELECT a.id, s.geom, greatest(a.starts_at, a.approved_at), a.ends_at
            FROM alerts_alert a CROSS JOIN LATERAL ST_Subdivide(a.area, %(vertices)s) AS s(geom)
            WHERE a.identifier LIKE %(prefix)s
            """,
            {"vertices": settings.BOUNDARY_PIECE_MAX_VERTICES, "prefix": BENCH_PREFIX + "%"},
        )
        cursor.execute("ANALYZE alerts_alert; ANALYZE alerts_alertpiece")
    log(f"alerts: loaded {HISTORY} alerts in {time.perf_counter() - started:.1f}s")


def _activate() -> None:
    """The last 200 bench alerts are in force now; the rest ended in the past (their windows above)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            WITH recent AS (
                SELECT id FROM alerts_alert WHERE identifier LIKE %(prefix)s ORDER BY id DESC LIMIT %(active)s
            )
            UPDATE alerts_alert a SET starts_at = now() - interval '1 hour', approved_at = now() - interval '2 hours',
                ends_at = now() + interval '1 day'
            FROM recent WHERE a.id = recent.id
            """,
            {"prefix": BENCH_PREFIX + "%", "active": ACTIVE},
        )
        cursor.execute(
            """
            UPDATE alerts_alertpiece p SET valid_from = a.starts_at, valid_to = a.ends_at
            FROM alerts_alert a WHERE a.id = p.alert_id AND a.identifier LIKE %(prefix)s
              AND a.ends_at > now()
            """,
            {"prefix": BENCH_PREFIX + "%"},
        )


def _query_figures() -> dict[str, float]:
    from django.test import Client

    from alerts.selectors import alerts_active_at
    from bench.boundaries import random_points_in_vietnam

    points = random_points_in_vietnam(QUERY_POINTS, seed=55)
    for lng, lat in points[:200]:
        alerts_active_at(lng, lat)
    samples: list[float] = []
    hits = 0
    for lng, lat in points:
        started = time.perf_counter()
        found = alerts_active_at(lng, lat)
        samples.append((time.perf_counter() - started) * 1000)
        hits += bool(found)
    log(f"alerts: {hits} of {len(points)} points inside an alert in force")
    client = Client(HTTP_HOST="127.0.0.1")
    http: list[float] = []
    for lng, lat in points[:500]:
        started = time.perf_counter()
        response = client.get("/api/v1/alerts/active", {"lat": f"{lat:.6f}", "lng": f"{lng:.6f}"})
        http.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:200]
    return {
        "alert_active_p50_ms": round(percentile(samples, 50), 3),
        "alert_active_p99_ms": round(percentile(samples, 99), 3),
        "alert_active_http_p99_ms": round(percentile(http, 99), 3),
    }


def _district() -> tuple[int, str]:
    from django.db import connection

    # A district with many wards: the fan-out covers all of it.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT d.id, d.code FROM boundaries_adminunit d JOIN boundaries_adminunit w ON w.parent_id = d.id "
            "WHERE d.level = 2 GROUP BY d.id, d.code ORDER BY count(*) DESC, d.code LIMIT 1"
        )
        row = cursor.fetchone()
    return int(row[0]), str(row[1])


def _load_people(district_id: int) -> None:
    """100,000 opted-in citizens with one saved place each in the district: half wards, half points."""
    from django.db import connection, transaction

    from accounts.models import SavedPlace, User

    places = SavedPlace.objects.filter(user__username__startswith=USER_PREFIX)
    if places.count() == PLACES and places.values("user").distinct().count() == PLACES:
        return
    started = time.perf_counter()
    with transaction.atomic():
        User.objects.filter(username__startswith=USER_PREFIX).delete()
        batch = 10_000
        for offset in range(0, PLACES, batch):
            User.objects.bulk_create(
                [
                    User(
                        username=f"{USER_PREFIX}{i}",
                        password="!",  # noqa: S106 (no usable password)
                        phone=f"+8490{i:07d}",
                        email=f"dan{i}@example.vn" if i % 2 else "",
                        notify_alerts=True,
                    )
                    for i in range(offset, offset + batch)
                ]
            )
        with connection.cursor() as cursor:
            cursor.execute(
                """
                WITH people AS (
                    SELECT id, row_number() OVER (ORDER BY id) AS n FROM accounts_user WHERE username LIKE %(prefix)s
                ), wards AS (
                    SELECT id, row_number() OVER (ORDER BY id) AS r, count(*) OVER () AS c
                    FROM boundaries_adminunit WHERE parent_id = %(district)s AND level = 3
                )
                INSERT INTO accounts_savedplace (user_id, label, ward_id, location, created_at)
                SELECT p.id, 'Nhà', w.id, NULL, now() FROM people p JOIN wards w ON w.r = 1 + p.n %% w.c
                WHERE p.n %% 2 = 0
                """,
                {"prefix": USER_PREFIX + "%", "district": district_id},
            )
            cursor.execute(
                """
                WITH people AS (
                    SELECT id, row_number() OVER (ORDER BY id) AS n FROM accounts_user
                    WHERE username LIKE %(prefix)s AND NOT EXISTS (
                        SELECT 1 FROM accounts_savedplace sp WHERE sp.user_id = accounts_user.id)
                ), pts AS (
                    -- Numbered after ST_Dump has expanded the points (not before).
                    SELECT row_number() OVER () AS n, g FROM (
                        SELECT (ST_Dump(ST_GeneratePoints(geom, %(count)s, 7))).geom AS g
                        FROM boundaries_adminunit WHERE id = %(district)s
                    ) dumped
                )
                INSERT INTO accounts_savedplace (user_id, label, ward_id, location, created_at)
                SELECT p.id, 'Cơ quan', NULL, pts.g, now() FROM people p JOIN pts ON pts.n = p.n
                """,
                {"prefix": USER_PREFIX + "%", "district": district_id, "count": PLACES // 2},
            )
            cursor.execute("ANALYZE accounts_user; ANALYZE accounts_savedplace")
    log(f"alerts: {PLACES} citizens and saved places in {time.perf_counter() - started:.1f}s")


def _fanout(agency_id: int, district_id: int) -> float:
    from django.db import connection
    from django.utils import timezone

    from alerts.delivery import alert_deliver
    from alerts.models import Alert, DeliveryKind
    from boundaries.models import AdminUnit

    now = timezone.now()
    district = AdminUnit.objects.get(pk=district_id)
    alert = Alert.objects.create(
        identifier=f"urn:bench-fanout:{time.time_ns()}",
        headline="Cảnh báo lũ (đo tải)",
        description="Đo tải gửi cảnh báo.",
        category="flood",
        severity="Severe",
        urgency="Expected",
        certainty="Likely",
        agency_id=agency_id,
        starts_at=now,
        ends_at=now + timedelta(days=1),
        area=district.geom,
        area_description=district.name,
        status="approved",
        approved_at=now,
    )
    try:
        started = time.perf_counter()
        result = alert_deliver(alert_id=alert.pk, kind=DeliveryKind.ALERT)
        elapsed = time.perf_counter() - started
        log(f"alerts: fan-out to {result.people} people in {result.jobs} jobs, {elapsed:.2f}s")
        return result.people / elapsed
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM procrastinate_jobs WHERE task_name IN "
                "('notifications.deliver_notifications', 'alerts.deliver_alert_batch') AND status = 'todo'"
            )
            cursor.execute("DELETE FROM notifications_notification WHERE dedupe_key LIKE %s", [f"alert:{alert.pk}:%"])
        alert.delete()


def run() -> dict[str, float]:
    agency_id = _agency()
    _load_alerts(agency_id)
    _activate()
    figures = _query_figures()
    district_id, code = _district()
    _load_people(district_id)
    rates = [_fanout(agency_id, district_id) for _ in range(2)]
    log(f"alerts: fan-out rates {[round(r) for r in rates]} for district {code}")
    figures["alert_fanout_per_s"] = round(max(rates))
    return figures
