"""People who sign in (citizens and staff) and the roles staff hold in agencies."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.gis.db import models as gis_models
from django.db import models
from django.db.models import Q


class User(AbstractUser):
    """A citizen or staff account. Citizens sign in with their phone (E.164) or e-mail."""

    phone = models.CharField(max_length=20, null=True, blank=True, unique=True, help_text="E.164, e.g. +84912345678")
    # Notification choices (the profile page edits them). Warnings are opt-in:
    # a citizen is told about warnings covering their saved places only if they
    # asked; news about their own reports is on unless they turn it off.
    notify_report_updates = models.BooleanField("báo tin về phản ánh của tôi", default=True)
    notify_alerts = models.BooleanField("nhận cảnh báo cho nơi tôi lưu", default=False)
    notify_by_sms = models.BooleanField("qua SMS", default=True)
    notify_by_email = models.BooleanField("qua e-mail", default=True)
    # Set when the person proved they hold the number / mailbox with a one-time code
    # (or a social provider vouched for the address).
    phone_verified_at = models.DateTimeField("xác nhận số điện thoại lúc", null=True, blank=True)
    email_verified_at = models.DateTimeField("xác nhận e-mail lúc", null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(phone__isnull=True) | Q(phone__startswith="+"), name="user_phone_e164"),
        ]


class Role(models.TextChoices):
    OFFICER = "officer", "Cán bộ xử lý"
    LEADER = "leader", "Lãnh đạo, phê duyệt"
    ADMIN = "admin", "Quản trị cấp tỉnh"
    OPERATOR = "operator", "Tổng đài viên 1022"


class StaffRole(models.Model):
    """A role a staff user holds in an agency; it covers the agency's child agencies too."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_roles")
    agency = models.ForeignKey("incidents.Agency", on_delete=models.CASCADE, related_name="staff_roles")
    role = models.CharField(max_length=10, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "agency", "role"], name="staffrole_unique")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.agency}"


class SavedPlace(models.Model):
    """A place a citizen wants warnings for: their home ward, or a point they saved.

    Exactly one of ``ward`` and ``location`` is set. Warnings whose area covers
    the point, or touches the ward, reach the owner if they opted in.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_places")
    label = models.CharField("tên gọi", max_length=100, help_text="Ví dụ: Nhà, Cơ quan, Nhà bố mẹ.")
    ward = models.ForeignKey(
        "boundaries.AdminUnit",
        verbose_name="phường/xã",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    location = gis_models.PointField("vị trí", srid=4326, null=True, blank=True)
    created_at = models.DateTimeField("tạo lúc", auto_now_add=True)

    class Meta:
        verbose_name = "nơi đã lưu"
        verbose_name_plural = "nơi đã lưu"
        indexes = [models.Index(fields=["ward"], name="savedplace_ward")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(ward__isnull=False) & Q(location__isnull=True))
                | (Q(ward__isnull=True) & Q(location__isnull=False)),
                name="savedplace_ward_xor_location",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.label}"


class AuditEvent(models.Model):
    """One staff action, sign-in or failed sign-in: who, when, what, from where. Never edited."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="người thực hiện",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # What the actor typed when signing in fails (there may be no such user).
    actor_label = models.CharField("tên đăng nhập", max_length=254, blank=True)
    action = models.CharField(
        "hành động", max_length=60, db_index=True, help_text="Ví dụ: login, login_failed, report.answer."
    )
    object_type = models.CharField("loại đối tượng", max_length=60, blank=True)
    object_ref = models.CharField("đối tượng", max_length=100, blank=True)
    ip = models.GenericIPAddressField("địa chỉ IP", null=True, blank=True)
    user_agent = models.CharField("trình duyệt", max_length=300, blank=True)
    details = models.JSONField("chi tiết", default=dict, blank=True)
    created_at = models.DateTimeField("lúc", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "nhật ký thao tác"
        verbose_name_plural = "nhật ký thao tác"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["actor", "created_at"], name="auditevent_actor_created")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label or self.actor} {self.action} {self.object_ref}"


class OneTimeCode(models.Model):
    """A 6-digit code sent to a phone or an e-mail address: short-lived, single use, few tries.

    Only a keyed hash of the code is stored. A row is written for every request,
    also when nothing is sent (no account for a sign-in or reset), so that the
    sending limits count the same whether or not an account exists.
    """

    class Purpose(models.TextChoices):
        REGISTER = "register", "Đăng ký"
        LOGIN = "login", "Đăng nhập"
        RESET = "reset", "Đặt lại mật khẩu"
        EMAIL = "email", "Đổi e-mail"
        # These two prove a phone or an address, not an account (see accounts.services.CONTACT_PURPOSES).
        FOLLOW = "follow", "Theo dõi phản ánh"
        REPORTER = "reporter", "Tra cứu phản ánh đã gửi"

    class Channel(models.TextChoices):
        SMS = "sms", "SMS"
        EMAIL = "email", "E-mail"

    channel = models.CharField(max_length=5, choices=Channel.choices)
    # E.164 phone number or lower-cased e-mail address.
    target = models.CharField(max_length=254)
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="one_time_codes"
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    sent = models.BooleanField(default=False, help_text="False when nothing went out (no such account).")
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = "mã xác nhận"
        verbose_name_plural = "mã xác nhận"
        indexes = [
            models.Index(fields=["target", "created_at"], name="otp_target_created"),
            models.Index(fields=["ip", "created_at"], name="otp_ip_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.target} {self.created_at:%Y-%m-%d %H:%M:%S}"
