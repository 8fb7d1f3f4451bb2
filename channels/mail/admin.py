"""The mails the intake processed, in the admin: administrators read what the worker did with each."""

from __future__ import annotations

from django.contrib import admin

from audit.admin_base import ModelAdmin
from common.admin import ReadOnlyMixin

from .models import InboundMail


@admin.register(InboundMail)
class InboundMailAdmin(ReadOnlyMixin, ModelAdmin):
    """Read-only: written by the worker only (filed, skipped with the reason, refused with the reply)."""

    list_display = ["created_at", "from_address", "subject", "outcome", "reason", "report"]
    list_filter = ["outcome", "created_at"]
    search_fields = ["from_address", "subject", "key"]
    list_select_related = ["report"]
    date_hierarchy = "created_at"
