"""Demo warnings: one in force (refreshed on every load so the demo always shows one), one draft,
one expired; and a few citizens with saved places who asked for warnings, so the delivery shows."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import SavedPlace, User
from alerts import services
from alerts.models import Alert, AlertPiece, Category, Certainty, Severity, Status, Urgency
from boundaries.models import AdminUnit
from demo.reports import demo_password_hash, demo_staff_load

DISTRICT = "D703"
WARD = "D25450"
OFFICER = "canbo.tptn"
LEADER = "lanhdao.tptn_pheduyet"
# (username, name, phone, e-mail, saved place: ward code or (lng, lat) inside the district)
CITIZENS = [
    ("nguoidan1", "Nguyễn Văn Dân", "+84901000001", "nguoidan1@demo.tayninh.gov.vn", WARD),
    ("nguoidan2", "Trần Thị Mai", "+84901000002", "", "point"),
    ("nguoidan3", "Lê Văn Hòa", "+84901000003", "nguoidan3@demo.tayninh.gov.vn", "D705"),
]


def _identifier(name: str) -> str:
    # Fixed per demo alert, so a second load finds (and refreshes) the first one's alerts.
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'demo-alert-' + name)}"


def _citizens() -> None:
    for username, name, phone, email, place in CITIZENS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": name, "phone": phone, "email": email, "notify_alerts": True},
        )
        if created:
            user.password = demo_password_hash()
            user.save()
        if user.saved_places.exists():
            continue
        if place == "point":
            point = AdminUnit.objects.filter(code=WARD).values_list("geom", flat=True).first()
            if point is not None:
                SavedPlace.objects.create(user=user, label="Nơi làm việc", location=point.point_on_surface)
        else:
            ward = AdminUnit.objects.filter(code=place).first()
            if ward is not None and ward.level == 3:
                SavedPlace.objects.create(user=user, label="Nhà", ward=ward)
            elif ward is not None:
                SavedPlace.objects.create(user=user, label="Nhà bố mẹ", location=ward.geom.point_on_surface)


# The demo warnings: one in force over the district, a draft for the ward, one that expired last week.
WARNINGS: dict[str, dict[str, object]] = {
    "active": {
        "headline": "Cảnh báo ngập lụt do mưa lớn tại Thành phố Tây Ninh",
        "description": "Mưa lớn kéo dài gây ngập sâu tại nhiều tuyến đường và khu dân cư trũng thấp.",
        "instruction": "Hạn chế đi lại qua vùng ngập; di chuyển tài sản lên cao; theo dõi thông tin từ chính quyền.",
        "category": Category.FLOOD,
        "severity": Severity.SEVERE,
        "urgency": Urgency.EXPECTED,
        "area": [{"kind": "unit", "code": DISTRICT}],
        "publish": True,
    },
    "draft": {
        "headline": "Cảnh báo sạt lở bờ kênh tại Phường 1",
        "description": "Bờ kênh có dấu hiệu sạt lở sau mưa.",
        "category": Category.INFRASTRUCTURE,
        "severity": Severity.MODERATE,
        "urgency": Urgency.FUTURE,
        "area": [{"kind": "unit", "code": WARD}],
    },
    "expired": {
        "headline": "Cảnh báo nắng nóng gay gắt",
        "description": "Nhiệt độ cao nhất 38–39 độ C.",
        "category": Category.WEATHER,
        "severity": Severity.MINOR,
        "urgency": Urgency.EXPECTED,
        "area": [{"kind": "unit", "code": WARD}],
        "publish": True,
    },
}


def _move_window(alert: Alert, starts: datetime, ends: datetime, **dates: datetime) -> None:
    Alert.objects.filter(pk=alert.pk).update(starts_at=starts, ends_at=ends, **dates)
    AlertPiece.objects.filter(alert=alert).update(valid_from=starts, valid_to=ends)


def _make(name: str, officer: User, leader: User, **fields: object) -> Alert:
    now = timezone.now()
    data = services.AlertInput(
        headline=str(fields["headline"]),
        description=str(fields["description"]),
        instruction=str(fields.get("instruction", "")),
        category=str(fields["category"]),
        severity=str(fields["severity"]),
        urgency=str(fields["urgency"]),
        certainty=Certainty.LIKELY,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=3),
        area=list(fields["area"]),  # type: ignore[call-overload]
        agency="ubnd-d703",
    )
    alert = services.alert_create(actor=officer, data=data)
    Alert.objects.filter(pk=alert.pk).update(identifier=_identifier(name))
    alert.refresh_from_db()
    if fields.get("publish"):
        services.alert_submit(alert=alert, actor=officer)
        alert = services.alert_approve(alert=alert, actor=leader)
    return alert


@transaction.atomic
def demo_alerts_load() -> int:
    """Create the demo warnings (or bring the one in force back into its window); return how many exist."""
    staff = {user.username: user for user in demo_staff_load()}
    officer, leader = staff[OFFICER], staff[LEADER]
    _citizens()
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_jobs")
        (last_job,) = cursor.fetchone()

    for name, fields in WARNINGS.items():
        alert = Alert.objects.filter(identifier=_identifier(name)).first()
        if alert is None:
            alert = _make(name, officer, leader, **fields)
            if name == "expired":
                # Moved back in time: it was in force last week.
                starts = now - timedelta(days=8)
                _move_window(
                    alert, starts, now - timedelta(days=6), approved_at=starts, submitted_at=starts, created_at=starts
                )
        elif name == "active" and alert.status == Status.APPROVED and alert.ends_at < now + timedelta(days=1):
            # Keep the demo warning in force: move its window to start about now and last three days.
            _move_window(alert, now - timedelta(hours=1), now + timedelta(days=3))
    # Loading the demo messages nobody: the approvals above queued deliveries, which are dropped. Approving
    # the demo draft (or updating or cancelling the warning in force) then reaches nguoidan1 and nguoidan2.
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM procrastinate_jobs WHERE id > %s AND task_name = 'alerts.deliver_alert'", [last_job]
        )
    return Alert.objects.filter(identifier__in=[_identifier(name) for name in WARNINGS]).count()
