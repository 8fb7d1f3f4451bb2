"""Limits on anonymous reports, for the API and the form, and how an anonymous sender proves itself.

Many people share one address (mobile networks in Vietnam put whole neighbourhoods behind one), so
the limit that matters is per device: a signed, long-lived cookie (settings.INTAKE_ANON_RATE). The
address only bounds what many devices may send together (settings.INTAKE_ANON_IP_RATE, much larger).
Dropping the cookie gives a fresh device, but each report also needs a solved captcha, and the
address bound still holds.

Only stored reports count: a sender checks `intake_limit` before anything costly and calls
`intake_count` once the report is stored. Counts live in the shared cache (a database table), so
every web worker on every app server sees the same numbers, each written under its key's lock
(common.counters). Signed-in people (citizens with an account, officers,
hotline operators) are not counted: they are known and can be dealt with one by one.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass
from typing import Any, TypeVar

from captcha.fields import CaptchaField
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext as _
from rest_framework.exceptions import Throttled

from common.counters import counters_locked
from common.http import client_ip

DEVICE_COOKIE = "device"
DEVICE_SALT = "incidents.device"
DEVICE_MAX_AGE = 2 * 365 * 24 * 3600
# The form tells a sender how many reports are left once this few remain.
NEAR_LIMIT = 5
# All devices behind one address may fetch this many times settings.CAPTCHA_API_RATE captchas together.
CAPTCHA_ADDRESS_FACTOR = 10
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_Response = TypeVar("_Response", bound=HttpResponseBase)


def _http(request: Any) -> HttpRequest:
    """The Django request under a DRF one (attributes set on it outlive the wrapper)."""
    http: HttpRequest = getattr(request, "_request", request)
    return http


def device_id(request: Any) -> str:
    """This browser's or app's id from its signed device cookie; a new one when it has none (or a forged one),
    which `device_cookie_set` then sends."""
    http = _http(request)
    known: str | None = getattr(http, "_device_id", None)
    if known is not None:
        return known
    value = http.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_SALT)
    http._device_id_new = not value  # type: ignore[attr-defined]
    http._device_id = value or secrets.token_urlsafe(16)  # type: ignore[attr-defined]
    return str(http._device_id)  # type: ignore[attr-defined]


def caller_scope(request: Any) -> str:
    """Whose idempotency keys these are: the account, else the device (from its cookie), else the address."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    device = device_id(request)
    if not getattr(_http(request), "_device_id_new", False):
        return f"device:{device}"
    return f"address:{client_ip(_http(request)) or 'unknown'}"


def device_cookie_set(request: Any, response: _Response) -> _Response:
    """Send the device cookie when this request was given a new device id."""
    http = _http(request)
    if getattr(http, "_device_id_new", False):
        response.set_signed_cookie(
            DEVICE_COOKIE,
            http._device_id,  # type: ignore[attr-defined]
            salt=DEVICE_SALT,
            max_age=DEVICE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=http.is_secure() or settings.SESSION_COOKIE_SECURE,
        )
    return response


@dataclass(frozen=True)
class _Counter:
    key: str
    limit: int
    seconds: int
    by_address: bool


@dataclass(frozen=True)
class IntakeLimit:
    """Where an anonymous sender stands: `wait` seconds before the next report (None: may send now), and
    how many reports remain before a limit (None: no limit applies)."""

    wait: int | None = None
    remaining: int | None = None
    by_address: bool = False
    # The limit that binds, and seconds until its window frees a report (None: no limit applies).
    limit: int | None = None
    reset: int | None = None

    def headers(self) -> dict[str, str]:
        """The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers) for API answers."""
        if self.limit is None:
            return {}
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining or 0),
            "RateLimit-Reset": str(self.reset),
        }

    @property
    def near(self) -> bool:
        return self.remaining is not None and 0 < self.remaining <= NEAR_LIMIT

    def message(self) -> str:
        minutes = max(1, math.ceil((self.wait or 1) / 60))
        if self.by_address:
            text = _(
                "Có quá nhiều phản ánh được gửi từ địa chỉ mạng này. Hãy thử lại sau %(minutes)s phút, "
                "hoặc đăng nhập để gửi tiếp."
            )
        else:
            text = _(
                "Bạn đã gửi quá nhiều phản ánh từ thiết bị này. Hãy thử lại sau %(minutes)s phút, "
                "hoặc đăng nhập để gửi tiếp."
            )
        return text % {"minutes": minutes}


def _parse_rate(rate: str | None) -> tuple[int, int] | None:
    """ "30/hour" -> (30, 3600); empty -> None (no limit)."""
    if not rate:
        return None
    count, period = rate.split("/")
    return int(count), _PERIODS[period.strip()[0]]


