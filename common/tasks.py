"""Procrastinate upkeep: jobs held by a worker that died are run again; files left by a killed web worker go."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from procrastinate import sql
from procrastinate.contrib.django import app

from .storage import media_orphans_delete

logger = logging.getLogger(__name__)


# Procrastinate marks a job `doing` while a worker holds it, and leaves it so if that worker is
# killed: the people in a warning's batch were never told. A worker's heartbeat stops when it
# dies; its jobs go back to `todo` here, and delivery is idempotent (each message is sent once,
# with its outbox row locked and marked in the same transaction, and the same Idempotency-Key
# to the SMS gateway when sent again; see notifications.services).
# One run at a time, whichever worker runs it: two overlapping runs (one late behind a backlog, the next
# minute's taken by another worker) would both hand back the same job, the second after a living worker
# had taken it again, so it would run twice. A transaction-scoped advisory lock (released if the worker
# running this dies) makes the second run skip; the list and the hand-backs are in that one transaction.
STALLED_LOCK = "geo.tasks.retry_stalled_jobs"


@app.periodic(cron=settings.WORKER_STALLED_CRON)
@app.task(
    name="geo.tasks.retry_stalled_jobs",  # its name since it was first scheduled
    queue="maintenance",
    queueing_lock="retry_stalled_jobs",
    pass_context=False,
)
def retry_stalled_jobs(timestamp: int) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [STALLED_LOCK])
        if not cursor.fetchone()[0]:
            logger.info("stalled jobs: another run is at it")
            return
        # procrastinate's own queries (sql/queries.sql), as its job manager runs them.
        cursor.execute(
            sql.queries["select_stalled_jobs_by_heartbeat"],
            {"queue": None, "task_name": None, "seconds_since_heartbeat": settings.WORKER_STALLED_SECONDS},
        )
        stalled = [(row[0], row[2]) for row in cursor.fetchall()]  # id, task_name
        for job_id, task_name in stalled:
            try:
                with transaction.atomic():
                    cursor.execute(
                        sql.queries["retry_job"],
                        {
                            "job_id": job_id,
                            "retry_at": timezone.now(),
                            "new_priority": None,
                            "new_queue_name": None,
                            "new_lock": None,
                        },
                    )
            except DatabaseError:  # finished meanwhile by a worker only late with its heartbeat
                continue
            logger.warning("job %s (%s) held by a dead worker: queued again", job_id, task_name)


# The second line behind common.storage: files left by a web worker killed between storing them and
# committing their rows (the first line, deleting them on rollback, needs a living process).
@app.periodic(cron=settings.MEDIA_ORPHAN_CRON)
@app.task(name="common.tasks.delete_orphan_files", queue="maintenance", queueing_lock="delete_orphan_files")
def delete_orphan_files(timestamp: int) -> None:
    media_orphans_delete(
        storage=default_storage,
        folders=settings.MEDIA_ORPHAN_FOLDERS,
        older_than=settings.MEDIA_ORPHAN_SECONDS,
    )
