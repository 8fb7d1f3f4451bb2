"""The audit log: one row per staff action, sign-in or failed sign-in.

Moved here from accounts without moving a row: the table keeps its name (Meta.db_table).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


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
        db_table = "accounts_auditevent"
        verbose_name = "nhật ký thao tác"
        verbose_name_plural = "nhật ký thao tác"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["actor", "created_at"], name="auditevent_actor_created")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label or self.actor} {self.action} {self.object_ref}"
