"""The e-mail channel's job in a real worker process: a mailbox out of reach fails the job cleanly, and the
job is tried again."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.db import connection
from procrastinate.contrib.django.models import ProcrastinateJob
from pytest_django.fixtures import Settings as SettingsWrapper

from channels.mail.models import InboundMail
from channels.mail.services import MailboxUnavailable, mail_poll
from channels.mail.tasks import poll_mailbox
from incidents.models import Report
from tests.notifications.test_worker import describe
from tests.servers import database_url, free_port


@pytest.mark.django_db(transaction=True)
def test_a_mailbox_out_of_reach_fails_the_job_which_is_tried_again(settings: SettingsWrapper) -> None:
    port = free_port()  # nothing listens there
    settings.INTAKE_IMAP_HOST, settings.INTAKE_IMAP_PORT, settings.INTAKE_IMAP_SSL = "127.0.0.1", port, False
    settings.INTAKE_IMAP_USER = "tiepnhan@phananh.example.vn"
    with pytest.raises(MailboxUnavailable):
        mail_poll()
    assert not InboundMail.objects.exists()

    # Procrastinate's tables outlive the flushes of transactional tests: a poll another test's worker left
    # (its lock held by a job stopped mid-run) would keep this one from being fetched.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs WHERE queue_name = 'mail'")
    # The worker runs the job: it fails, and is scheduled again (not lost, not failed for good).
    # As the periodic scheduler defers it (procrastinate's periodic wrapper adds the timestamp argument).
    job_id = poll_mailbox.defer(timestamp=0)  # type: ignore[call-arg]
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("INTAKE_")},
        "DATABASE_URL": database_url(connection.settings_dict),
        "HTTPS": "0",
        "INTAKE_IMAP_HOST": "127.0.0.1",
        "INTAKE_IMAP_PORT": str(port),
        "INTAKE_IMAP_SSL": "0",
        "INTAKE_IMAP_USER": "tiepnhan@phananh.example.vn",
    }
    try:
        result = subprocess.run(
            [sys.executable, "manage.py", "procrastinate", "worker", "--queues", "mail", "--one-shot"],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        job = ProcrastinateJob.objects.get(pk=job_id)
        assert (job.status, job.attempts) == ("todo", 1), describe(result)
        assert job.scheduled_at is not None
        assert not InboundMail.objects.exists() and not Report.objects.exists()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM procrastinate_jobs WHERE queue_name = 'mail'")
