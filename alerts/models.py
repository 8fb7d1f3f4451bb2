"""Warnings (thông tin cảnh báo): geofenced, time-bounded alerts with an approval workflow.

An alert's area is stored twice on purpose: as one MultiPolygon (what the map
shows and CAP is written from, with its parts kept for CAP's polygon / circle /
geocode elements) and, once published, as small subdivided pieces with the
time window they are in force (what the point query reads).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.gis import SRID


class Category(models.TextChoices):
    WEATHER = "weather", _("Thời tiết")
    FLOOD = "flood", _("Lũ lụt")
    FIRE = "fire", _("Cháy")
    TRAFFIC = "traffic", _("Giao thông")
    HEALTH = "health", _("Y tế")
    SECURITY = "security", _("An ninh")
    ENVIRONMENT = "environment", _("Môi trường")
    INFRASTRUCTURE = "infrastructure", _("Hạ tầng")


# CAP 1.2 <category> for each of ours.
CAP_CATEGORY: dict[str, str] = {
    Category.WEATHER: "Met",
    Category.FLOOD: "Geo",
    Category.FIRE: "Fire",
    Category.TRAFFIC: "Transport",
    Category.HEALTH: "Health",
    Category.SECURITY: "Security",
    Category.ENVIRONMENT: "Env",
    Category.INFRASTRUCTURE: "Infra",
}


class Severity(models.TextChoices):
    """CAP 1.2 severity; the stored value is CAP's own word."""

    EXTREME = "Extreme", _("Cực kỳ nghiêm trọng")
    SEVERE = "Severe", _("Nghiêm trọng")
    MODERATE = "Moderate", _("Trung bình")
    MINOR = "Minor", _("Nhẹ")
    UNKNOWN = "Unknown", _("Chưa rõ")


class Urgency(models.TextChoices):
    IMMEDIATE = "Immediate", _("Khẩn cấp, hành động ngay")
    EXPECTED = "Expected", _("Sắp xảy ra (trong 1 giờ tới)")
    FUTURE = "Future", _("Sẽ xảy ra")
    PAST = "Past", _("Đã qua")
    UNKNOWN = "Unknown", _("Chưa rõ")


class Certainty(models.TextChoices):
    OBSERVED = "Observed", _("Đã xảy ra")
    LIKELY = "Likely", _("Nhiều khả năng (> 50%)")
    POSSIBLE = "Possible", _("Có thể")
    UNLIKELY = "Unlikely", _("Ít khả năng")
    UNKNOWN = "Unknown", _("Chưa rõ")


class Status(models.TextChoices):
    DRAFT = "draft", _("Bản nháp")
    SUBMITTED = "submitted", _("Chờ duyệt")
    APPROVED = "approved", _("Đã phát hành")
    SUPERSEDED = "superseded", _("Đã được cập nhật")
    CANCELLED = "cancelled", _("Đã hủy")


PUBLISHED_STATUSES = (Status.APPROVED, Status.SUPERSEDED, Status.CANCELLED)


