"""The conversation engine's state: every event received once, each person's conversation with what it
collected, and the platforms' rotating tokens. Everything lives here, so neither a restart of the web
server nor of the worker loses a conversation."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Platform(models.TextChoices):
    ZALO = "zalo", "Zalo"
    MESSENGER = "messenger", "Facebook Messenger"


class ChatEvent(models.Model):
    """One delivery of a platform's webhook, stored before it is answered and handled by a job."""

    platform = models.CharField(_("nền tảng"), max_length=20, choices=Platform.choices)
    # The platform's id of the message (Zalo msg_id, Messenger mid), or a hash of the body for events
    # without one: a redelivery finds the row and does nothing.
    event_id = models.CharField(_("mã sự kiện"), max_length=200)
    payload = models.JSONField(_("nội dung"))
    received_at = models.DateTimeField(_("nhận lúc"), default=timezone.now)
    processed_at = models.DateTimeField(_("xử lý lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("sự kiện trò chuyện")
        verbose_name_plural = _("sự kiện trò chuyện")
        constraints = [models.UniqueConstraint(fields=["platform", "event_id"], name="chat_event_once")]

    def __str__(self) -> str:
        return f"{self.platform}:{self.event_id}"


class Stage(models.TextChoices):
    MENU = "menu", _("Chọn chức năng")
    NAME = "name", _("Hỏi tên")
    PHONE = "phone", _("Hỏi số điện thoại")
    ADDRESS = "address", _("Hỏi địa chỉ")
    COLLECT = "collect", _("Nhận nội dung")
    CATEGORY = "category", _("Hỏi lĩnh vực")
    QUESTIONS = "questions", _("Hỏi câu hỏi thêm của lĩnh vực")
    CONSENT = "consent", _("Hỏi đồng ý công khai")
    CLOSED = "closed", _("Đã đóng")


class ClosedReason(models.TextChoices):
    FILED = "filed", _("Đã gửi phản ánh")
    CANCELLED = "cancelled", _("Người gửi hủy")
    IDLE = "idle", _("Không hoạt động")


class Conversation(models.Model):
    """A person's conversation on a platform: at most one open at a time; closed ones stay as they were."""

    platform = models.CharField(_("nền tảng"), max_length=20, choices=Platform.choices)
    user_id = models.CharField(_("mã người dùng"), max_length=100)
    stage = models.CharField(_("bước"), max_length=20, choices=Stage.choices, default=Stage.MENU)
    name = models.CharField(_("họ và tên"), max_length=120, blank=True)
    phone = models.CharField(_("số điện thoại"), max_length=20, blank=True)
    address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    # The point the typed address was matched to (a ward's inside point), used without a shared location.
    address_lat = models.FloatField(null=True, blank=True)
    address_lng = models.FloatField(null=True, blank=True)
    # The last location the person shared: it routes the report.
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    category = models.CharField(_("lĩnh vực"), max_length=50, blank=True)
    # The category's extra questions: the one being asked, and the answers so far ({code: value}).
    question = models.CharField(max_length=50, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    report_code = models.CharField(_("mã phản ánh"), max_length=32, blank=True)
    started_at = models.DateTimeField(_("bắt đầu"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("hoạt động cuối"), default=timezone.now)
    closed_at = models.DateTimeField(_("đóng lúc"), null=True, blank=True)
    closed_reason = models.CharField(_("lý do đóng"), max_length=20, choices=ClosedReason.choices, blank=True)

    class Meta:
        verbose_name = _("cuộc trò chuyện")
        verbose_name_plural = _("cuộc trò chuyện")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "user_id"], condition=~Q(stage="closed"), name="chat_one_open_conversation"
            ),
            models.CheckConstraint(
                condition=Q(stage="closed", closed_at__isnull=False) | (~Q(stage="closed") & Q(closed_at__isnull=True)),
                name="chat_closed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["last_activity_at"], condition=~Q(stage="closed"), name="chat_open_idle")]

    def __str__(self) -> str:
        return f"{self.platform}:{self.user_id} ({self.stage})"

    @property
    def address_to(self) -> str:
        """Where the outbox sends replies (Notification recipient, Report.reply_address)."""
        return f"{self.platform}:{self.user_id}"


class ItemKind(models.TextChoices):
    TEXT = "text", _("Văn bản")
    IMAGE = "image", _("Ảnh")
    AUDIO = "audio", _("Âm thanh")
    FILE = "file", _("Tệp")
    LOCATION = "location", _("Vị trí")


class ConversationItem(models.Model):
    """One message collected for the report: a text, a fetched file or a shared location."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("loại"), max_length=20, choices=ItemKind.choices)
    text = models.TextField(_("văn bản"), blank=True)
    # Fetched when the message arrives: the platforms' URLs expire.
    file = models.FileField(_("tệp"), upload_to="chat/%Y/%m/", blank=True)
    file_name = models.CharField(_("tên tệp"), max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    event_id = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("nội dung đã nhận")
        verbose_name_plural = _("nội dung đã nhận")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class PlatformToken(models.Model):
    """A platform's current access token and the refresh token that replaces it (Zalo rotates both)."""

    platform = models.CharField(max_length=20, choices=Platform.choices, unique=True)
    access_token = models.TextField(blank=True)
    refresh_token = models.TextField()
    expires_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("khóa truy cập nền tảng")
        verbose_name_plural = _("khóa truy cập nền tảng")

    def __str__(self) -> str:
        return self.platform
