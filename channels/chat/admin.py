from django.contrib import admin

from common.admin import AdministratorsOnlyMixin, InlineMixin, ReadOnlyMixin

from .models import ChatEvent, Conversation, ConversationItem, PlatformToken


class ConversationItemInline(ReadOnlyMixin, InlineMixin, admin.TabularInline[ConversationItem, Conversation]):
    model = ConversationItem
    extra = 0
    can_delete = False
    fields = readonly_fields = ("created_at", "kind", "text", "file", "lat", "lng")


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyMixin, AdministratorsOnlyMixin, admin.ModelAdmin[Conversation]):
    list_display = ["platform", "user_id", "stage", "name", "report_code", "last_activity_at", "closed_reason"]
    list_filter = ["platform", "stage", "closed_reason"]
    search_fields = ["user_id", "name", "phone", "report_code"]
    inlines = [ConversationItemInline]


@admin.register(ChatEvent)
class ChatEventAdmin(ReadOnlyMixin, AdministratorsOnlyMixin, admin.ModelAdmin[ChatEvent]):
    list_display = ["platform", "event_id", "received_at", "processed_at"]
    list_filter = ["platform"]
    search_fields = ["event_id"]


@admin.register(PlatformToken)
class PlatformTokenAdmin(AdministratorsOnlyMixin, admin.ModelAdmin[PlatformToken]):
    # An administrator pastes a new refresh token here when the stored one has lapsed.
    list_display = ["platform", "expires_at", "updated_at"]
    fields = ["platform", "refresh_token", "expires_at", "updated_at"]
    readonly_fields = ["expires_at", "updated_at"]