class Alert(models.Model):
    """One version of a warning. An update is a new row referencing the version it replaces.

    "Expired" is not stored: an approved alert whose end time has passed is
    expired (see `display_status`); queries compare `ends_at` with the time.
    """

    identifier = models.CharField("mã CAP", max_length=100, unique=True)
    headline = models.CharField("tiêu đề", max_length=160)
    description = models.TextField("nội dung", max_length=5000)
    instruction = models.TextField("hướng dẫn người dân", max_length=3000, blank=True)
    category = models.CharField("lĩnh vực", max_length=20, choices=Category.choices)
    severity = models.CharField("mức độ nghiêm trọng", max_length=10, choices=Severity.choices)
    urgency = models.CharField("mức độ khẩn cấp", max_length=10, choices=Urgency.choices)
    certainty = models.CharField("mức độ chắc chắn", max_length=10, choices=Certainty.choices)
    agency = models.ForeignKey(
        "agencies.Agency", verbose_name="cơ quan phát hành", on_delete=models.PROTECT, related_name="alerts"
    )
    starts_at = models.DateTimeField("bắt đầu")
    ends_at = models.DateTimeField("kết thúc")
    area = models.MultiPolygonField("vùng cảnh báo", srid=SRID)
    area_description = models.CharField("mô tả vùng", max_length=300)
    status = models.CharField("trạng thái", max_length=10, choices=Status.choices, default=Status.DRAFT)
    references = models.ForeignKey(
        "self",
        verbose_name="cập nhật cho",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="updates",
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="người tạo"
    )
    created_at = models.DateTimeField("tạo lúc", default=timezone.now)
    updated_at = models.DateTimeField("sửa lúc", auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField("phát hành lúc", null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "cảnh báo"
        verbose_name_plural = "cảnh báo"
        indexes = [
            models.Index(fields=["status", "ends_at"], name="alert_status_ends"),
            models.Index(fields=["agency", "status"], name="alert_agency_status"),
            # The bbox query reads published versions only.
            GistIndex(fields=["area"], condition=Q(status__in=PUBLISHED_STATUSES), name="alert_area_published"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="alert_ends_after_starts"),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="alert_status_valid"),
            models.CheckConstraint(
                condition=~Q(status__in=PUBLISHED_STATUSES)
                | Q(approved_at__isnull=False)
                # a draft or submitted alert cancelled before publication has no approval
                | Q(status=Status.CANCELLED),
                name="alert_published_has_approval",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.headline} ({self.get_status_display()})"

    @property
    def is_published(self) -> bool:
        return self.approved_at is not None and self.status in PUBLISHED_STATUSES

    @property
    def msg_type(self) -> str:
        """CAP msgType of this version's own message."""
        return "Update" if self.references_id is not None else "Alert"

    def is_expired(self, at: object | None = None) -> bool:
        now = at or timezone.now()
        return self.status == Status.APPROVED and self.ends_at <= now  # type: ignore[operator]

    @property
    def display_status(self) -> str:
        return "expired" if self.is_expired() else self.status

    @property
    def display_status_label(self) -> str:
        return "Đã hết hạn" if self.is_expired() else self.get_status_display()


class AlertAreaPart(models.Model):
    """One part of an alert's area as drawn or picked, kept for CAP (polygon, circle, geocode)."""

    class Kind(models.TextChoices):
        POLYGON = "polygon", "Vùng vẽ"
        CIRCLE = "circle", "Hình tròn"
        UNIT = "unit", "Đơn vị hành chính"

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="parts")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    polygon = models.PolygonField(srid=SRID, null=True, blank=True, spatial_index=False)
    center = models.PointField(srid=SRID, null=True, blank=True, spatial_index=False)
    radius_m = models.FloatField(null=True, blank=True)
    unit = models.ForeignKey("boundaries.AdminUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["alert", "position"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="polygon") & Q(polygon__isnull=False))
                | (Q(kind="circle") & Q(center__isnull=False) & Q(radius_m__gt=0))
                | (Q(kind="unit") & Q(unit__isnull=False)),
                name="alertareapart_kind_fields",
            ),
        ]


class AlertPiece(models.Model):
    """Derived: a published alert's area cut by ST_Subdivide, with the window it is in force.

    valid_from is the later of the start and the publication, valid_to the
    earlier of the end and the moment it was cancelled or replaced. Written by
    the services on approval, cancel and update; never edited by hand.
    """

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="pieces")
    geom = models.PolygonField(srid=SRID)
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["alert"], name="alertpiece_alert")]


class AlertEvent(models.Model):
    """One step in an alert's history."""

    class Action(models.TextChoices):
        CREATED = "created", "Tạo bản nháp"
        EDITED = "edited", "Sửa bản nháp"
        SUBMITTED = "submitted", "Gửi duyệt"
        APPROVED = "approved", "Duyệt, phát hành"
        SUPERSEDED = "superseded", "Được thay bằng bản cập nhật"
        CANCELLED = "cancelled", "Hủy cảnh báo"
        DELIVERED = "delivered", "Gửi tới người dân"

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    note = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


class DeliveryKind(models.TextChoices):
    ALERT = "alert", "Cảnh báo mới"
    UPDATE = "update", "Cập nhật cảnh báo"
    CANCEL = "cancel", "Hủy cảnh báo"


class AlertDelivery(models.Model):
    """A person told about one alert version event; the unique key is what makes delivery once-only."""

    # Written 100,000 at a time by the fan-out: PostgreSQL checks a foreign key row by row, which cost
    # as much as the insert itself, so these two are not enforced by the database (Django still
    # cascades the deletes); the unique key below leads with the alert, so it serves as its index.
    alert = models.ForeignKey(
        Alert, on_delete=models.CASCADE, related_name="deliveries", db_constraint=False, db_index=False
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    kind = models.CharField(max_length=10, choices=DeliveryKind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "user", "kind"], name="alertdelivery_once"),
        ]
