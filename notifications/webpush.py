"""Web Push: send one outbox message to the browser subscription it names, signed with VAPID.

A subscription's endpoint is a URL a browser (or anyone) hands us, and the worker POSTs to it: so
it is only ever an https URL whose host resolves to public addresses. That is checked when the
subscription is saved (`endpoint_check`) and again when sending, by the connection itself
(`_CheckedConnection`): it resolves the host, checks every address and connects to a checked one,
so a name that changes its answer between check and connect (DNS rebinding) cannot slip through.
Redirects are never followed, the answer is read only up to a small size, and an endpoint that
fails is dropped (at once when it is gone or unsafe, after a few failures otherwise).
"""

from __future__ import annotations

import base64
import ipaddress
import logging
import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db.models import F
from pywebpush import WebPushException, webpush
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError
from urllib3.util import connection as urllib3_connection

from .errors import Undeliverable

if TYPE_CHECKING:
    from .models import Notification

logger = logging.getLogger(__name__)

# How long the push service keeps a message for a browser that is offline (seconds).
PUSH_TTL = 12 * 60 * 60
# Seconds to connect, and between bytes of the answer: a push service answers at once.
PUSH_TIMEOUT = 5.0
# Push services answer with an empty or short body; more is not read.
MAX_ANSWER_BYTES = 64 * 1024
ENDPOINT_MAX_LENGTH = 1000
P256DH_BYTES = 65  # an uncompressed P-256 point
AUTH_BYTES = 16
# NAT64 addresses carry an IPv4 address in their last 32 bits, reached through the translator.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class SubscriptionGone(Undeliverable):
    """The subscription was removed: the push service said it is gone, or it is unsafe or keeps failing."""


class PushError(Exception):
    """The push service did not take the message; sending again later may work."""


class UnsafeEndpoint(Exception):
    """The endpoint is not an https URL on public addresses; nothing is sent to it."""


# --- Which endpoints may be posted to ----------------------------------------------------------


def resolve_host(host: str, port: int) -> list[str]:
    """The addresses a host name resolves to (tests stub this: they never resolve or connect out)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def address_is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A globally routable unicast address: not loopback, private, shared (CGNAT), link-local,
    multicast, reserved or unspecified; IPv6 forms that carry an IPv4 address are judged by it."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_is_public(embedded)
        if address.teredo is not None:
            return False
    return bool(
        address.is_global
        and not (
            address.is_multicast
            or address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_reserved
            or address.is_unspecified
        )
    )


def _allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if address_is_public(address):
        return True
    # Tests only: a fake push service on this machine.
    loopback = address.ipv4_mapped or address if isinstance(address, ipaddress.IPv6Address) else address
    return bool(settings.PUSH_ALLOW_LOOPBACK and loopback.is_loopback)


def checked_addresses(host: str, port: int, *, plain: bool) -> list[str]:
    """Resolve `host` and return its addresses, each allowed; UnsafeEndpoint if any is not.

    `plain` (http, or a port other than 443) is allowed only towards loopback, in tests.
    """
    try:
        raw = resolve_host(host, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeEndpoint(f"Không phân giải được tên miền {host!r}.") from exc
    if not raw:
        raise UnsafeEndpoint(f"Không phân giải được tên miền {host!r}.")
    addresses = []
    for text in raw:
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            raise UnsafeEndpoint(f"Địa chỉ không hợp lệ cho {host!r}.") from None
        if not _allowed(address) or (plain and address_is_public(address)):
            raise UnsafeEndpoint("Địa chỉ nhận phải là một máy chủ công khai trên Internet.")
        addresses.append(str(address))
    return addresses


def _endpoint_parts(endpoint: str) -> tuple[str, int, bool]:
    """(host, port, plain) of an endpoint URL; UnsafeEndpoint if it is not a plain https URL."""
    if len(endpoint) > ENDPOINT_MAX_LENGTH:
        raise UnsafeEndpoint(f"Địa chỉ nhận dài quá {ENDPOINT_MAX_LENGTH} ký tự.")
    try:
        url = urlsplit(endpoint)
        port = url.port
    except ValueError:
        raise UnsafeEndpoint("Địa chỉ nhận không phải một URL hợp lệ.") from None
    loopback_ok = bool(settings.PUSH_ALLOW_LOOPBACK)
    if url.scheme != "https" and not (loopback_ok and url.scheme == "http"):
        raise UnsafeEndpoint("Địa chỉ nhận phải dùng https.")
    if not url.hostname or url.username is not None or url.password is not None:
        raise UnsafeEndpoint("Địa chỉ nhận phải là https://tên-máy-chủ/…, không kèm tên đăng nhập.")
    port = port or (443 if url.scheme == "https" else 80)
    plain = url.scheme != "https" or port != 443
    if plain and not loopback_ok:
        raise UnsafeEndpoint("Địa chỉ nhận phải dùng cổng https mặc định (443).")
    return url.hostname, port, plain


def endpoint_check(endpoint: str) -> None:
    """UnsafeEndpoint unless the endpoint is an https URL whose host resolves to public addresses only."""
    host, port, plain = _endpoint_parts(endpoint)
    checked_addresses(host, port, plain=plain)


def _b64url(value: str, size: int) -> bytes | None:
    if not value or len(value) > 2 * size or not all(c.isalnum() or c in "-_=" for c in value):
        return None
    try:
        raw = base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
    except ValueError:
        return None
    return raw if len(raw) == size else None


def keys_errors(*, p256dh: str, auth: str) -> dict[str, list[str]]:
    """What is wrong with a subscription's keys (base64url: a P-256 public key and a 16-byte secret)."""
    errors: dict[str, list[str]] = {}
    point = _b64url(p256dh, P256DH_BYTES)
    try:
        if point is None:
            raise ValueError
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        errors["p256dh"] = ["Khóa p256dh phải là khóa công khai P-256 (65 byte, base64url)."]
    if _b64url(auth, AUTH_BYTES) is None:
        errors["auth"] = ["Khóa auth phải là 16 byte, base64url."]
    return errors


