"""Administrators issue, rotate and revoke Open311 API keys here. A key is shown once, in the message
after saving; afterwards only its prefix, as nothing else of it is stored."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.admin_base import ModelAdmin
from common.admin import ReadOnlyMixin

from . import services
from .models import ApiClient, Open311Request


def _shown_once(name: str, key: str) -> str:
    return _("Khóa API của %(name)s: %(key)s (hãy sao chép ngay: khóa chỉ được lưu dạng băm và sẽ không hiện lại).") % {
        "name": name,
        "key": key,
    }


@admin.register(ApiClient)
class ApiClientAdmin(ModelAdmin):
    list_display = ["name", "contact", "key_prefix", "is_active", "created_at", "revoked_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "contact", "key_prefix"]
    fields = ["name", "contact", "key_prefix", "is_active", "created_at", "revoked_at"]
    readonly_fields = ["key_prefix", "is_active", "created_at", "revoked_at"]
    actions = ["revoke", "rotate_key"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        issued = services.api_client_issue(name=obj.name, contact=obj.contact)
        # The admin goes on with the object it saved (its log entry, the redirect): the issued row.
        obj._state.adding = False
        obj.pk, obj.key_prefix, obj.key_hash, obj.created_at = (
            issued.client.pk,
            issued.client.key_prefix,
            issued.client.key_hash,
            issued.client.created_at,
        )
        self.message_user(request, _shown_once(obj.name, issued.key), messages.WARNING)

    @admin.action(description=gettext_lazy("Thu hồi khóa của các ứng dụng đã chọn"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for client in queryset.filter(is_active=True):
            services.api_client_revoke(client=client)
            self.log_change(request, client, "revoked")

    @admin.action(description=gettext_lazy("Cấp khóa mới cho các ứng dụng đã chọn (khóa cũ hết hiệu lực)"))
    def rotate_key(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for client in queryset:
            key = services.api_client_key_rotate(client=client)
            self.log_change(request, client, "key rotated")
            self.message_user(request, _shown_once(client.name, key), messages.WARNING)


@admin.register(Open311Request)
class Open311RequestAdmin(ReadOnlyMixin, ModelAdmin):
    list_display = ["report", "client", "created_at", "media_url"]
    list_filter = ["client"]
    search_fields = ["report__code", "device_id", "account_id"]
    raw_id_fields = ["report"]
