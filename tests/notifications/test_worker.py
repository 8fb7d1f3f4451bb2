"""A real procrastinate worker process delivers committed notifications."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from procrastinate.contrib.django.models import ProcrastinateJob

from notifications.models import Notification
from notifications.services import notification_enqueue
from tests.servers import FakeSmsGateway, SmtpServer, database_url

SUBJECT = "Phản ánh #42: đã có kết quả xử lý"
BODY = "Xin chào Nguyễn Thị Hồng,\n\nỦy ban nhân dân phường đã trả lời phản ánh của bạn."
SMS_TEXT = "Phản ánh #42 đã có kết quả."


def run_worker(*, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``manage.py procrastinate worker`` on the notifications queue, exiting once the queue is empty."""
    return subprocess.run(
        [sys.executable, "manage.py", "procrastinate", "worker", "--queues", "notifications", "--one-shot"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def worker_env(smtp_server: SmtpServer, sms_gateway: FakeSmsGateway) -> dict[str, str]:
    """This environment, pointed at the test database and the local servers."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("EMAIL_", "SMS_"))}
    env.update(
        DATABASE_URL=database_url(connection.settings_dict),
        HTTPS="0",
        SMS_SENDER=settings.SMS_SENDER,
        WORKER_LOG_LEVEL="INFO",
        **smtp_server.environ(),
        **sms_gateway.environ(),
    )
    return env


def describe(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


@pytest.mark.django_db(transaction=True)
def test_worker_process_sends_email_and_sms(smtp_server: SmtpServer, sms_gateway: FakeSmsGateway) -> None:
    mail = notification_enqueue(channel="email", recipient="hong@example.vn", subject=SUBJECT, body=BODY)
    sms = notification_enqueue(channel="sms", recipient="+84912345678", body=SMS_TEXT)

    result = run_worker(env=worker_env(smtp_server, sms_gateway))

    output = describe(result)
    assert result.returncode == 0, output
    [received] = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["hong@example.vn"]
    assert received.subject == SUBJECT
    assert received.body.strip() == BODY
    assert sms_gateway.wait_for(1) == [{"to": "+84912345678", "from": settings.SMS_SENDER, "text": SMS_TEXT}]
    for notification in (mail, sms):
        notification.refresh_from_db()
        assert notification.status == Notification.Status.SENT, output
        assert notification.sent_at is not None
    statuses = ProcrastinateJob.objects.filter(queue_name="notifications").values_list("status", flat=True)
    assert sorted(statuses) == ["succeeded", "succeeded"]


@pytest.mark.django_db(transaction=True)
def test_worker_retries_a_failed_sms(smtp_server: SmtpServer, sms_gateway: FakeSmsGateway) -> None:
    sms_gateway.fail_next(1)
    sms = notification_enqueue(channel="sms", recipient="+84912345678", body=SMS_TEXT)
    env = worker_env(smtp_server, sms_gateway)

    first = run_worker(env=env)

    assert first.returncode == 0, describe(first)
    sms.refresh_from_db()
    assert sms.status == Notification.Status.QUEUED, describe(first)
    assert sms.attempts == 1
    assert "503" in sms.last_error
    [job] = ProcrastinateJob.objects.filter(queue_name="notifications")
    assert job.status == "todo"
    assert job.attempts == 1
    assert job.scheduled_at is not None

    # The retry is scheduled a few seconds ahead; bring it forward instead of waiting.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE id = %s", [job.id])
    second = run_worker(env=env)

    assert second.returncode == 0, describe(second)
    sms.refresh_from_db()
    assert sms.status == Notification.Status.SENT, describe(second)
    assert sms_gateway.wait_for(1) == [{"to": "+84912345678", "from": settings.SMS_SENDER, "text": SMS_TEXT}]
    assert ProcrastinateJob.objects.get(id=job.id).status == "succeeded"
