"""Facebook Messenger: the webhook's handshake and signature, Meta's events as the engine's inbound
messages, and the Send API that delivers the outbox's "messenger:<psid>" messages.

Meta's protocol (Messenger Platform webhooks and Send API):
- Subscribing: GET with hub.mode=subscribe, hub.verify_token (ours) and hub.challenge, echoed as text.
- Each delivery: POST of {"object": "page", "entry": [{"messaging": [event, ...]}, ...]} signed with
  X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body keyed with the app secret>. A delivery that
  is not answered 200 is sent again, so an event is stored once by its message id (mid) and worked on
  in the worker.
- Replying: POST {base}/me/messages with the page token, {"recipient": {"id": psid}, "messaging_type":
  "RESPONSE", "message": {"text": ...}}, only within 24 hours of the person's last message. Outside
  that window Meta refuses (code 10, subcode 2018278) and the page's standing suffers if it keeps
  trying: such a message is Undeliverable (not retried), and the answer goes another way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import posixpath
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from common.outbound import http_client
from common.text import text_split
from notifications.errors import Undeliverable
from notifications.models import Notification
from notifications.services import notification_channel_register, notification_enqueue, notification_parts_send

from .conversation import ASK_CATEGORY, ASK_CONSENT, MENU, SKIP
from .models import Conversation, Platform, Stage
from .pin import pin_url
from .services import InboundMessage, chat_event_receive, chat_platform_register

logger = logging.getLogger(__name__)

PLATFORM = Platform.MESSENGER
SIGNATURE_HEADER = "X-Hub-Signature-256"
# Seconds to connect and between bytes of Graph's answer.
GRAPH_TIMEOUT = 10.0
# The Send API takes at most 2000 characters of text per message, 13 quick replies of 20 characters.
TEXT_MAX = 2000
QUICK_REPLIES_MAX = 13
QUICK_REPLY_TITLE_MAX = 20
# The payload of the page's "Get started" button: the person opened the conversation.
GET_STARTED = "GET_STARTED"
# Meta's refusals that sending again will not cure: outside the reply window (code 10: 2018278 and its
# older forms), "this person isn't available right now" (551), no such person for this page (100/2018001).
_WINDOW_SUBCODES = {2018278, 2018065, 2018108}
_GONE = {(551, None), (100, 2018001)}

_ATTACHMENT_KINDS = {"image": "image", "audio": "audio", "video": "file", "file": "file"}


def messenger_enabled() -> bool:
    """The channel is on only with all three secrets set (otherwise its webhook answers 404)."""
    return bool(settings.MESSENGER_APP_SECRET and settings.MESSENGER_VERIFY_TOKEN and settings.MESSENGER_PAGE_TOKEN)


def handshake_challenge(params: Mapping[str, str]) -> str | None:
    """The challenge to echo when Meta subscribes the webhook with our verify token; None otherwise."""
    if params.get("hub.mode") != "subscribe" or "hub.challenge" not in params:
        return None
    if not constant_time_compare(params.get("hub.verify_token", ""), settings.MESSENGER_VERIFY_TOKEN):
        return None
    return params["hub.challenge"]


def signature_valid(*, body: bytes, header: str | None) -> bool:
    """Whether `header` is "sha256=" and the HMAC-SHA256 of the raw `body` under the app secret (in constant time)."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(settings.MESSENGER_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return constant_time_compare(header.removeprefix("sha256=").lower(), expected)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest) -> HttpResponse:
    """GET: Meta's subscription handshake. POST: check the signature, store each event once with its
    job and answer 200 at once (Meta sends an unanswered delivery again, and turns a failing webhook off)."""
    if not messenger_enabled():
        return JsonResponse({"detail": "Not found."}, status=404)
    if request.method == "GET":
        challenge = handshake_challenge(request.GET)
        if challenge is None:
            return HttpResponse("Forbidden", status=403, content_type="text/plain; charset=utf-8")
        return HttpResponse(challenge, content_type="text/plain; charset=utf-8")
    if not signature_valid(body=request.body, header=request.headers.get(SIGNATURE_HEADER)):
        return JsonResponse({"detail": "Bad signature."}, status=401)
    try:
        payload = json.loads(request.body)
    except ValueError:
        return JsonResponse({"detail": "Body is not JSON."}, status=400)
    for event_id, event in events_split(payload):
        chat_event_receive(platform=PLATFORM, event_id=event_id, payload=event)
    return HttpResponse("EVENT_RECEIVED", content_type="text/plain; charset=utf-8")


