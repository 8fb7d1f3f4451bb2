"""People who sign in (citizens and staff) and the roles staff hold in agencies."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.gis.db import models as gis_models
from django.db import models
from django.db.models import Q

from common.gis import SRID


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
    location = gis_models.PointField("vị trí", srid=SRID, null=True, blank=True)
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
