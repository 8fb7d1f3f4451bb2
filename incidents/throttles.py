"""Per-address limit on anonymous reports (settings.INTAKE_ANON_RATE), for the API and the form.

Counts live in the shared cache (a database table), so every web worker sees the same
numbers. Signed-in people (citizens with an account, officers, hotline operators) are not
counted: they are known and can be dealt with one by one.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from rest_framework.exceptions import Throttled
from rest_framework.throttling import SimpleRateThrottle

from geo.net import client_ip


class AnonIntakeThrottle(SimpleRateThrottle):
    scope = "intake_anon"

    def get_rate(self) -> str | None:
        # Read on every request, so tests and deployments can change it without a restart of this class.
        return settings.INTAKE_ANON_RATE or None

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "unknown"}


def intake_wait(request: HttpRequest) -> int | None:
    """Count this anonymous report; None when it is allowed, else the seconds to wait before the next."""
    throttle = AnonIntakeThrottle()
    # DRF's throttles read only request.user and request.META, which a plain HttpRequest has too.
    if throttle.allow_request(request, None):  # type: ignore[arg-type]
        return None
    return max(1, math.ceil(throttle.wait() or 1))


def throttled_message(wait: int) -> str:
    minutes = max(1, math.ceil(wait / 60))
    return _(
        "Bạn đã gửi quá nhiều phản ánh từ địa chỉ mạng này. Hãy thử lại sau %(minutes)s phút, "
        "hoặc đăng nhập để gửi tiếp."
    ) % {"minutes": minutes}


def intake_throttled(wait: float | None) -> Throttled:
    """The API's 429: a Vietnamese message, and Retry-After (DRF sets it from `wait`)."""
    seconds = max(1, math.ceil(wait or 1))
    exc = Throttled(detail=throttled_message(seconds))
    exc.wait = seconds  # type: ignore[attr-defined]  # DRF sets it only with its English suffix
    return exc