def events_split(payload: Any) -> list[tuple[str, dict[str, Any]]]:
    """The events of one delivery that the conversation uses, each with the key that makes its
    redelivery a no-op: the message id (mid), else the postback's or referral's sender and time.
    Echoes of the page's own messages, read and delivery receipts, reactions and anything not
    understood are left out."""
    if not isinstance(payload, dict) or payload.get("object") != "page":
        return []
    found = []
    for entry in _dicts(payload.get("entry")):
        for event in _dicts(entry.get("messaging")):
            messages = event_parse(event)
            if messages:
                # The first message's id is the event's (the next parts are "<mid>:2"...).
                found.append((messages[0].event_id, event))
    return found


def event_parse(event: dict[str, Any]) -> list[InboundMessage]:
    """One stored Messenger event (or a pin from our pin page) as the engine's messages: a message's
    text or quick-reply choice and its attachments, a pressed button (postback), a conversation opened
    from a link (referral); [] for anything else."""
    sender = event.get("sender")
    user_id = str(sender.get("id") or "") if isinstance(sender, dict) else ""
    if not user_id:
        return []
    at = _when(event.get("timestamp"))
    message = event.get("message")
    if isinstance(message, dict):
        return _message(message, user_id=user_id, at=at)
    stamp = event.get("timestamp")
    postback = event.get("postback")
    if isinstance(postback, dict):
        payload = str(postback.get("payload") or postback.get("title") or "")
        event_id = str(postback.get("mid") or f"postback:{user_id}:{stamp}")
        if payload == GET_STARTED:
            return [InboundMessage(PLATFORM, user_id, event_id, "follow", at=at)]
        return [InboundMessage(PLATFORM, user_id, event_id, "text", text=payload, at=at)] if payload else []
    if isinstance(event.get("referral"), dict):
        # Opened from an m.me link or the page's QR code, in a conversation that already existed.
        return [InboundMessage(PLATFORM, user_id, f"referral:{user_id}:{stamp}", "follow", at=at)]
    pin = event.get("pin")
    if isinstance(pin, dict) and pin.get("mid"):
        # Stored by our pin page (pin.py), never by Meta: a signed delivery carries no "pin".
        try:
            lat, lng = float(pin["lat"]), float(pin["lng"])
        except (KeyError, TypeError, ValueError):
            return []
        return [InboundMessage(PLATFORM, user_id, str(pin["mid"]), "location", lat=lat, lng=lng, at=at)]
    return []


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    return (item for item in (value if isinstance(value, list) else []) if isinstance(item, dict))