# --- Sending: connect only to checked addresses, follow no redirect -----------------------------


class _CheckedConnectionMixin:
    """Resolves and checks the host when connecting, then connects to a checked address."""

    _dns_host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any
    plain: bool = False

    def _new_conn(self) -> socket.socket:
        addresses = checked_addresses(self._dns_host, self.port, plain=self.plain or self.port != 443)
        error: OSError | None = None
        for address in addresses:
            try:
                return urllib3_connection.create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except OSError as exc:
                error = exc
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}")  # type: ignore[arg-type]


class _CheckedHTTPConnection(_CheckedConnectionMixin, HTTPConnection):
    plain = True


class _CheckedHTTPSConnection(_CheckedConnectionMixin, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}


class _PushSession(requests.Session):
    """No redirects, no proxy from the environment, and at most MAX_ANSWER_BYTES of any answer."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False
        self.mount("http://", _CheckedAdapter())
        self.mount("https://", _CheckedAdapter())

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["allow_redirects"] = False
        kwargs["stream"] = True
        response = super().request(method, url, *args, **kwargs)
        try:
            response._content = response.raw.read(MAX_ANSWER_BYTES, decode_content=False) or b""
        finally:
            response.close()
        return response


def _drop(subscription: Any, reason: str) -> SubscriptionGone:
    logger.info("Web Push subscription %s removed: %s", subscription.pk, reason)
    subscription.delete()
    return SubscriptionGone(reason)


def _failed(subscription: Any, message: str) -> Exception:
    """Count a failure; past settings.PUSH_MAX_FAILURES in a row the subscription is dropped."""
    from .models import PushSubscription

    PushSubscription.objects.filter(pk=subscription.pk).update(failures=F("failures") + 1)
    failures = PushSubscription.objects.filter(pk=subscription.pk).values_list("failures", flat=True).first() or 0
    if failures >= settings.PUSH_MAX_FAILURES:
        return _drop(subscription, f"{message} ({failures} lần liên tiếp)")
    return PushError(message)


def push_send(notification: Notification) -> None:
    subscription = notification.push_subscription
    if subscription is None:
        raise SubscriptionGone("Đăng ký Web Push không còn nữa.")
    try:
        _endpoint_parts(subscription.endpoint)
        with _PushSession() as session:
            webpush(
                subscription_info={
                    "endpoint": subscription.endpoint,
                    "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                },
                data=notification.body,
                vapid_private_key=settings.VAPID_PRIVATE_KEY,
                vapid_claims={"sub": settings.VAPID_SUBJECT},
                ttl=PUSH_TTL,
                timeout=PUSH_TIMEOUT,
                requests_session=session,
            )
    except UnsafeEndpoint as exc:
        raise _drop(subscription, f"Địa chỉ nhận không an toàn: {exc}") from exc
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (404, 410):
            raise _drop(subscription, f"Dịch vụ push trả về {status}: trình duyệt đã hủy đăng ký.") from exc
        if status is not None and 300 <= status < 400:
            raise _drop(subscription, f"Dịch vụ push chuyển hướng ({status}); không đi theo.") from exc
        raise _failed(subscription, f"Dịch vụ push trả về {status}.") from exc
    except Exception as exc:  # network errors from requests
        raise _failed(subscription, f"Không gửi được Web Push: {type(exc).__name__}: {exc}") from exc
    if subscription.failures:
        type(subscription).objects.filter(pk=subscription.pk).update(failures=0)
