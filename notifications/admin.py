from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    """The outbox is written by the services only; here it is looked at."""

    list_display = ["channel", "recipient", "subject", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["channel", "status"]
    search_fields = ["recipient"]
    date_hierarchy = "created_at"
    # No change permission (below): the admin shows every field as text, so no read-only list to keep.

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False
