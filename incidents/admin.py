"""Administrators manage categories, agencies (the routing rules) and answer templates here."""

from django.contrib import admin

from .models import Agency, AnswerTemplate, Category, Report, ReportEvent


class AnswerTemplateInline(admin.StackedInline[AnswerTemplate, Category]):
    model = AnswerTemplate
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ["name", "code", "deadline_days", "duplicate_radius_m", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
    search_fields = ["name", "code"]
    inlines = [AnswerTemplateInline]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin[Agency]):
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

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin[Report]):
    """Read-only: every change to a report goes through the workflow, which records it."""

    list_display = ["code", "title", "category", "status", "agency", "deadline", "is_overdue", "created_at"]
    list_filter = ["status", "kind", "category", "is_overdue", "channel"]
    search_fields = ["code", "title"]
    date_hierarchy = "created_at"
    inlines = [ReportEventInline]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
