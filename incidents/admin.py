"""Administrators manage categories, their extra questions and answer templates here (agencies: agencies/admin.py).

The admin site opens for administrators only (accounts.admin_site); the checks below hold
even so, so that a change there cannot widen what a role may do.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from agencies.staff_access import request_staff_access
from audit.admin_base import ModelAdmin
from common.admin import InlineMixin, ReadOnlyMixin

from .models import AnswerTemplate, Category, CategoryQuestion, Report, ReportEvent


class AnswerTemplateInline(InlineMixin, admin.StackedInline[AnswerTemplate, Category]):
    model = AnswerTemplate
    extra = 0


class CategoryQuestionInline(InlineMixin, admin.StackedInline[CategoryQuestion, Category]):
    """The category's extra questions (Open311's service definition); the choices' shape is checked by the
    model's clean()."""

    model = CategoryQuestion
    extra = 0
    fields = [
        ("code", "order", "active"),
        ("prompt", "prompt_en"),
        ("description", "description_en"),
        ("datatype", "required", "variable"),
        "values",
    ]


@admin.register(Category)
class CategoryAdmin(ModelAdmin):
    list_display = ["name", "name_en", "code", "deadline_days", "duplicate_radius_m", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
    search_fields = ["name", "name_en", "code"]
    inlines = [CategoryQuestionInline, AnswerTemplateInline]


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


@admin.register(Report)
class ReportAdmin(ReadOnlyMixin, ModelAdmin):
    """Read-only: every change to a report goes through the workflow, which checks and records it.

    Anyone who is not an administrator sees only the reports agencies.staff_access gives them; any
    other report is not found (404), as an unknown one would be.
    """

    list_display = ["code", "title", "category", "status", "agency", "deadline", "is_overdue", "created_at"]
    list_filter = ["status", "kind", "category", "is_overdue", "channel"]
    search_fields = ["code", "title"]
    date_hierarchy = "created_at"
    inlines = [ReportEventInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        reports = super().get_queryset(request)
        return request_staff_access(request).visible(reports)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        access = request_staff_access(request)
        if obj is None:
            return access.everything or bool(access.agency_ids)
        return access.sees(obj)
