"""Procrastinate tasks; found by procrastinate's Django app, which imports every app's tasks.py."""

from __future__ import annotations

import procrastinate
from procrastinate.contrib.django import app

from . import services

QUEUE = "notifications"
# 5 retries after the first run, waiting 2, 4, 8, 16, 32 seconds.
RETRY = procrastinate.RetryStrategy(max_attempts=5, exponential_wait=2)


@app.task(
    name="notifications.deliver_notification",
    queue=QUEUE,
    retry=RETRY,
    pass_context=True,
)
def deliver_notification(context: procrastinate.JobContext, notification_id: int) -> None:
    # Same test as RetryStrategy: no retry follows this run.
    last_attempt = RETRY.max_attempts is not None and context.job.attempts >= RETRY.max_attempts
    services.notification_deliver(notification_id=notification_id, last_attempt=last_attempt)


@app.task(
    name="notifications.deliver_notifications",
    queue=QUEUE,
    retry=RETRY,
    pass_context=True,
)
def deliver_notifications(context: procrastinate.JobContext, notification_ids: list[int]) -> None:
    """A batch of messages (a warning's fan-out): one job per batch rather than per message."""
    last_attempt = RETRY.max_attempts is not None and context.job.attempts >= RETRY.max_attempts
    services.notification_deliver_many(notification_ids=notification_ids, last_attempt=last_attempt)
