"""What every ModelAdmin of ours shares: administrators only (and read-only for records nobody edits).

Who is an administrator is the organisation chart's rule (agencies.selectors.is_administrator), a floor
above this one. The floor asks Django's permission system instead of importing it: the
ADMINISTER permission is granted by agencies.backends.AdministratorBackend (AUTHENTICATION_BACKENDS)
to exactly the users that rule names, and to active superusers (Django's own shortcut).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

# No model and no Permission row carries it: only the backend grants it.
ADMINISTER = "common.administer"


def request_is_administrator(request: HttpRequest) -> bool:
    """Whether the request's user is an administrator, asked once per request (the admin asks often)."""
    cached = getattr(request, "_is_administrator", None)
    if cached is None:
        cached = request.user.has_perm(ADMINISTER)
        request._is_administrator = cached  # type: ignore[attr-defined]
    return bool(cached)


class AdministratorsOnlyMixin:
    """Every permission follows our roles, not Django's per-model permissions: administrators
    (and superusers) may, nobody else. Subclasses narrow it further (read-only models)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request_is_administrator(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request_is_administrator(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return request_is_administrator(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request_is_administrator(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request_is_administrator(request)


class ReadOnlyMixin:
    """Records the code writes and nobody edits (the audit log, a report's history): view only.

    Put it before AdministratorsOnlyMixin, which still decides who may view.
    """

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class InlineMixin(AdministratorsOnlyMixin):
    pass
