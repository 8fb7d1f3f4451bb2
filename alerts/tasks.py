"""Procrastinate tasks for warnings: delivery to the people inside the area."""

from __future__ import annotations

import logging

import procrastinate
from procrastinate.contrib.django import app

logger = logging.getLogger(__name__)

# On the notifications queue: the same worker sends what this queues.
QUEUE = "notifications"
RETRY = procrastinate.RetryStrategy(max_attempts=5, exponential_wait=2)


@app.task(name="alerts.deliver_alert", queue=QUEUE, retry=RETRY)
def deliver_alert(alert_id: int, kind: str) -> None:
    from .delivery import alert_deliver

    result = alert_deliver(alert_id=alert_id, kind=kind)
    logger.info(
        "alert %s (%s): %d people, %d browsers, in %d jobs",
        alert_id,
        kind,
        result.people,
        result.notifications,
        result.jobs,
    )


@app.task(name="alerts.deliver_alert_batch", queue=QUEUE, retry=RETRY, pass_context=True)
def deliver_alert_batch(context: procrastinate.JobContext, alert_id: int, kind: str, delivery_ids: list[int]) -> None:
    from .delivery import alert_deliver_batch

    last_attempt = RETRY.max_attempts is not None and context.job.attempts >= RETRY.max_attempts
    alert_deliver_batch(alert_id=alert_id, kind=kind, delivery_ids=delivery_ids, last_attempt=last_attempt)
