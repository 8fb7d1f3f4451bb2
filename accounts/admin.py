from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import StaffRole, User


class StaffRoleInline(admin.TabularInline[StaffRole, User]):
    model = StaffRole
    extra = 0
    autocomplete_fields = ["agency"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = [*BaseUserAdmin.fieldsets, ("Liên hệ", {"fields": ["phone"]})]  # type: ignore[misc]
    list_display = ["username", "first_name", "last_name", "phone", "email", "is_staff", "is_active"]
    search_fields = ["username", "first_name", "last_name", "phone", "email"]
    inlines = [StaffRoleInline]
