"""Procrastinate upkeep: jobs held by a worker that died are run again; files left by a killed web worker go."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.storage import default_storage
from procrastinate.contrib.django import app

from .storage import media_orphans_delete

logger = logging.getLogger(__name__)


# Procrastinate marks a job `doing` while a worker holds it, and leaves it so if that worker is
# killed: the people in a warning's batch were never told. A worker's heartbeat stops when it
# dies; its jobs go back to `todo` here, and delivery is idempotent (each message is sent once,
# with its outbox row locked and marked in the same transaction, and the same Idempotency-Key
# to the SMS gateway when sent again; see notifications.services).
@app.periodic(cron=settings.WORKER_STALLED_CRON)
@app.task(
    name="geo.tasks.retry_stalled_jobs",  # its name since it was first scheduled
    queue="maintenance",
    queueing_lock="retry_stalled_jobs",
    pass_context=False,
)
async def retry_stalled_jobs(timestamp: int) -> None:
    stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=settings.WORKER_STALLED_SECONDS)
    for job in stalled:
        await app.job_manager.retry_job(job)
        logger.warning("job %s (%s) held by a dead worker: queued again", job.id, job.task_name)


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
