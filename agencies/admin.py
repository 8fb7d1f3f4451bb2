"""Administrators manage agencies (the routing rules) here; staff roles are edited on each user
(accounts.admin). The admin site opens for administrators only (accounts.admin_site)."""

from __future__ import annotations

from django.contrib import admin

from audit.admin_base import ModelAdmin

from .models import Agency


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
