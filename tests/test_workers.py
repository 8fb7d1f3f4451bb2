"""Several workers on the same queues (`WORKERS=2 make run`, or one per machine): each job is done once,
none is lost, even when one worker is killed in the middle; periodic jobs are deferred once."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from procrastinate.contrib.django.models import ProcrastinateJob

from accounts.models import SavedPlace, User
from agencies.models import Role
from alerts.models import Alert
from boundaries.models import AdminUnit
from common.tasks import STALLED_LOCK, retry_stalled_jobs
from notifications.models import Notification
from notifications.services import notification_enqueue
from tests.alerts.conftest import WARD, published, staff
from tests.servers import FakeSmsGateway, SmtpServer, database_url, wait_until

PEOPLE = 30  # told of each warning: half by SMS, half by e-mail
BATCH = 5  # people per fan-out job: 6 jobs
DIRECT = 6  # messages of each channel queued one job each, as a report's are
STALLED = "geo.tasks.retry_stalled_jobs"


def _worker_env(smtp_server: SmtpServer, sms_gateway: FakeSmsGateway) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("EMAIL_", "SMS_"))}
    env.update(
        DATABASE_URL=database_url(connection.settings_dict),
        HTTPS="0",
        WORKER_LOG_LEVEL="DEBUG",  # the periodic deferrer says when it finds a time deferred already
        ALERT_DELIVERY_BATCH=str(BATCH),
        # A dead worker is found within seconds, not the production minute; the upkeep runs every second.
        WORKER_HEARTBEAT_SECONDS="1",
        WORKER_STALLED_SECONDS="3",
        WORKER_STALLED_CRON="* * * * * */1",
        **smtp_server.environ(),
        **sms_gateway.environ(),
    )
    return env


REGISTERED = re.compile(r"^Registered worker (\d+) in the database$", re.MULTILINE)


@contextmanager
def _workers(folder: Path, *envs: dict[str, str]) -> Iterator[list[tuple[subprocess.Popen[bytes], int]]]:
    """A worker per environment, started at once as `make run` starts them (`manage.py worker`), each with
    the id it registered under (its log says); stopped at the end as systemd or serve.sh stops them (SIGTERM)."""
    started: list[tuple[subprocess.Popen[bytes], Path]] = []
    try:
        for number, env in enumerate(envs):
            log = folder / f"worker{number}.log"
            with log.open("ab") as out:
                process = subprocess.Popen(
                    [sys.executable, "manage.py", "worker", "--queues", "notifications,maintenance"],
                    cwd=settings.BASE_DIR,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            started.append((process, log))

        def registered() -> list[int]:
            return [int(match[1]) for _, log in started if (match := REGISTERED.search(log.read_text()))]

        wait_until(lambda: len(registered()) == len(envs), 90, "the workers to register", interval=0.1)
        yield [(process, worker_id) for (process, _), worker_id in zip(started, registered(), strict=True)]
    finally:
        for process, _ in started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, _ in started:
            process.wait(timeout=30)


def _logs(folder: Path) -> str:
    return "\n".join(f"--- {log.name}\n{log.read_text()[-2000:]}" for log in sorted(folder.glob("worker*.log")))


def _people() -> list[User]:
    # Without the demo's warnings, their jobs and its citizens: only this test's are counted.
    Alert.objects.all().delete()
    ProcrastinateJob.objects.all().delete()
    User.objects.filter(username__startswith="nguoidan").update(notify_alerts=False)
    half = PEOPLE // 2
    people = User.objects.bulk_create(
        User(
            username=f"dan_{i}",
            password="!",
            phone=f"+8491400{i:04d}",
            email=f"dan_{i}@example.vn" if i >= half else "",
            notify_alerts=True,
            notify_by_sms=i < half,
            notify_by_email=i >= half,
        )
        for i in range(PEOPLE)
    )
    ward = AdminUnit.objects.get(code=WARD)
    SavedPlace.objects.bulk_create(SavedPlace(user=person, label="Nhà", ward=ward) for person in people)
    return people


def _queue_batch(people: list[User], wave: int) -> tuple[list[str], list[str]]:
    """A warning to `people` and DIRECT messages of each channel; the phones and addresses to be told."""
    officer = staff("canbo_canhbao", "ubnd-d703", Role.OFFICER)
    leader = staff("lanhdao_canhbao", "ubnd-d703", Role.LEADER)
    published(officer, leader, headline=f"Cảnh báo mưa lớn, đợt {wave}")
    phones = [str(person.phone) for person in people if person.notify_by_sms]
    addresses = [person.email for person in people if person.notify_by_email]
    for i in range(DIRECT):
        phone, address = f"+849150{wave}{i:03d}", f"nguoi_{wave}_{i}@example.vn"
        notification_enqueue(channel="sms", recipient=phone, body=f"Phản ánh #{i} đã có kết quả.")
        notification_enqueue(channel="email", recipient=address, subject=f"Phản ánh #{i}", body="Đã có kết quả.")
        phones.append(phone)
        addresses.append(address)
    return sorted(phones), sorted(addresses)


def _all_done(expected: int) -> bool:
    return (
        Notification.objects.filter(status="sent").count() == expected
        and not ProcrastinateJob.objects.filter(queue_name="notifications", status__in=["todo", "doing"]).exists()
    )


def _starts_per_job() -> dict[int, int]:
    """How often each notifications job went from todo to doing (procrastinate's event log)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT j.id, count(e.id) FILTER (WHERE e.type = 'started') FROM procrastinate_jobs j"
            " LEFT JOIN procrastinate_events e ON e.job_id = j.id WHERE j.queue_name = 'notifications' GROUP BY j.id"
        )
        return dict(cursor.fetchall())


