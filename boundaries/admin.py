"""Boundaries, for administrators only (accounts.admin_site); changes are audited."""

from __future__ import annotations

from typing import Any

from django.contrib.gis import admin
from django.http import HttpRequest

from accounts.admin_base import AdministratorsOnlyMixin, AuditedAdminMixin

from .models import AdminUnit, AdminUnitVersion


@admin.register(AdminUnit)
class AdminUnitAdmin(AuditedAdminMixin, AdministratorsOnlyMixin, admin.GISModelAdmin):
    list_display = ["code", "name", "kind", "level", "parent", "valid_from", "valid_to"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
    # Boundaries change through import_boundaries, which keeps history and pieces in step.
    readonly_fields = ["code", "level", "parent", "valid_from", "valid_to", "updated_at"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AdminUnitVersion)
class AdminUnitVersionAdmin(AuditedAdminMixin, AdministratorsOnlyMixin, admin.GISModelAdmin):
    list_display = ["unit", "name", "valid_from", "valid_to"]
    search_fields = ["unit__code", "name"]
    raw_id_fields = ["unit"]
