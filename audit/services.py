"""The audit log: who did what, to which object, when and from which address.

Service functions call `audit_record` inside their own transaction, so an action
and its record commit (or roll back) together. They need not be handed the
request: `audit.middleware.AuditContextMiddleware` keeps the current request
in a context variable, from which the address and browser are read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.http import HttpRequest

from common.http import client_ip

from .models import AuditEvent

_current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)

# Keys whose values never reach the log, at any depth of `details`.
_SECRET_KEY = re.compile(r"pass|secret|token|otp|pin\b|credential|csrf|session|key$", re.IGNORECASE)
_REDACTED = "[đã ẩn]"


@contextmanager
def request_context(request: HttpRequest) -> Iterator[None]:
    """Make `request` the current one for audit records made while the block runs."""
    token = _current_request.set(request)
    try:
        yield
    finally:
        _current_request.reset(token)


def current_request() -> HttpRequest | None:
    return _current_request.get()


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): (_REDACTED if _SECRET_KEY.search(str(key)) else _scrub(item)) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def object_ref(obj: models.Model) -> str:
    # Reports, categories and agencies are known by their code; everything else by its key.
    code = getattr(obj, "code", None)
    return str(code if isinstance(code, str) and code else obj.pk)[:100]


def audit_record(
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    *,
    obj: models.Model | None = None,
    request: HttpRequest | None = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Store one audit event. `request` defaults to the current one (see the middleware);
    secrets under keys such as password, otp or token in `details` are replaced."""
    request = request if request is not None else current_request()
    account = actor if isinstance(actor, AbstractBaseUser) and actor.pk is not None else None
    user_agent = ""
    if request is not None:
        ip = ip or client_ip(request)
        user_agent = request.META.get("HTTP_USER_AGENT", "")[:300]
    return AuditEvent.objects.create(
        actor_id=account.pk if account else None,
        actor_label=(actor_label or (account.get_username() if account else ""))[:254],
        action=action[:60],
        object_type=obj._meta.label_lower if obj is not None else "",
        object_ref=object_ref(obj) if obj is not None else "",
        ip=ip,
        user_agent=user_agent,
        details=_scrub(details or {}),
    )