DEFERRED = re.compile(r"^Periodic job ([\w.]+)\[\d+\]\(timestamp=(\d+)\) deferred", re.MULTILINE)
SKIPPED = re.compile(r"^Periodic job ([\w.]+)\[None\]\(timestamp=(\d+)\) skipped .*: already deferred", re.MULTILINE)


def _periodic_once(folder: Path) -> None:
    """Every worker schedules the periodic jobs; each time of a schedule was deferred as one job, and the
    workers did meet (one found a time the other had deferred)."""
    scheduled = Counter(
        (job.task_name, job.args["timestamp"]) for job in ProcrastinateJob.objects.all() if "timestamp" in job.args
    )
    assert scheduled and max(scheduled.values()) == 1, scheduled
    logs = [log.read_text() for log in sorted(folder.glob("worker*.log"))]
    deferred = [set(DEFERRED.findall(text)) for text in logs]
    skipped = [set(SKIPPED.findall(text)) for text in logs]
    met = {(task, int(when)) for one, other in ((0, 1), (1, 0)) for task, when in deferred[one] & skipped[other]}
    assert met, "no time scheduled by both workers"
    assert met <= set(scheduled)


@pytest.mark.django_db(transaction=True)
def test_two_workers_do_every_job_once_and_the_survivor_of_a_kill_finishes_the_batch(
    demo: None, smtp_server: SmtpServer, sms_gateway: FakeSmsGateway, tmp_path: Path
) -> None:
    people = _people()
    env = _worker_env(smtp_server, sms_gateway)
    # Each message is taken at once and answered a moment later, as a real gateway does: a batch outlasts
    # one worker's first grab, and a kill lands while a message is in flight.
    sms_gateway.answer_after(0.1)
    smtp_server.answer_after(0.05)
    # The worker to be killed signs its SMS otherwise: the gateway shows when it is in the middle of one.
    doomed_env = {**env, "SMS_SENDER": "DOOMED"}
    with _workers(tmp_path, doomed_env, env) as workers:
        [(doomed, doomed_id), (_, survivor_id)] = workers
        jobs = ProcrastinateJob.objects.filter(queue_name="notifications")

        # 1. Both at work on a batch committed while they wait: a warning's fan-out and single messages.
        phones, addresses = _queue_batch(people, 1)
        expected = len(phones) + len(addresses)
        wait_until(lambda: _all_done(expected), 60, f"the first batch sent\n{_logs(tmp_path)}", interval=0.1)
        # A worker's id is cleared from its jobs when it stops: who did what is read while both run.
        takers = {job.id: job.worker_id for job in jobs}
        assert set(takers.values()) == {doomed_id, survivor_id}, "both workers took jobs"
        kinds = set(jobs.values_list("task_name", flat=True))
        assert kinds == {"alerts.deliver_alert", "alerts.deliver_alert_batch", "notifications.deliver_notification"}
        assert len(takers) == 1 + PEOPLE // BATCH + 2 * DIRECT
        assert set(_starts_per_job().values()) == {1}, "each job was taken once"
        assert sorted(message["to"] for message in sms_gateway.messages) == phones
        assert sorted(to for mail in smtp_server.messages for to in mail.rcpt_tos) == addresses

        # 2. The same again, one worker SIGKILLed in the middle of an SMS: no goodbye, its jobs stay `doing`.
        more_phones, more_addresses = _queue_batch(people, 2)
        phones, addresses = sorted(phones + more_phones), sorted(addresses + more_addresses)
        expected = len(phones) + len(addresses)
        first_round = len(sms_gateway.messages)

        def doomed_mid_send() -> bool:
            texts = sms_gateway.messages[first_round:]
            return bool(texts) and texts[-1]["from"] == "DOOMED"

        wait_until(doomed_mid_send, 60, "the first worker in the middle of an SMS", interval=0.002)
        doomed.kill()
        doomed.wait(timeout=10)
        held = set(jobs.filter(status="doing", worker_id=doomed_id).values_list("id", flat=True))
        assert held, "the killed worker held no job"
        wait_until(lambda: _all_done(expected), 60, f"the second batch sent\n{_logs(tmp_path)}", interval=0.1)
        assert set(jobs.filter(id__in=held).values_list("worker_id", flat=True)) == {survivor_id}
    logs = "".join(log.read_text() for log in tmp_path.glob("worker*.log"))

    assert set(jobs.values_list("status", flat=True)) == {"succeeded"}
    # Taken twice: the jobs the dead worker held, and only those (by it, then by the survivor).
    assert _starts_per_job() == {job_id: 2 if job_id in held else 1 for job_id in jobs.values_list("id", flat=True)}
    assert "held by a dead worker: queued again" in logs
    # Each person and address exactly once: the gateway drops an SMS sent again under its Idempotency-Key;
    # an e-mail sent again after the kill is the same message (its Message-ID), never a second one.
    assert sorted(message["to"] for message in sms_gateway.messages) == phones
    mails = {(tuple(mail.rcpt_tos), str(mail.message["Message-ID"])) for mail in smtp_server.messages}
    assert sorted(to for to, _ in mails) == sorted((address,) for address in addresses)
    assert len(smtp_server.messages) - len(mails) <= len(held)  # at most the ones in flight, sent again
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    _periodic_once(tmp_path)


