"""Delivery: the people with saved places inside the area who opted in are told once, by a real worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from procrastinate.contrib.django.models import ProcrastinateJob
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import SavedPlace, User
from alerts import delivery, services
from alerts.models import Alert, AlertDelivery, DeliveryKind
from boundaries.models import AdminUnit
from notifications import webpush
from notifications.models import Notification, PushSubscription
from notifications.services import notification_deliver, notification_deliver_many
from tests.notifications.push_server import BrowserKeys, FakePushService
from tests.servers import FakeSmsGateway, SmtpServer, database_url, wait_until

from .conftest import OTHER_DISTRICT, WARD, published


def run_worker(env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", "procrastinate", "worker", "--queues", "notifications", "--one-shot"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, output
    return output


def citizens() -> dict[str, User]:
    # The demo's own citizens stay out of this count.
    User.objects.filter(username__startswith="nguoidan").update(notify_alerts=False)
    ward = AdminUnit.objects.get(code=WARD)
    elsewhere = AdminUnit.objects.filter(level=3, parent__code=OTHER_DISTRICT).first()
    people = {
        "both": User.objects.create_user(
            username="dan_a", password="x", phone="+84911000001", email="a@example.vn", notify_alerts=True
        ),
        "sms": User.objects.create_user(
            username="dan_b", password="x", phone="+84911000002", notify_alerts=True, notify_by_email=False
        ),
        "no": User.objects.create_user(username="dan_c", password="x", phone="+84911000003", notify_alerts=False),
        "far": User.objects.create_user(username="dan_d", password="x", phone="+84911000004", notify_alerts=True),
    }
    SavedPlace.objects.create(user=people["both"], label="Nhà", ward=ward)
    SavedPlace.objects.create(user=people["both"], label="Cơ quan", location=ward.geom.point_on_surface)
    SavedPlace.objects.create(user=people["sms"], label="Nhà", location=ward.geom.point_on_surface)
    SavedPlace.objects.create(user=people["no"], label="Nhà", ward=ward)
    SavedPlace.objects.create(user=people["far"], label="Nhà", ward=elsewhere)
    return people


@pytest.mark.django_db(transaction=True)
def test_worker_tells_the_people_inside_once(
    officer: User,
    leader: User,
    smtp_server: SmtpServer,
    sms_gateway: FakeSmsGateway,
) -> None:
    people = citizens()
    ProcrastinateJob.objects.all().delete()  # the demo's own warning
    env = {key: value for key, value in os.environ.items() if not key.startswith(("EMAIL_", "SMS_"))}
    env.update(
        DATABASE_URL=database_url(connection.settings_dict), HTTPS="0", **smtp_server.environ(), **sms_gateway.environ()
    )
    alert = published(officer, leader)

    output = run_worker(env)

    texts = sms_gateway.wait_for(2)
    assert sorted(m["to"] for m in texts) == ["+84911000001", "+84911000002"], output
    assert all(alert.headline in m["text"] for m in texts)
    [mail] = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["a@example.vn"] and alert.headline in mail.subject
    deliveries = AlertDelivery.objects.filter(alert=alert, kind=DeliveryKind.ALERT)
    assert sorted(deliveries.values_list("user__username", flat=True)) == ["dan_a", "dan_b"]
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    assert set(ProcrastinateJob.objects.filter(queue_name="notifications").values_list("status", flat=True)) == {
        "succeeded"
    }

    # A retried job (here: run again, directly and through the worker) tells nobody twice.
    again = delivery.alert_deliver(alert_id=alert.pk, kind=DeliveryKind.ALERT)
    assert (again.people, again.notifications, again.jobs) == (0, 0, 0)
    batch = ProcrastinateJob.objects.filter(task_name="alerts.deliver_alert_batch").first()
    assert batch is not None
    assert delivery.alert_deliver_batch(**batch.args) == 0
    from alerts.tasks import deliver_alert

    deliver_alert.defer(alert_id=alert.pk, kind=DeliveryKind.ALERT)
    run_worker(env)
    assert len(sms_gateway.messages) == 2 and len(smtp_server.messages) == 1
    assert deliveries.count() == 2

    # The cancellation is delivered too, once.
    services.alert_cancel(alert=Alert.objects.get(pk=alert.pk), actor=leader, reason="Mưa đã dứt")
    run_worker(env)
    cancel_texts = sms_gateway.wait_for(4)[2:]
    assert sorted(m["to"] for m in cancel_texts) == ["+84911000001", "+84911000002"]
    assert all("hủy" in m["text"] for m in cancel_texts)
    assert people["far"].pk not in AlertDelivery.objects.values_list("user_id", flat=True)


@pytest.mark.django_db
def test_web_push_reaches_the_browser_and_drops_gone_subscriptions(
    officer: User, leader: User, settings: SettingsWrapper
) -> None:
    settings.PUSH_ALLOW_LOOPBACK = True  # the fake push service is on this machine
    people = citizens()
    keys = BrowserKeys()
    with FakePushService() as push:
        live = PushSubscription.objects.create(
            endpoint=f"{push.url}/push/live", p256dh=keys.p256dh, auth=keys.auth_b64, user=people["both"]
        )
        gone = PushSubscription.objects.create(
            endpoint=f"{push.url}/push/gone", p256dh=keys.p256dh, auth=keys.auth_b64, user=people["sms"]
        )
        anonymous = PushSubscription.objects.create(
            endpoint=f"{push.url}/push/anonymous", p256dh=keys.p256dh, auth=keys.auth_b64
        )
        alert = published(officer, leader)
        result = delivery.alert_deliver(alert_id=alert.pk, kind=DeliveryKind.ALERT)
        assert (result.people, result.notifications) == (2, 1)
        # What the worker would run next: the batch of people, and the anonymous browser's message.
        for job in ProcrastinateJob.objects.filter(task_name="alerts.deliver_alert_batch"):
            delivery.alert_deliver_batch(**job.args)
        for job in ProcrastinateJob.objects.filter(task_name="notifications.deliver_notifications"):
            notification_deliver_many(**job.args)
        pushes = Notification.objects.filter(channel="webpush")
        assert {n.recipient for n in pushes} == {f"push:{live.pk}", f"push:{gone.pk}", f"push:{anonymous.pk}"}

        requests = {r.path: r for r in push.requests}
        assert set(requests) == {"/push/live", "/push/gone", "/push/anonymous"}
        received = requests["/push/live"]
        # Signed with our VAPID key, encrypted for the browser's key.
        assert received.headers["authorization"].startswith("vapid t=")
        assert settings.VAPID_PUBLIC_KEY in received.headers["authorization"]
        assert received.headers["content-encoding"] == "aes128gcm"
        payload = json.loads(keys.decrypt(received.body))
        assert alert.headline in payload["title"] and payload["url"].endswith(f"/canh-bao/{alert.pk}/")
    assert not PushSubscription.objects.filter(pk=gone.pk).exists()
    statuses = dict(Notification.objects.filter(channel="webpush").values_list("recipient", "status"))
    assert statuses[f"push:{live.pk}"] == "sent" and statuses[f"push:{gone.pk}"] == "failed"


PEOPLE = 120  # half told by SMS, half by e-mail


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`manage.py worker` as `make run` starts it (every queue it is given, waiting for jobs)."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--queues", "notifications,maintenance"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_leaves_nobody_untold_or_told_twice(
    officer: User, leader: User, sms_gateway: FakeSmsGateway, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    User.objects.filter(username__startswith="nguoidan").update(notify_alerts=False)
    ward = AdminUnit.objects.get(code=WARD)
    half = PEOPLE // 2
    people = User.objects.bulk_create(
        User(
            username=f"dan_{i}",
            password="!",
            phone=f"+8491300{i:04d}",
            email=f"dan_{i}@example.vn" if i >= half else "",
            notify_alerts=True,
            notify_by_sms=i < half,
            notify_by_email=i >= half,
        )
        for i in range(PEOPLE)
    )
    SavedPlace.objects.bulk_create(SavedPlace(user=person, label="Nhà", ward=ward) for person in people)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("EMAIL_", "SMS_"))}
    env.update(
        DATABASE_URL=database_url(connection.settings_dict),
        HTTPS="0",
        WORKER_LOG_LEVEL="INFO",
        # A dead worker is found within seconds, not the production minute.
        WORKER_HEARTBEAT_SECONDS="1",
        WORKER_STALLED_SECONDS="3",
        WORKER_STALLED_CRON="* * * * * */1",
        **sms_gateway.environ(),
        **smtp_server.environ(),
    )
    # Each message is taken before it is answered: a kill lands while one is in flight, the gateway or
    # the mail server holding it and the worker never hearing so.
    sms_gateway.answer_after(0.05)
    smtp_server.answer_after(0.05)
    ProcrastinateJob.objects.all().delete()  # the demo's own warning
    published(officer, leader)
    log = tmp_path / "workers.log"

    def kill_when(sent: Callable[[], int], count: int) -> None:
        worker = start_worker(env, log)
        try:
            wait_until(lambda: sent() >= count, 90, f"{count} sent\n{log.read_text()[-3000:]}", interval=0.01)
        finally:
            worker.kill()  # SIGKILL: no goodbye, no status written
            worker.wait(timeout=10)
        assert ProcrastinateJob.objects.filter(status="doing").exists(), "the worker finished before it was killed"

    # Killed once among the SMS, once among the e-mails.
    kill_when(lambda: len(sms_gateway.messages), half // 2)
    kill_when(lambda: len(smtp_server.messages), half // 2)

    last = start_worker(env, log)
    try:
        wait_until(
            lambda: (
                Notification.objects.filter(status="sent").count() == PEOPLE
                and not ProcrastinateJob.objects.filter(
                    queue_name="notifications", status__in=["todo", "doing"]
                ).exists()
            ),
            timeout=90,
            what=f"every message sent by the last worker\n{log.read_text()[-3000:]}",
            interval=0.2,
        )
    finally:
        last.terminate()
        last.wait(timeout=30)

    # Each person exactly once: the gateway drops an SMS sent again under its Idempotency-Key; an e-mail
    # sent again after the kill is the same message (its Message-ID), never a second one.
    phones = sorted(m["to"] for m in sms_gateway.messages)
    assert phones == sorted(str(person.phone) for person in people[:half])
    mails = {(tuple(m.rcpt_tos), str(m.message["Message-ID"])) for m in smtp_server.messages}
    assert sorted(to for to, _ in mails) == sorted((person.email,) for person in people[half:])
    assert len(smtp_server.messages) - len(mails) <= 1  # at most the one in flight at the kill, sent again
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    assert not ProcrastinateJob.objects.filter(status="doing").exists()
    assert "held by a dead worker" in log.read_text()


def push_to(endpoint: str, keys: BrowserKeys, body: str = '{"title": "Cảnh báo"}') -> Notification:
    subscription = PushSubscription.objects.create(endpoint=endpoint, p256dh=keys.p256dh, auth=keys.auth_b64)
    return Notification.objects.create(
        channel="webpush", recipient=f"push:{subscription.pk}", body=body, push_subscription=subscription
    )


def resolving(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> None:
    monkeypatch.setattr(webpush, "resolve_host", lambda host, port: list(addresses))


@pytest.mark.django_db
def test_web_push_never_posts_to_loopback_or_private_addresses(
    monkeypatch: pytest.MonkeyPatch, settings: SettingsWrapper
) -> None:
    """Endpoints stored before the check (or whose name now resolves elsewhere) are dropped unsent."""
    keys = BrowserKeys()
    with FakePushService() as push:
        stored = push_to(f"{push.url}/push/live", keys)
        notification_deliver(notification_id=stored.pk)
        # The name passed the check when subscribing; now it resolves to a private address.
        settings.PUSH_ALLOW_LOOPBACK = True
        resolving(monkeypatch, "10.0.0.7")
        port = push.url.rsplit(":", 1)[1]
        rebound = push_to(f"http://push.test:{port}/push/rebound", keys)
        notification_deliver(notification_id=rebound.pk)
        assert push.requests == []
    for notification in (stored, rebound):
        notification.refresh_from_db()
        assert notification.status == "failed" and "an toàn" in notification.last_error
    assert not PushSubscription.objects.exists()


@pytest.mark.django_db
def test_web_push_connects_to_the_address_it_checked(
    monkeypatch: pytest.MonkeyPatch, settings: SettingsWrapper
) -> None:
    # push.test resolves only through the checked resolver: the message arriving proves the
    # connection went to the address that was checked, not to a second lookup.
    settings.PUSH_ALLOW_LOOPBACK = True
    resolving(monkeypatch, "127.0.0.1")
    keys = BrowserKeys()
    with FakePushService() as push:
        port = push.url.rsplit(":", 1)[1]
        notification = push_to(f"http://push.test:{port}/push/live", keys, body="xin chào")
        notification_deliver(notification_id=notification.pk)
        [request] = push.requests
    assert request.path == "/push/live" and keys.decrypt(request.body) == "xin chào".encode()
    notification.refresh_from_db()
    assert notification.status == "sent"


@pytest.mark.django_db
def test_web_push_follows_no_redirect_and_drops_failing_endpoints(settings: SettingsWrapper) -> None:
    settings.PUSH_ALLOW_LOOPBACK = True
    settings.PUSH_MAX_FAILURES = 3
    keys = BrowserKeys()
    with FakePushService() as push:
        moved = push_to(f"{push.url}/push/redirect", keys)
        notification_deliver(notification_id=moved.pk)
        assert [r.path for r in push.requests] == ["/push/redirect"]
        assert not PushSubscription.objects.filter(endpoint__endswith="/push/redirect").exists()

        failing = push_to(f"{push.url}/push/fail", keys)
        for attempt in range(1, 3):
            with pytest.raises(webpush.PushError):
                notification_deliver(notification_id=failing.pk)
            assert PushSubscription.objects.get(endpoint__endswith="/push/fail").failures == attempt
        notification_deliver(notification_id=failing.pk)
        assert len(push.requests) == 4
    assert not PushSubscription.objects.exists()
    failing.refresh_from_db()
    assert failing.status == "failed"
