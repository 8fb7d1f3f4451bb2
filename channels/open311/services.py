"""Writes of the Open311 channel: API keys (issue, revoke), the per-key limit, and a new service request
filed through the one intake (incidents.services.report_create)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from common.counters import SharedRateThrottle
from incidents import services as intake
from incidents.models import Category, Channel, ConsentChannel, Report

from .models import ApiClient, Open311Request

KEY_PREFIX_LENGTH = 12
TITLE_MAX = 120
MEDIA_URL_MAX = 1000


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    client: ApiClient
    # Shown to the administrator once; only its hash and prefix are stored.
    key: str


def api_client_issue(*, name: str, contact: str = "", key: str | None = None) -> IssuedKey:
    """A new client with a new key (32 random bytes; `key` only for a fixed demo key)."""
    key = key or secrets.token_urlsafe(32)
    if len(key) < KEY_PREFIX_LENGTH:
        raise ValueError(f"an API key has at least {KEY_PREFIX_LENGTH} characters")
    client = ApiClient.objects.create(
        name=name, contact=contact, key_prefix=key[:KEY_PREFIX_LENGTH], key_hash=key_hash(key)
    )
    return IssuedKey(client=client, key=key)


def api_client_key_rotate(*, client: ApiClient) -> str:
    """A new key for an existing client (the old one stops working at once); returned once."""
    key = secrets.token_urlsafe(32)
    client.key_prefix, client.key_hash = key[:KEY_PREFIX_LENGTH], key_hash(key)
    client.save(update_fields=["key_prefix", "key_hash"])
    return key


def api_client_revoke(*, client: ApiClient) -> ApiClient:
    client.is_active = False
    client.revoked_at = timezone.now()
    client.save(update_fields=["is_active", "revoked_at"])
    return client


def api_client_for_key(key: str) -> ApiClient | None:
    """The active client holding this key, or None (unknown, malformed or revoked)."""
    if len(key) < KEY_PREFIX_LENGTH or len(key) > 200:
        return None
    client = ApiClient.objects.filter(key_prefix=key[:KEY_PREFIX_LENGTH]).first()
    # Compared in constant time, and compared even for a revoked client, so timing tells nothing.
    if client is None or not hmac.compare_digest(client.key_hash, key_hash(key)):
        return None
    return client if client.is_active else None


class KeyThrottle(SharedRateThrottle):
    """settings.OPEN311_KEY_RATE requests per key, counted in the shared cache (a database table), so the
    limit holds across every web worker."""

    scope = "open311_key"

    def __init__(self, client: ApiClient) -> None:
        self.client = client
        super().__init__()

    def get_rate(self) -> str | None:
        return settings.OPEN311_KEY_RATE or None

    def get_cache_key(self, request: object, view: object) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.client.pk}


def api_client_throttle(*, client: ApiClient, request: HttpRequest) -> int | None:
    """Count one request against the client's limit: None when allowed, else seconds to wait."""
    throttle = KeyThrottle(client)
    if throttle.allow_request(request, None):
        return None
    wait = throttle.wait()
    return max(1, int(wait or 1))


# The POST's free-text fields, named as the specification names them.
TEXT_FIELDS = (
    "address_string",
    "description",
    "media_url",
    "email",
    "first_name",
    "last_name",
    "phone",
    "device_id",
    "account_id",
)


@dataclass
class ServiceRequestInput:
    """A POST /requests as the specification names its fields."""

    service_code: str
    # (lng, lat), already located; None: an address_string that matched no place (filed without a pin).
    point: tuple[float, float] | None
    address_string: str = ""
    description: str = ""
    media_url: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    device_id: str = ""
    account_id: str = ""
    attributes: dict[str, str | list[str]] = field(default_factory=dict)


