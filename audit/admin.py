"""The audit log in the admin: administrators read it, nobody edits it."""

from __future__ import annotations

from django.contrib import admin

from common.admin import ReadOnlyMixin

from .admin_base import ModelAdmin as AuditedModelAdmin
from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyMixin, AuditedModelAdmin):
    """Read-only for everyone: the log is written by the code and never edited."""

    list_display = ["created_at", "actor_label", "action", "object_type", "object_ref", "ip"]
    list_filter = ["action", "created_at"]
    search_fields = ["actor_label", "action", "object_ref", "ip"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "created_at",
        "actor",
        "actor_label",
        "action",
        "object_type",
        "object_ref",
        "ip",
        "user_agent",
        "details",
    ]
