"""Scheduled work for reports, run by the procrastinate worker."""

from __future__ import annotations

import logging

from procrastinate.contrib.django import app

from .services.overdue import reports_flag_overdue

logger = logging.getLogger(__name__)


@app.periodic(cron="*/10 * * * *")
@app.task(queue="maintenance", queueing_lock="flag_overdue_reports", pass_context=False)
def flag_overdue_reports(timestamp: int) -> None:
    """Every ten minutes: mark open reports that passed their deadline."""
    flagged = reports_flag_overdue()
    if flagged:
        logger.info("flagged %d overdue reports", flagged)