def media_url_clean(url: str) -> str:
    """A media link worth keeping: http(s), a host name or a public address, no credentials.

    The server never fetches it (no server-side request to wherever a client points); it is a link
    for staff, so it must not point their browsers at the intranet either.
    """
    url = url.strip()
    if not url:
        return ""
    if len(url) > MEDIA_URL_MAX:
        raise ValidationError(f"media_url dài quá {MEDIA_URL_MAX} ký tự.")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        raise ValidationError("media_url không phải là một địa chỉ hợp lệ.") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValidationError("media_url phải là một địa chỉ http hoặc https.")
    if parts.username is not None or parts.password is not None:
        raise ValidationError("media_url không được chứa tên đăng nhập hay mật khẩu.")
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if (address is not None and not address.is_global) or host == "localhost" or "." not in host:
        raise ValidationError("media_url phải trỏ tới một địa chỉ công khai trên Internet.")
    if host.endswith((".localhost", ".local", ".internal", ".lan", ".home.arpa")):
        raise ValidationError("media_url phải trỏ tới một địa chỉ công khai trên Internet.")
    return url


def _title(description: str, category: Category | None) -> str:
    first_line = next((line.strip() for line in description.splitlines() if line.strip()), "")
    if not first_line:
        return category.name if category is not None else "Phản ánh qua Open311"
    return first_line if len(first_line) <= TITLE_MAX else first_line[: TITLE_MAX - 1].rstrip() + "…"


@dataclass(frozen=True)
class Filed:
    report: Report
    link: Open311Request
    # False: a retry of an earlier request, answered with its report.
    created: bool


def service_request_create(
    *,
    client: ApiClient,
    data: ServiceRequestInput,
    category: Category | None,
    idempotency_key: str,
    ip_address: str | None = None,
) -> Filed:
    """File the request through the one intake, as the client's: routed by containment, numbered, told to
    the agency; exactly one report per idempotency key of this client (a retry gets the first report).

    ValidationError keyed by the specification's field names; intake.IdempotencyConflict when the client
    reused its key for another request.
    """
    errors: dict[str, list[str]] = {}
    media_url = ""
    try:
        media_url = media_url_clean(data.media_url)
    except ValidationError as exc:
        errors["media_url"] = exc.messages
    description = data.description.strip() or (category.name if category is not None else "")
    name = " ".join(part.strip() for part in (data.first_name, data.last_name) if part.strip())
    report_input = intake.ReportInput(
        kind="feedback",
        category=data.service_code,
        title=_title(description, category),
        description=description,
        lng=data.point[0] if data.point else None,
        lat=data.point[1] if data.point else None,
        address=data.address_string,
        question_answers=data.attributes,
        # A name is asked by our intake; without one the report is the client's user's, unnamed.
        reporter=intake.ReporterInput(
            name=name or f"Người dùng {client.name}", phone=data.phone.strip(), email=data.email.strip()
        ),
    )
    sender = intake.Sender(
        channel=Channel.OPEN311,
        # The client's app showed the new request's id to its user: the receipt goes by e-mail only.
        sms_receipt=False,
        consent_channel=ConsentChannel.OPEN311,
        ip_address=ip_address,
        # The client answers for its users (its key); GeoReport v2 makes every contact field optional.
        phone_required=False,
        # An address that matched no place is still a report: routed by category over the province, and
        # the staff set its pin from the address.
        location_optional=data.point is None,
    )
    if errors:
        raise ValidationError(errors)
    report = intake.report_create(
        data=report_input,
        sender=sender,
        idempotency_key=idempotency_key,
        idempotency_scope=f"open311:{client.pk}",
    )
    # A retry after a failure between the report and this row heals it: one row per report.
    with transaction.atomic():
        link, created = Open311Request.objects.get_or_create(
            report=report,
            defaults={
                "client": client,
                "device_id": data.device_id.strip()[:200],
                "account_id": data.account_id.strip()[:200],
                "media_url": media_url,
            },
        )
    return Filed(report=report, link=link, created=created)
