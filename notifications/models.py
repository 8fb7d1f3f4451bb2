"""The outbox: every e-mail and SMS the service sends, with its delivery state."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class Notification(models.Model):
    """One message to one person, written in the same transaction as what it is about."""

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "SMS"

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
