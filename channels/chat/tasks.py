"""Procrastinate tasks of the conversation engine (thin calls into services)."""

from __future__ import annotations

import procrastinate
from procrastinate.contrib.django import app

from . import services

QUEUE = "chat"


@app.task(
    name="chat.event_process",
    queue=QUEUE,
    # A failure (the database gone a moment) is tried again; the event is handled once whatever happens.
    retry=procrastinate.RetryStrategy(max_attempts=5, exponential_wait=2),
)
def event_process(event_pk: int) -> None:
    services.chat_event_process(event_pk=event_pk)


@app.periodic(cron="*/15 * * * *")
@app.task(name="chat.conversations_close_idle", queue=QUEUE, queueing_lock="chat_conversations_close_idle")
def conversations_close_idle(timestamp: int) -> None:
    services.conversations_close_idle()
