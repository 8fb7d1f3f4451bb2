"""The outbox: every e-mail and SMS the service sends, with its delivery state."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    """One message to one person, written in the same transaction as what it is about."""

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "SMS"
        WEBPUSH = "webpush", "Web Push"
        ZALO = "zalo", "Zalo"
        MESSENGER = "messenger", "Facebook Messenger"

    class Status(models.TextChoices):
        QUEUED = "queued", "Đang chờ gửi"
        SENT = "sent", "Đã gửi"
        FAILED = "failed", "Gửi thất bại"

    channel = models.CharField("kênh", max_length=10, choices=Channel.choices)
    recipient = models.CharField(
        "người nhận", max_length=254, help_text="Địa chỉ e-mail, hoặc số điện thoại dạng E.164 (+84…)."
    )
    subject = models.CharField("tiêu đề", max_length=255, blank=True, help_text="Để trống với SMS.")
    body = models.TextField("nội dung")
    status = models.CharField("trạng thái", max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField("số lần gửi lỗi", default=0)
    last_error = models.TextField("lỗi gần nhất", blank=True)
    # The same logical message to the same person (e.g. "report 42 answered, to
    # +84…") is sent at most once, however many times it is enqueued.
    dedupe_key = models.CharField("khóa chống trùng", max_length=200, null=True, unique=True)
    # E-mail only: the Message-ID this message answers, so it lands in the same thread (In-Reply-To).
    thread = models.CharField("luồng thư", max_length=998, blank=True, db_default="")
    # Web Push only: the browser subscription it goes to (the recipient reads "push:<id>").
    push_subscription = models.ForeignKey(
        "PushSubscription", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    # Chat only: a text longer than the platform takes goes as several messages, in order; how many of
    # them went, so that a retry sends only the rest (notification_parts_send).
    parts_sent = models.PositiveSmallIntegerField("số phần đã gửi", default=0, db_default=0)
    created_at = models.DateTimeField("tạo lúc", auto_now_add=True)
    sent_at = models.DateTimeField("gửi lúc", null=True, blank=True)

    class Meta:
        verbose_name = "thông báo"
        verbose_name_plural = "thông báo"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="notification_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(channel="sms") | Q(recipient__startswith="+"),
                name="notification_sms_recipient_e164",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient} ({self.get_status_display()})"


class PushSubscription(models.Model):
    """A browser that asked for warnings or a report's updates by Web Push; removed when the push service
    says it is gone."""

    endpoint = models.URLField("địa chỉ nhận", max_length=1000, unique=True)
    p256dh = models.CharField("khóa p256dh", max_length=200)
    auth = models.CharField("khóa auth", max_length=100)
    # Empty for a browser whose owner did not sign in: it gets every warning.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    # Who subscribed without an account: a keyed hash of their address (not the address), for the
    # per-client cap (settings.PUSH_MAX_PER_ADDRESS).
    client = models.CharField("máy đăng ký (băm)", max_length=64, blank=True, db_index=True)
    # Whether the browser asked for warnings; one that only follows reports (incidents' ReportFollower)
    # gets those reports' updates and nothing else.
    warnings = models.BooleanField("nhận cảnh báo", default=True, db_default=True)
    # Failed sends in a row; the subscription is dropped at settings.PUSH_MAX_FAILURES.
    failures = models.PositiveSmallIntegerField("số lần gửi lỗi liên tiếp", default=0)
    created_at = models.DateTimeField("đăng ký lúc", auto_now_add=True)

    class Meta:
        verbose_name = "đăng ký Web Push"
        verbose_name_plural = "đăng ký Web Push"

    def __str__(self) -> str:
        return f"Web Push #{self.pk} ({self.user or 'ẩn danh'})"
