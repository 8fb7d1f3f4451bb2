"""Scheduled work for reports, run by the procrastinate worker."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from procrastinate.contrib.django import app

from .services.areas import area_digests_send
from .services.overdue import reports_flag_overdue

logger = logging.getLogger(__name__)


@app.periodic(cron="*/10 * * * *")
@app.task(queue="maintenance", queueing_lock="flag_overdue_reports", pass_context=False)
def flag_overdue_reports(timestamp: int) -> None:
    """Every ten minutes: mark open reports that passed their deadline."""
    flagged = reports_flag_overdue()
    if flagged:
        logger.info("flagged %d overdue reports", flagged)


@app.periodic(cron="0 0 * * *")
@app.task(queue="maintenance", queueing_lock="send_area_digests", pass_context=False)
def send_area_digests(timestamp: int) -> None:
    """Each day at 07:00 Vietnam time (00:00 UTC): the area subscriptions' digests for the day just ended.

    The period ends at the scheduled time, not when the job happens to run, so a second run for the same
    time finds nothing left to send."""
    queued = area_digests_send(until=datetime.fromtimestamp(timestamp, tz=UTC))
    if queued:
        logger.info("queued %d area digests", queued)
