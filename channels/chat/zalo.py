"""The Zalo Official Account adapter: the webhook (POST /webhooks/zalo), its events as the engine's
messages, and the OA send API with the access token rotated through the database.

Zalo signs each delivery with `X-ZEvent-Signature: mac=<hex>`, the SHA-256 (not an HMAC) of
app id + raw body + the body's `timestamp` + the OA secret key. It retries an unanswered delivery for
hours and then turns the webhook off: the view stores the event and answers at once, the worker does
the rest. Access tokens last about a day; each refresh returns a new refresh token and spends the
old one, so the pair is stored at once, under a row lock so two workers never both refresh, and
committed on its own so a rollback of the sending transaction cannot lose it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from common.gis import CoordinateError, parse_lat_lng
from common.outbound import http_client
from common.text import text_split
from notifications.models import Notification
from notifications.services import notification_channel_register, notification_parts_send

from .models import Platform, PlatformToken
from .services import InboundMessage, chat_event_receive, chat_platform_register, event_id_of

logger = logging.getLogger(__name__)

PLATFORM = Platform.ZALO
TIMEOUT_S = 10.0
# Zalo's text messages hold up to 2000 characters: a longer text goes as several.
TEXT_MAX = 2000
# "Access token is invalid" / "has expired": refresh and send again once.
TOKEN_ERRORS = (-216, -124)
# A token this close to its expiry is refreshed before use.
EXPIRY_MARGIN = timedelta(minutes=5)
MEDIA_EVENTS = {
    "user_send_image": "image",
    "user_send_audio": "audio",
    "user_send_file": "file",
    "user_send_video": "file",
}


class ZaloError(Exception):
    """The OA API refused or failed; the outbox records it and tries again."""


def zalo_enabled() -> bool:
    return bool(settings.ZALO_APP_ID and settings.ZALO_OA_SECRET_KEY)


def signature_valid(*, raw: bytes, timestamp: str, header: str) -> bool:
    expected = hashlib.sha256(
        settings.ZALO_APP_ID.encode() + raw + timestamp.encode() + settings.ZALO_OA_SECRET_KEY.encode()
    ).hexdigest()
    given = header.strip()
    given = given[4:] if given.startswith("mac=") else ""
    return hmac.compare_digest(given.lower().encode(), expected.encode())


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """Check the signature, store the event once with its job, answer 200 at once."""
    if not zalo_enabled():
        return JsonResponse({"detail": "Not found."}, status=404)
    header = request.headers.get("X-ZEvent-Signature", "")
    if not header:
        return JsonResponse({"detail": "Missing signature."}, status=401)
    raw = request.body
    try:
        payload = json.loads(raw)
    except ValueError:
        return JsonResponse({"detail": "Body is not JSON."}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"detail": "Body is not a JSON object."}, status=400)
    if not signature_valid(raw=raw, timestamp=str(payload.get("timestamp", "")), header=header):
        return JsonResponse({"detail": "Bad signature."}, status=401)
    message = payload.get("message")
    msg_id = message.get("msg_id") if isinstance(message, dict) else None
    event_id = str(msg_id) if msg_id else event_id_of(raw)
    chat_event_receive(platform=PLATFORM, event_id=event_id, payload=payload)
    return JsonResponse({"ok": True})


def site_verification(request: HttpRequest, code: str) -> HttpResponse:
    """The file Zalo asks to find at the site's root before it accepts the webhook's domain
    (zalo_verifier<code>.html), with the same code as the meta tag it offers instead."""
    expected = settings.ZALO_SITE_VERIFICATION
    if not expected or not hmac.compare_digest(code.encode(), expected.encode()):
        return HttpResponse(status=404)
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f'<meta property="zalo-platform-site-verification" content="{escape(expected)}" />'
        "</head><body></body></html>"
    )
    return HttpResponse(page, content_type="text/html; charset=utf-8")


def _moment(payload: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(payload["timestamp"]) / 1000, tz=UTC)
    except (KeyError, TypeError, ValueError, OverflowError):
        return None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _id(value: Any) -> str:
    return str(value.get("id") or "") if isinstance(value, dict) else ""


def messages_parse(payload: dict[str, Any]) -> list[InboundMessage]:
    """A stored Zalo event as the engine's messages; [] for events the conversation does not use."""
    event = payload.get("event_name")
    at = _moment(payload)
    if event == "follow":
        user = _id(payload.get("follower")) or _id(payload.get("sender"))
        return (
            [InboundMessage(PLATFORM, user, event_id_of(json.dumps(payload, sort_keys=True).encode()), "follow", at=at)]
            if user
            else []
        )
    user = _id(payload.get("sender"))
    message = payload.get("message")
    if not user or not isinstance(message, dict):
        return []
    msg_id = str(message.get("msg_id") or "")
    text = str(message.get("text") or "")
    attachments = [item for item in message.get("attachments") or [] if isinstance(item, dict)]
    if event == "user_send_text":
        return [InboundMessage(PLATFORM, user, msg_id, "text", text=text, at=at)]
    out = []
    if event in MEDIA_EVENTS:
        for index, attachment in enumerate(attachments):
            body = _object(attachment.get("payload"))
            url = str(body.get("url") or "")
            if url:
                name = str(body.get("name") or "")
                out.append(
                    InboundMessage(
                        PLATFORM, user, f"{msg_id}:{index}", MEDIA_EVENTS[event], media_url=url, media_name=name, at=at
                    )
                )
    elif event == "user_send_location":
        for index, attachment in enumerate(attachments):
            body = _object(attachment.get("payload"))
            point = _object(body.get("coordinates"))
            # Coordinates arrive as strings, named latitude/longitude or lat/long.
            try:
                lng, lat = parse_lat_lng(
                    point.get("latitude", point.get("lat")), point.get("longitude", point.get("long"))
                )
            except CoordinateError:
                logger.warning("Zalo location %s without readable coordinates: %r", msg_id, point)
                continue
            out.append(InboundMessage(PLATFORM, user, f"{msg_id}:{index}", "location", lat=lat, lng=lng, at=at))
    # A caption sent with a picture is part of the report too.
    if text and out:
        out.append(InboundMessage(PLATFORM, user, f"{msg_id}:text", "text", text=text, at=at))
    return out