# These two in this order: procrastinate's tables are emptied by the flush after a transactional test, as
# every other table is (tests/conftest.py); a test once counted jobs an earlier test had committed.
@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_commits_a_job_and_a_periodic_deferral() -> None:
    notification_enqueue(channel="sms", recipient="+84912345678", body="Phản ánh #1 đã có kết quả.")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO procrastinate_periodic_defers (task_name, periodic_id, defer_timestamp) VALUES (%s, '', 1)",
            [STALLED],
        )
    assert ProcrastinateJob.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # pytest-django runs the others first
def test_the_next_test_sees_neither() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM procrastinate_jobs), (SELECT count(*) FROM procrastinate_periodic_defers)"
        )
        assert cursor.fetchone() == (0, 0)


@pytest.mark.django_db
def test_the_stalled_job_recovery_hands_a_job_back_once_even_when_two_runs_overlap() -> None:
    """Two runs at once (one late behind a backlog, the next minute's on another worker) listed the same job;
    the second handed it back again after a living worker had taken it, which then ran it twice."""
    notification = notification_enqueue(channel="sms", recipient="+84912345678", body="Phản ánh #1 đã có kết quả.")
    job = ProcrastinateJob.objects.get(args__notification_id=notification.pk)
    with connection.cursor() as cursor:  # held by a worker silent for an hour
        cursor.execute(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '1 hour') RETURNING id"
        )
        (dead,) = cursor.fetchone()
        cursor.execute("UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s WHERE id = %s", [dead, job.id])
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"], dbname=db["NAME"]
    ) as other_run:
        other_run.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [STALLED_LOCK])
        retry_stalled_jobs(timestamp=0)
        job.refresh_from_db()
        assert job.status == "doing"  # left to the run at work
    retry_stalled_jobs(timestamp=0)

    job.refresh_from_db()
    assert (job.status, job.attempts) == ("todo", 1)
