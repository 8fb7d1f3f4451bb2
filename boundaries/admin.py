"""Boundaries, for administrators only (accounts.admin_site); changes are audited.

Outlines are shown, never edited here: they change through import_boundaries, which keeps the
history (AdminUnitVersion) and the lookup pieces in step. An edit here would have left the pieces
that route reports on the old outline. Django's map widget would also load OpenLayers from a CDN
with an inline script, which a closed network and our Content-Security-Policy both refuse.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from audit.admin_base import AuditedAdminMixin
from common.admin import AdministratorsOnlyMixin, ReadOnlyMixin

from .models import AdminUnit, AdminUnitVersion


def _outline(obj: AdminUnit | AdminUnitVersion) -> str:
    geom = obj.geom
    if geom is None:
        return "—"
    # format_html escapes its arguments into strings first, so numbers are formatted before.
    box = ", ".join(f"{value:.5f}" for value in geom.extent)
    return format_html("{} vùng, {} đỉnh; khung {} (tây, nam, đông, bắc; WGS 84)", len(geom), geom.num_coords, box)


@admin.register(AdminUnit)
class AdminUnitAdmin(AuditedAdminMixin, AdministratorsOnlyMixin, admin.ModelAdmin[AdminUnit]):
    list_display = ["code", "name", "kind", "level", "parent", "valid_from", "valid_to"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
    exclude = ["geom"]
    readonly_fields = ["code", "level", "parent", "outline", "valid_from", "valid_to", "updated_at"]

    @admin.display(description="ranh giới")
    def outline(self, obj: AdminUnit) -> str:
        return _outline(obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AdminUnitVersion)
class AdminUnitVersionAdmin(
    ReadOnlyMixin, AuditedAdminMixin, AdministratorsOnlyMixin, admin.ModelAdmin[AdminUnitVersion]
):
    """The history of a unit's outline and name: read-only, it records what was."""

    list_display = ["unit", "name", "valid_from", "valid_to"]
    search_fields = ["unit__code", "name"]
    exclude = ["geom"]
    readonly_fields = ["outline"]

    @admin.display(description="ranh giới")
    def outline(self, obj: AdminUnitVersion) -> str:
        return _outline(obj)
