"""The intake mailbox's poll, run by the procrastinate worker every minute (while the channel is on)."""

from __future__ import annotations

import logging

import procrastinate
from procrastinate.contrib.django import app

from .services import MailboxUnavailable, mail_poll

logger = logging.getLogger(__name__)

# An unreachable mailbox fails the job, which runs again after 10 s and 20 s (and every minute anyway).
RETRY = procrastinate.RetryStrategy(max_attempts=2, wait=10, linear_wait=10, retry_exceptions={MailboxUnavailable})


# One poll at a time (`lock`: a job waits for the one running). Not a queueing lock: a retry goes back to the
# queue, where the next minute's job may already wait.
@app.periodic(cron="* * * * *")
@app.task(name="mail_intake.poll_mailbox", queue="mail", lock="mail_intake.poll_mailbox", retry=RETRY)
def poll_mailbox(timestamp: int) -> None:
    outcomes = mail_poll()
    if outcomes:
        logger.info("intake mailbox: %s", dict(outcomes))
