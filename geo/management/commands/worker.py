"""`manage.py worker`: procrastinate's worker, started again after it stops on an error.

Procrastinate's own `manage.py procrastinate worker` exits when its database connection drops
(a PostgreSQL restart): its job fetching raises, or a failed heartbeat makes it stop. Here the
same worker runs in a loop: after an unplanned stop it starts again, waiting 1, 2, 4 … up to
WORKER_BACKOFF_MAX seconds while the database stays away (back to 1 s after a run of a minute).
SIGTERM and Ctrl-C stop it for good, after the running jobs finish, or after STOP_GRACE seconds
(the database away, procrastinate's goodbye waits on it): jobs still running then are left to
common.tasks.retry_stalled_jobs, as a dead worker's would be.
Before starting, the worker's configuration checks (tag "worker") must pass: a worker that
could not send anything stops at once with the reason, exit status 78 (EX_CONFIG).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser, SystemCheckError
from procrastinate.contrib.django import app
from procrastinate.contrib.django.django_connector import DjangoConnector

from notifications.checks import WORKER_TAG

logger = logging.getLogger("geo.worker")

CONFIG_ERROR = 78  # EX_CONFIG: a supervisor should not restart this (deploy/systemd: RestartPreventExitStatus)
BACKOFF_FIRST = 1.0
BACKOFF_RESET_AFTER = 60.0
STOP_GRACE = 20.0


class Command(BaseCommand):
    help = "Runs the background worker; starts it again when it stops on an error (e.g. a database restart)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queues", default="", help="Comma-separated queues (default: all).")
        parser.add_argument("--concurrency", type=int, default=1, help="Jobs run at once.")
        parser.add_argument("--one-shot", action="store_true", help="Stop once no job is left.")

    def handle(self, *args: Any, queues: str, concurrency: int, one_shot: bool, **options: Any) -> None:
        if settings.DATABASE_POOL_MODE == "transaction":
            # Its LISTEN and the outbox's session advisory locks (notifications.services._claimed) need a
            # session: through a transaction pooler an unlock runs on another backend, the claim stays.
            raise CommandError(
                "The worker cannot run through a transaction pooler (DATABASE_POOL_MODE=transaction, for "
                "the web servers only): give it the direct DATABASE_URL of PostgreSQL.",
                returncode=CONFIG_ERROR,
            )
        try:
            self.check(tags=[WORKER_TAG], include_deployment_checks=True)
        except SystemCheckError as exc:
            raise CommandError(f"The worker cannot start:\n{exc}", returncode=CONFIG_ERROR) from exc
        worker_options: dict[str, Any] = {
            "queues": [queue.strip() for queue in queues.split(",") if queue.strip()] or None,
            "concurrency": concurrency,
            "wait": not one_shot,
            # Ours below: a stop request ends the loop instead of only the current run.
            "install_signal_handlers": False,
        }
        # As `manage.py procrastinate worker` does: the worker needs an async connector of its own.
        connector = app.connector
        context = (
            app.replace_connector(connector.get_worker_connector())
            if isinstance(connector, DjangoConnector)
            else contextlib.nullcontext()
        )
        with context:
            asyncio.run(supervise(worker_options))


async def _run_worker(options: dict[str, Any]) -> None:
    async with app.open_async():
        await app.run_worker_async(**options)


async def supervise(options: dict[str, Any]) -> None:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    current: asyncio.Task[None] | None = None

    def stop() -> None:
        if stopping.is_set():
            os._exit(1)  # asked twice: at once
        stopping.set()
        if current is not None:
            current.cancel()  # procrastinate then stops taking jobs and lets the running ones finish
        loop.call_later(STOP_GRACE, give_up)

    def give_up() -> None:
        logger.error("The worker did not stop within %.0f s; leaving its jobs to the others.", STOP_GRACE)
        os._exit(1)

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop)
    delay = BACKOFF_FIRST
    while not stopping.is_set():
        started = loop.time()
        current = asyncio.create_task(_run_worker(options))
        reason: object
        try:
            await current
        except asyncio.CancelledError:
            if stopping.is_set():
                return
            raise
        except Exception as exc:  # noqa: BLE001 - whatever stopped it, the worker is needed again
            reason = f"{type(exc).__name__}: {exc}"
        else:
            if not options["wait"] or stopping.is_set():
                return  # one-shot: no job left
            # Procrastinate stops a worker whose heartbeat or listener failed, without raising.
            reason = "it stopped by itself"
        if stopping.is_set():
            return
        if loop.time() - started >= BACKOFF_RESET_AFTER:
            delay = BACKOFF_FIRST
        logger.error("The worker stopped (%s); starting it again in %.0f s.", reason, delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), delay)
        delay = min(delay * 2, settings.WORKER_BACKOFF_MAX)