def _counters(request: Any) -> list[_Counter]:
    if request.user.is_authenticated:
        return []
    counters = []
    device_rate = _parse_rate(settings.INTAKE_ANON_RATE)
    if device_rate:
        counters.append(_Counter(f"intake:device:{device_id(request)}", *device_rate, by_address=False))
    address_rate = _parse_rate(settings.INTAKE_ANON_IP_RATE)
    if address_rate:
        address = client_ip(_http(request)) or "unknown"
        counters.append(_Counter(f"intake:address:{address}", *address_rate, by_address=True))
    return counters


def _recent(counter: _Counter, now: float) -> list[float]:
    history: list[float] = cache.get(counter.key) or []
    return [moment for moment in history if moment > now - counter.seconds]


def _standing(counters: list[_Counter], now: float) -> IntakeLimit:
    """Where a caller stands against these counters: the first one used up, else the one with least left."""
    standing = IntakeLimit()
    for counter in counters:
        recent = _recent(counter, now)
        remaining = counter.limit - len(recent)
        # The window frees its oldest entry first; an empty one is a whole window away.
        reset = max(1, math.ceil(min(recent, default=now) + counter.seconds - now))
        if remaining <= 0:
            return IntakeLimit(wait=reset, remaining=0, by_address=counter.by_address, limit=counter.limit, reset=reset)
        if standing.remaining is None or remaining < standing.remaining:
            standing = IntakeLimit(remaining=remaining, by_address=counter.by_address, limit=counter.limit, reset=reset)
    return standing


def _count(counters: list[_Counter], now: float) -> None:
    # Under the counters' locks (common.counters): a count read and written back by two servers at once
    # would otherwise lose one.
    with counters_locked(counter.key for counter in counters):
        for counter in counters:
            cache.set(counter.key, [*_recent(counter, now), now], counter.seconds)


def intake_limit(request: Any) -> IntakeLimit:
    """Whether this sender may send a report now, and how many remain (the form's hint and the API's
    RateLimit headers); counts nothing."""
    return _standing(_counters(request), time.time())


def intake_count(request: Any) -> None:
    """Count one stored report against this sender's limits."""
    _count(_counters(request), time.time())


def _captcha_counters(request: Any) -> list[_Counter]:
    rate = _parse_rate(settings.CAPTCHA_API_RATE)
    if rate is None:
        return []
    count, seconds = rate
    address = client_ip(_http(request)) or "unknown"
    device = device_id(request)
    # Each device counts on its own; requests without the cookie (each a new device) also count together
    # on their address, so dropping the cookie gains nothing. All devices of an address together get
    # CAPTCHA_ADDRESS_FACTOR times as many: many people share an address.
    counters = [
        _Counter(f"captcha:device:{device}", count, seconds, by_address=False),
        _Counter(f"captcha:address:{address}", count * CAPTCHA_ADDRESS_FACTOR, seconds, by_address=True),
    ]
    if getattr(_http(request), "_device_id_new", False):
        counters.append(_Counter(f"captcha:new:{address}", count, seconds, by_address=True))
    return counters


def captcha_take(request: Any) -> None:
    """Count one captcha handed out to this caller (GET /api/v1/captcha); Throttled (429, Retry-After)
    once the caller has had too many. Signed-in callers need no captcha and are counted all the same."""
    now = time.time()
    counters = _captcha_counters(request)
    # The check and the count together: simultaneous requests on several servers get one captcha each
    # while any is left, never one more.
    with counters_locked(counter.key for counter in counters):
        standing = _standing(counters, now)
        if standing.wait is None:
            _count(counters, now)
    if standing.wait is not None:
        minutes = max(1, math.ceil(standing.wait / 60))
        exc = Throttled(
            detail=_("Đã lấy quá nhiều mã xác nhận. Hãy thử lại sau %(minutes)s phút.") % {"minutes": minutes}
        )
        exc.wait = standing.wait  # type: ignore[attr-defined]
        raise exc


def intake_throttled(standing: IntakeLimit) -> Throttled:
    """The API's 429: a Vietnamese message, and Retry-After (DRF sets it from `wait`)."""
    exc = Throttled(detail=standing.message())
    exc.wait = standing.wait  # type: ignore[attr-defined]  # DRF sets it only with its English suffix
    return exc


def captcha_check(key: str, answer: str) -> None:
    """Check (and use up) a captcha answer, as the report form does; ValidationError in Vietnamese."""
    field = CaptchaField(error_messages={"invalid": _("Mã xác nhận không đúng. Hãy lấy mã mới và nhập lại.")})
    if not key or not answer:
        raise ValidationError(_("Hãy nhập mã xác nhận."))
    field.clean([key, answer])
