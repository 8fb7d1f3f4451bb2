"""The conversation engine's writes, platform-neutral.

A platform adapter (zalo.py, messenger.py) does three things: its webhook checks the platform's
signature and calls `chat_event_receive` (the delivery is stored once and a job deferred, in one
transaction, so the webhook answers at once); it registers, with `chat_platform_register`, how its
stored payloads become `InboundMessage`s; and it registers its send with the outbox
(notifications.services.notification_channel_register). The job (`chat.event_process`) calls
`chat_event_process`, which hands each message to the conversation (conversation.py); every reply
goes through the outbox in the same transaction as the conversation's new state.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from common.jobs import job_defer

from .conversation import InboundMessage, conversation_close_idle, conversation_handle
from .models import ChatEvent, Conversation, Stage

__all__ = [
    "InboundMessage",
    "chat_event_process",
    "chat_event_receive",
    "chat_message_handle",
    "chat_platform_register",
    "conversations_close_idle",
    "event_id_of",
]

logger = logging.getLogger(__name__)

Parser = Callable[[dict[str, Any]], list[InboundMessage]]
_parsers: dict[str, Parser] = {}


def chat_platform_register(*, platform: str, parse: Parser) -> None:
    """Lets the job read `platform`'s stored payloads: `parse` turns one into the messages it holds
    ([] for events the conversation ignores). Called from the adapter's register() (apps.ready)."""
    _parsers[platform] = parse


def event_id_of(raw: bytes) -> str:
    """The key of a delivery without a platform id (a follow): the same body is the same event."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def chat_event_receive(*, platform: str, event_id: str, payload: dict[str, Any]) -> bool:
    """Store a webhook delivery once and defer its job, in one transaction; False for a redelivery."""
    table = connection.ops.quote_name(ChatEvent._meta.db_table)
    with transaction.atomic():
        with connection.cursor() as cursor:
            # ON CONFLICT: two deliveries of one event at once store one row and defer one job.
            cursor.execute(
                f"INSERT INTO {table} (platform, event_id, payload, received_at) VALUES (%s, %s, %s, %s) "  # noqa: S608
                "ON CONFLICT (platform, event_id) DO NOTHING RETURNING id",
                [platform, event_id[:200], json.dumps(payload), timezone.now()],
            )
            row = cursor.fetchone()
        if row is None:
            return False
        job_defer(task="chat.event_process", event_pk=row[0])
    return True


def chat_event_process(*, event_pk: int) -> None:
    """Hand a stored event's messages to their conversations, once: the event row stays locked while it
    is handled and is marked in the same transaction as the conversation's state and replies."""
    with transaction.atomic():
        event = ChatEvent.objects.select_for_update().filter(pk=event_pk).first()
        if event is None or event.processed_at is not None:
            return
        parse = _parsers.get(event.platform)
        if parse is None:
            raise LookupError(f"no adapter registered for platform {event.platform!r}")
        for message in parse(event.payload):
            conversation_handle(message)
        event.processed_at = timezone.now()
        event.save(update_fields=["processed_at"])


def chat_message_handle(*, message: InboundMessage) -> None:
    """Hand one message to its conversation directly (what does not come through a webhook, e.g. a
    location picked on our own pin page), in one transaction with the replies."""
    with transaction.atomic():
        conversation_handle(message)


def conversations_close_idle(*, now: datetime | None = None) -> int:
    """Close the conversations idle for CHAT_IDLE_HOURS with a message; what they collected stays. Their
    count."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.CHAT_IDLE_HOURS)
    closed = 0
    ids = list(
        Conversation.objects.exclude(stage=Stage.CLOSED)
        .filter(last_activity_at__lt=cutoff)
        .values_list("pk", flat=True)
    )
    for pk in ids:
        with transaction.atomic():
            # Locked and checked again: a message may have arrived since the list was read.
            conversation = (
                Conversation.objects.select_for_update()
                .exclude(stage=Stage.CLOSED)
                .filter(pk=pk, last_activity_at__lt=cutoff)
                .first()
            )
            if conversation is not None:
                conversation_close_idle(conversation)
                closed += 1
    if closed:
        logger.info("closed %s idle conversation(s)", closed)
    return closed
