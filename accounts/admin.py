"""Users and their staff roles, for administrators (see accounts.admin_site).

An administrator who is not a superuser manages accounts and roles but cannot raise anybody,
themselves included, to superuser, cannot touch a superuser's account, and cannot change
their own roles: another administrator has to.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from agencies.models import StaffRole
from audit.admin_base import AuditedAdminMixin
from common.admin import InlineMixin, request_is_administrator

from .models import User

# Only a superuser grants these: they bypass every role check.
SUPERUSER_ONLY_FIELDS = ["is_superuser", "groups", "user_permissions"]


def _is_self(request: HttpRequest, obj: Any) -> bool:
    return obj is not None and obj.pk == request.user.pk


class StaffRoleInline(InlineMixin, admin.TabularInline[StaffRole, User]):
    model = StaffRole
    extra = 0
    autocomplete_fields = ["agency"]

    def _may_edit(self, request: HttpRequest, obj: Any) -> bool:
        if not request_is_administrator(request):
            return False
        return bool(request.user.is_superuser) or not _is_self(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_edit(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_edit(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_edit(request, obj)


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin[User]):
    fieldsets = [*BaseUserAdmin.fieldsets, ("Liên hệ", {"fields": ["phone"]})]  # type: ignore[misc]
    list_display = ["username", "first_name", "last_name", "phone", "email", "is_active", "is_superuser"]
    search_fields = ["username", "first_name", "last_name", "phone", "email"]
    inlines = [StaffRoleInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += SUPERUSER_ONLY_FIELDS
        return fields

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request_is_administrator(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request_is_administrator(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request_is_administrator(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not request_is_administrator(request):
            return False
        # A superuser's account (its password above all) is a superuser's business.
        return bool(request.user.is_superuser) or obj is None or not obj.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj) and not _is_self(request, obj)
