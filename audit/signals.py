"""Sign-ins, sign-outs and failed sign-ins go to the audit log (connected in AuditConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from .services import audit_record

# Keys of the credentials that name the account (what was typed), never the secret part.
_IDENTIFIERS = ("username", "login", "phone", "email")


def on_logged_in(sender: Any, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: Any) -> None:
    backend = getattr(user, "backend", "") or ""
    audit_record(user, "login", obj=user, request=request, details={"backend": backend.rsplit(".", 1)[-1]})


def on_logged_out(sender: Any, request: HttpRequest | None, user: AbstractBaseUser | None, **kwargs: Any) -> None:
    if user is not None:
        audit_record(user, "logout", obj=user, request=request)


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # What was typed as the account name; there may be no such account. The password never.
    label = next((str(credentials[key]) for key in _IDENTIFIERS if credentials.get(key)), "")
    users = get_user_model()._default_manager
    actor = users.filter(**{get_user_model().USERNAME_FIELD: label}).first() if label else None
    audit_record(actor, "login_failed", request=request, actor_label=label)
