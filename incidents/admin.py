"""Administrators manage categories, agencies (the routing rules) and answer templates here.

The admin site opens for administrators only (accounts.admin_site); the checks below hold
even so, so that a change there cannot widen what a role may do.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.admin_base import InlineMixin, ModelAdmin
from accounts.admin_site import request_is_administrator
from accounts.models import Role
from accounts.selectors import agency_ids_for

from .models import Agency, AnswerTemplate, Category, Report, ReportEvent


class AnswerTemplateInline(InlineMixin, admin.StackedInline[AnswerTemplate, Category]):
    model = AnswerTemplate
    extra = 0


@admin.register(Category)
class CategoryAdmin(ModelAdmin):
    list_display = ["name", "code", "deadline_days", "duplicate_radius_m", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
    search_fields = ["name", "code"]
    inlines = [AnswerTemplateInline]


@admin.register(Agency)
class AgencyAdmin(ModelAdmin):
    list_display = ["name", "code", "level", "parent", "answer_requires_approval", "is_active"]
    list_filter = ["level", "is_active", "categories"]
    search_fields = ["name", "code"]
    raw_id_fields = ["parent"]
    autocomplete_fields = ["jurisdiction"]
    filter_horizontal = ["categories"]
    fieldsets = [
        (None, {"fields": ["name", "code", "level", "parent", "email", "phone", "is_active"]}),
        (
            "Định tuyến",
            {
                "fields": ["jurisdiction", "categories", "answer_requires_approval"],
                "description": (
                    "Phản ánh được giao cho cơ quan cụ thể nhất: cơ quan chuyên ngành của chuyên mục trước, "
                    "rồi địa bàn nhỏ nhất (phường/xã, rồi quận/huyện, rồi tỉnh)."
                ),
            },
        ),
    ]


class ReportEventInline(admin.TabularInline[ReportEvent, Report]):
    model = ReportEvent
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_status", "to_status", "actor", "agency", "note", "is_public", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True  # whoever may see the report (ReportAdmin.get_queryset) sees its history


def _report_agency_ids(request: HttpRequest) -> set[int] | None:
    """None: every report. Otherwise the agencies whose reports the user handles."""
    if request_is_administrator(request):
        return None
    cached = getattr(request, "_report_agency_ids", None)
    if cached is None:
        cached = agency_ids_for(request.user, [Role.OFFICER, Role.LEADER])
        request._report_agency_ids = cached  # type: ignore[attr-defined]
    return set(cached)


@admin.register(Report)
class ReportAdmin(ModelAdmin):
    """Read-only: every change to a report goes through the workflow, which checks and records it.

    Anyone who is not an administrator sees the reports of their own agencies only; any other
    report is not found (404), as an unknown one would be.
    """

    list_display = ["code", "title", "category", "status", "agency", "deadline", "is_overdue", "created_at"]
    list_filter = ["status", "kind", "category", "is_overdue", "channel"]
    search_fields = ["code", "title"]
    date_hierarchy = "created_at"
    inlines = [ReportEventInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        reports = super().get_queryset(request)
        agency_ids = _report_agency_ids(request)
        return reports if agency_ids is None else reports.filter(agency_id__in=agency_ids)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        agency_ids = _report_agency_ids(request)
        if agency_ids is None:
            return True
        return bool(agency_ids) and (obj is None or obj.agency_id in agency_ids)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
