"""What every ModelAdmin of ours shares: administrators only (common.admin), and every change in the audit log.

Django's own LogEntry has no address and is written by the admin only; ours records the
admin's additions, changes and deletions in the same log as the staff's workflow actions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from common.admin import AdministratorsOnlyMixin

from .services import audit_record


def _changes(message: Any) -> Any:
    # The admin's change message names changed fields and added/removed inline rows
    # (e.g. a staff role), never the values typed.
    return message if isinstance(message, list) else str(message)[:500]


class AuditedAdminMixin:
    """Writes an AuditEvent (admin.add / admin.change / admin.delete) next to each LogEntry."""

    def log_addition(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)  # type: ignore[misc]
        details = {"repr": str(obj)[:200], "changes": _changes(message)}
        audit_record(request.user, "admin.add", obj=obj, request=request, details=details)
        return entry

    def log_change(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        entry = super().log_change(request, obj, message)  # type: ignore[misc]
        details = {"repr": str(obj)[:200], "changes": _changes(message)}
        audit_record(request.user, "admin.change", obj=obj, request=request, details=details)
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        objects = list(queryset)
        entries = super().log_deletions(request, objects)  # type: ignore[misc]
        for obj in objects:
            audit_record(request.user, "admin.delete", obj=obj, request=request, details={"repr": str(obj)[:200]})
        return entries


class ModelAdmin(AuditedAdminMixin, AdministratorsOnlyMixin, admin.ModelAdmin[Any]):
    pass
