"""The client's address: the one rule every app uses (audit log, throttles, intake, sign-in lockout).

A floor module (imports nothing of ours), so any app may import it.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest, *args: Any) -> str | None:
    """REMOTE_ADDR, or behind our own proxy (settings.BEHIND_PROXY) the last X-Forwarded-For entry,
    the one the proxy appended. Earlier entries are whatever the client sent, so they are never
    trusted, and without a proxy the header is ignored altogether. None when it is not an address.

    Also django-axes' AXES_CLIENT_IP_CALLABLE, which may pass more arguments (ignored).
    """
    candidate = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            candidate = forwarded.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