# --- Sending ---------------------------------------------------------------------------------------------


def zalo_send(notification: Notification) -> None:
    """Deliver an outbox message with the OA send API, a text longer than Zalo takes as several messages
    in order (each sent once, however often the outbox retries); raises ZaloError so the outbox tries again."""
    user_id = notification.recipient.split(":", 1)[1]
    token = _access_token()

    def send(index: int, text: str) -> None:
        nonlocal token
        result = _post_message(token, user_id, text)
        if result.get("error") in TOKEN_ERRORS:
            token = token_refresh(stale=token)
            result = _post_message(token, user_id, text)
        if result.get("error") != 0:
            raise ZaloError(f"Zalo error {result.get('error')}: {result.get('message', '')}"[:500])

    notification_parts_send(
        notification=notification, parts=text_split(notification.body, max_length=TEXT_MAX), send=send
    )


def _post_message(token: str, user_id: str, text: str) -> dict[str, Any]:
    try:
        response = http_client().post(
            f"{settings.ZALO_API_BASE.rstrip('/')}/v3.0/oa/message/cs",
            headers={"access_token": token},
            json={"recipient": {"user_id": user_id}, "message": {"text": text}},
            timeout=TIMEOUT_S,
        )
    except httpx.HTTPError as exc:
        raise ZaloError(f"Zalo send API unreachable: {exc}") from exc
    return _json(response, "send API")


def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code != 200:
        raise ZaloError(f"Zalo {what} answered {response.status_code}")
    try:
        body = response.json()
    except ValueError as exc:
        raise ZaloError(f"Zalo {what} answered something other than JSON") from exc
    if not isinstance(body, dict):
        raise ZaloError(f"Zalo {what} answered {type(body).__name__}, not an object")
    return body


def _access_token() -> str:
    row = PlatformToken.objects.filter(platform=PLATFORM).first()
    if (
        row is not None
        and row.access_token
        and (row.expires_at is None or row.expires_at > timezone.now() + EXPIRY_MARGIN)
    ):
        return row.access_token
    return token_refresh(stale=row.access_token if row is not None else "")


def token_refresh(*, stale: str) -> str:
    """A fresh access token; `stale` is the one that failed or expired.

    The token row is locked: a second worker waits, then finds a token other than its stale one and
    uses it instead of spending the refresh token a second time. The new pair is committed before this
    returns, in a transaction of its own (durable: never inside a caller's, which could roll it back
    after Zalo has spent the old refresh token; the outbox calls its senders outside any transaction).
    """
    with transaction.atomic(durable=True):
        if settings.ZALO_REFRESH_TOKEN:
            PlatformToken.objects.bulk_create(
                [PlatformToken(platform=PLATFORM, refresh_token=settings.ZALO_REFRESH_TOKEN)], ignore_conflicts=True
            )
        row = PlatformToken.objects.select_for_update().filter(platform=PLATFORM).first()
        if row is None:
            raise ZaloError("No Zalo refresh token: set ZALO_REFRESH_TOKEN.")
        now = timezone.now()
        if (
            row.access_token
            and row.access_token != stale
            and (row.expires_at is None or row.expires_at > now + EXPIRY_MARGIN)
        ):
            return row.access_token
        try:
            response = http_client().post(
                f"{settings.ZALO_OAUTH_BASE.rstrip('/')}/v4/oa/access_token",
                headers={"secret_key": settings.ZALO_APP_SECRET},
                data={
                    "app_id": settings.ZALO_APP_ID,
                    "grant_type": "refresh_token",
                    "refresh_token": row.refresh_token,
                },
                timeout=TIMEOUT_S,
            )
        except httpx.HTTPError as exc:
            raise ZaloError(f"Zalo OAuth unreachable: {exc}") from exc
        body = _json(response, "OAuth")
        access, refresh = body.get("access_token"), body.get("refresh_token")
        if not access or not refresh:
            reason = body.get("error_description") or body.get("message") or ""
            raise ZaloError(f"Zalo token refresh refused: {body.get('error')} {reason}"[:500])
        try:
            lifetime = int(body.get("expires_in") or 0)
        except (TypeError, ValueError):
            lifetime = 0
        row.access_token, row.refresh_token = str(access), str(refresh)
        row.expires_at = now + timedelta(seconds=lifetime) if lifetime > 0 else None
        row.updated_at = now
        row.save()
        logger.info("Zalo access token refreshed; it expires at %s", row.expires_at)
        return row.access_token


def register() -> None:
    chat_platform_register(platform=PLATFORM, parse=messages_parse)
    notification_channel_register(channel=Notification.Channel.ZALO, send=zalo_send)