def _when(timestamp: Any) -> datetime | None:
    # Meta's timestamps are milliseconds since the epoch.
    if isinstance(timestamp, int | float) and not isinstance(timestamp, bool) and timestamp > 0:
        try:
            return datetime.fromtimestamp(timestamp / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            pass
    return None


def _message(message: dict[str, Any], *, user_id: str, at: datetime | None) -> list[InboundMessage]:
    mid = str(message.get("mid") or "")
    if not mid or message.get("is_echo") or "sticker_id" in message:
        # The page's own messages come back as echoes; a sticker (the "like" thumb) is no evidence.
        return []
    parts: list[InboundMessage] = []
    quick_reply = message.get("quick_reply")
    text = quick_reply.get("payload") if isinstance(quick_reply, dict) else None
    text = str(text or message.get("text") or "").strip()
    if text:
        parts.append(InboundMessage(PLATFORM, user_id, mid, "text", text=text, at=at))
    for attachment in _dicts(message.get("attachments")):
        part = _attachment(attachment, user_id=user_id, at=at)
        if part is not None:
            parts.append(part)
    # One event id per part: the message id for the first, "<mid>:2", "<mid>:3"... for the next ones.
    return [replace(part, event_id=mid if index == 0 else f"{mid}:{index + 1}") for index, part in enumerate(parts)]


def _attachment(attachment: dict[str, Any], *, user_id: str, at: datetime | None) -> InboundMessage | None:
    kind = str(attachment.get("type") or "")
    payload = attachment.get("payload")
    if not isinstance(payload, dict):
        return None
    if kind == "location":
        # Messenger stopped sending these; older clients may still.
        coordinates = payload.get("coordinates")
        try:
            lat, lng = float(coordinates["lat"]), float(coordinates["long"])  # type: ignore[index]
        except (KeyError, TypeError, ValueError):
            return None
        return InboundMessage(PLATFORM, user_id, "", "location", lat=lat, lng=lng, at=at)
    url = str(payload.get("url") or "")
    if kind == "fallback" and url:
        # A shared link: its title and address, as text.
        title = str(payload.get("title") or attachment.get("title") or "").strip()
        return InboundMessage(PLATFORM, user_id, "", "text", text=f"{title} {url}".strip(), at=at)
    if kind not in _ATTACHMENT_KINDS or not url.startswith(("https://", "http://")):
        return None
    name = posixpath.basename(unquote(urlsplit(url).path)) or kind
    return InboundMessage(PLATFORM, user_id, "", _ATTACHMENT_KINDS[kind], media_url=url, media_name=name, at=at)


# --- The Send API -----------------------------------------------------------------------------------


class MessengerError(Exception):
    """Graph did not take the message; sending it again later may work (a network fault, a 5xx, a
    rate limit, an expired page token that an administrator will replace)."""


class MessengerWindowClosed(Undeliverable):
    """Meta refuses this message for good: the person's last message is more than 24 hours old, or the
    person cannot be reached by the page any more."""


@dataclass(frozen=True)
class QuickReply:
    title: str
    payload: str


def message_send(
    *, psid: str, text: str, quick_replies: Sequence[QuickReply] = (), outbox: Notification | None = None
) -> list[str]:
    """Sends `text` to the person as the page's reply (messaging_type RESPONSE), in as many messages of at
    most 2000 characters as it takes (common.text.text_split), the quick replies with the last one; Graph's
    message ids. For the `outbox` message this text is, the pieces an earlier attempt sent are skipped and
    each is recorded as it goes (notification_parts_send), so that a retry sends each piece once.

    MessengerWindowClosed when Meta refuses the person for good, MessengerError for anything worth a retry.
    """
    if not settings.MESSENGER_PAGE_TOKEN:
        raise MessengerError("Chưa cấu hình MESSENGER_PAGE_TOKEN.")
    chunks = text_split(text, max_length=TEXT_MAX) or ["…"]
    ids = []

    def send(index: int, chunk: str) -> None:
        message: dict[str, Any] = {"text": chunk}
        if quick_replies and index == len(chunks) - 1:
            message["quick_replies"] = [
                {"content_type": "text", "title": reply.title[:QUICK_REPLY_TITLE_MAX], "payload": reply.payload}
                for reply in quick_replies[:QUICK_REPLIES_MAX]
            ]
        ids.append(_post({"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": message}))

    if outbox is not None:
        notification_parts_send(notification=outbox, parts=chunks, send=send)
    else:
        for index, chunk in enumerate(chunks):
            send(index, chunk)
    return ids


def _post(body: dict[str, Any]) -> str:
    url = f"{settings.MESSENGER_API_BASE.rstrip('/')}/me/messages"
    token = settings.MESSENGER_PAGE_TOKEN
    # The token as an OAuth bearer header (Graph takes it there as well as in ?access_token=), so it stays
    # out of URLs and the logs that print them. appsecret_proof lets the app turn on "Require App Secret".
    headers = {"Authorization": f"Bearer {token}"}
    proof = hmac.new(settings.MESSENGER_APP_SECRET.encode(), token.encode(), hashlib.sha256).hexdigest()
    try:
        response = http_client().post(
            url, params={"appsecret_proof": proof}, json=body, headers=headers, timeout=GRAPH_TIMEOUT
        )
    except httpx.HTTPError as exc:
        raise MessengerError(f"Không gửi được tới Messenger: {type(exc).__name__}: {exc}") from exc
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.is_success and isinstance(answer, dict) and answer.get("message_id"):
        return str(answer["message_id"])
    error = answer.get("error") if isinstance(answer, dict) else None
    if isinstance(error, dict):
        code, subcode = error.get("code"), error.get("error_subcode")
        described = f"Messenger trả lỗi {code}/{subcode}: {str(error.get('message') or '')[:200]}"
        if (code == 10 and subcode in _WINDOW_SUBCODES) or (code, subcode) in _GONE or (code, None) in _GONE:
            raise MessengerWindowClosed(described)
        raise MessengerError(described)
    raise MessengerError(f"Messenger trả về {response.status_code}: {response.text[:200]}")


# --- The outbox's sender ------------------------------------------------------------------------------

# Messenger cannot share a location any more: where the bot asks for one, it offers our pin page.
SHARE_LOCATION = "chia sẻ vị trí"
PIN_INSTEAD = "chọn vị trí trên bản đồ theo liên kết dưới đây"
_MENU_REPLIES = (QuickReply("Phản ánh kiến nghị", "1"), QuickReply("Tra cứu", "2"))
_CONSENT_REPLIES = (QuickReply("Đồng ý công khai", "1"), QuickReply("Không công khai", "2"))
_CATEGORY_QUESTION = ASK_CATEGORY.split("{choices}")[0]
ANSWER_BY_NUMBER = "Trả lời bằng số."
_NUMBERED = re.compile(r"(\d{1,2})\. \S.*")


def messenger_send(notification: Notification) -> None:
    """Deliver an outbox message to "messenger:<psid>" as the page's reply; the engine's choices go as
    quick replies and a request for a location comes with the pin page's link.

    Outside the 24-hour window nothing is sent on Messenger: the message goes by SMS to the phone the
    person gave in the conversation (when there is one) and MessengerWindowClosed marks it failed in
    the outbox without retries. Other failures raise MessengerError, which the outbox retries.
    """
    psid = notification.recipient.split(":", 1)[1]
    text, quick_replies = _dressed(notification.body, psid=psid)
    try:
        message_send(psid=psid, text=text, quick_replies=quick_replies, outbox=notification)
    except MessengerWindowClosed:
        _by_sms_instead(notification, psid=psid)
        raise


def _dressed(body: str, *, psid: str) -> tuple[str, Sequence[QuickReply]]:
    if SHARE_LOCATION in body:
        conversation = Conversation.objects.exclude(stage=Stage.CLOSED).filter(platform=PLATFORM, user_id=psid).first()
        if conversation is not None:
            body = body.replace(SHARE_LOCATION, PIN_INSTEAD) + "\n" + pin_url(conversation=conversation)
    if body == MENU:
        return body, _MENU_REPLIES
    if body == ASK_CONSENT:
        return body, _CONSENT_REPLIES
    lines = body.splitlines()
    if body.startswith(_CATEGORY_QUESTION) or ANSWER_BY_NUMBER in lines:
        # The category's or a question's numbered choices ("1. Giao thông"): the number is what the
        # engine reads. Offered only when they all fit, so that no choice looks missing.
        replies = [QuickReply(line, match[1]) for line in lines if (match := _NUMBERED.fullmatch(line))]
        if f"Gửi {SKIP} để bỏ qua." in lines:
            replies.append(QuickReply("Bỏ qua", SKIP))
        return body, replies if len(replies) <= QUICK_REPLIES_MAX else ()
    return body, ()


def _by_sms_instead(notification: Notification, *, psid: str) -> None:
    phone = (
        Conversation.objects.filter(platform=PLATFORM, user_id=psid)
        .exclude(phone="")
        .order_by("-started_at")
        .values_list("phone", flat=True)
        .first()
    )
    if not phone:
        logger.info("Messenger message %s not sent (24-hour window closed); no phone to send it to", notification.pk)
        return
    # Queued before this message is marked failed: a worker dying in between leaves it to a retry,
    # which finds the window still closed and this SMS already queued (its dedupe key).
    notification_enqueue(
        channel=Notification.Channel.SMS,
        recipient=phone,
        body=notification.body,
        dedupe_key=f"messenger-sms:{notification.pk}",
    )


def register() -> None:
    chat_platform_register(platform=PLATFORM, parse=event_parse)
    notification_channel_register(channel=Notification.Channel.MESSENGER, send=messenger_send)
