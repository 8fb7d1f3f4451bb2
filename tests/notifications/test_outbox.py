"""Enqueueing and delivering in-process, with the real database, SMTP server and gateway."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import IntegrityError, connection, transaction
from procrastinate.contrib.django.models import ProcrastinateJob
from pytest_django.fixtures import Settings as SettingsWrapper

from notifications import services as notification_services
from notifications.errors import Undeliverable
from notifications.models import Notification
from notifications.services import notification_channel_register, notification_deliver, notification_enqueue
from notifications.sms import SmsError
from tests.servers import FakeSmsGateway, SmtpServer

TASK = "notifications.deliver_notification"
SUBJECT = "Phản ánh #42: đã có kết quả xử lý"
BODY = "Xin chào Nguyễn Thị Hồng,\n\nỦy ban nhân dân phường đã trả lời phản ánh của bạn về đèn đường hỏng."
SMS_TEXT = "Phản ánh #42 đã có kết quả. Xem tại http://127.0.0.1:8000/r/42"


def jobs_of(notification: Notification) -> list[ProcrastinateJob]:
    return list(ProcrastinateJob.objects.filter(task_name=TASK, args__notification_id=notification.pk))


def job_count() -> int:
    return ProcrastinateJob.objects.filter(task_name=TASK).count()


class Rollback(Exception):
    pass


@pytest.mark.django_db
def test_rolled_back_transaction_leaves_no_row_and_no_job() -> None:
    jobs_before = job_count()

    with pytest.raises(Rollback), transaction.atomic():
        notification_enqueue(channel="email", recipient="hong@example.vn", subject=SUBJECT, body=BODY)
        assert Notification.objects.count() == 1
        assert job_count() == jobs_before + 1
        raise Rollback

    assert Notification.objects.count() == 0
    assert job_count() == jobs_before


@pytest.mark.django_db
def test_committed_enqueue_has_one_job_in_the_notifications_queue() -> None:
    with transaction.atomic():
        notification = notification_enqueue(channel="sms", recipient="+84912345678", body=SMS_TEXT)

    assert notification.status == Notification.Status.QUEUED
    [job] = jobs_of(notification)
    assert job.queue_name == "notifications"
    assert job.status == "todo"
    assert job.args == {"notification_id": notification.pk}


@pytest.mark.django_db
def test_same_dedupe_key_twice_gives_one_row_and_one_job() -> None:
    first = notification_enqueue(
        channel="sms", recipient="+84912345678", body=SMS_TEXT, dedupe_key="report:42:answered"
    )
    second = notification_enqueue(
        channel="sms", recipient="+84912345678", body=SMS_TEXT, dedupe_key="report:42:answered"
    )

    assert second.pk == first.pk
    assert Notification.objects.count() == 1
    assert len(jobs_of(first)) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_enqueues_with_one_dedupe_key_defer_one_job() -> None:
    """The second transaction waits on the unique key, then returns the first one's row."""
    key = "report:7:received"
    inserted = threading.Event()
    release = threading.Event()
    results: dict[str, Notification] = {}
    errors: list[BaseException] = []

    def enqueue(name: str, hold: bool) -> None:
        try:
            with transaction.atomic():
                results[name] = notification_enqueue(
                    channel="email", recipient="hong@example.vn", subject=SUBJECT, body=BODY, dedupe_key=key
                )
                if hold:
                    inserted.set()
                    release.wait(10)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=enqueue, args=("first", True))
    first.start()
    try:
        assert inserted.wait(10)
        second = threading.Thread(target=enqueue, args=("second", False))
        second.start()
        # Commit the first only once the second is blocked on the unique index.
        with connection.cursor() as cursor:
            for _ in range(500):
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO \"notifications_notification\"%%'"
                )
                row = cursor.fetchone()
                if row and row[0] >= 1:
                    break
                time.sleep(0.02)
            else:
                pytest.fail("the second enqueue never waited on the first one's key")
    finally:
        release.set()
        first.join(10)
    second.join(10)

    assert errors == []
    assert results["first"].pk == results["second"].pk
    assert Notification.objects.count() == 1
    assert len(jobs_of(results["first"])) == 1


@pytest.mark.django_db
def test_bad_recipients_are_refused() -> None:
    with pytest.raises(ValueError, match="E.164"):
        notification_enqueue(channel="sms", recipient="0912345678", body=SMS_TEXT)
    with pytest.raises(ValueError, match="e-mail"):
        notification_enqueue(channel="email", recipient="not-an-address", body=BODY)
    with pytest.raises(ValueError, match="Kênh"):
        notification_enqueue(channel="fax", recipient="+84912345678", body=BODY)
    assert Notification.objects.count() == 0


@pytest.mark.django_db
def test_database_refuses_an_sms_recipient_without_plus() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(channel=Notification.Channel.SMS, recipient="0912345678", body=SMS_TEXT)


@pytest.mark.django_db
def test_email_goes_through_django_smtp_backend(smtp_server: SmtpServer) -> None:
    notification = notification_enqueue(channel="email", recipient="hong@example.vn", subject=SUBJECT, body=BODY)

    notification_deliver(notification_id=notification.pk)

    [mail] = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["hong@example.vn"]
    assert mail.subject == SUBJECT
    assert mail.body.strip() == BODY
    assert "Phản ánh hiện trường" in str(mail.message["From"])
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.sent_at is not None


@pytest.mark.django_db
def test_an_email_answer_lands_in_the_thread_it_answers(smtp_server: SmtpServer, settings: SettingsWrapper) -> None:
    settings.INTAKE_IMAP_USER = "tiepnhan"  # a login, not an address: X-Loop names the sender's address
    settings.DEFAULT_FROM_EMAIL = "Phản ánh hiện trường <no-reply@localhost>"
    thread = "<CAF+abc123@mail.example.vn>"
    notification = notification_enqueue(
        channel="email", recipient="hong@example.vn", subject=SUBJECT, body=BODY, dedupe_key="answer-42", thread=thread
    )

    notification_deliver(notification_id=notification.pk)

    [mail] = smtp_server.wait_for(1)
    assert mail.message["In-Reply-To"] == thread
    assert mail.message["References"] == thread
    # An answer says it is an automatic one (RFC 3834), so no out-of-office reply answers it back.
    assert mail.message["Auto-Submitted"] == "auto-replied"
    assert mail.message["X-Loop"] == "no-reply@localhost"


@pytest.mark.django_db
def test_a_notification_is_marked_auto_generated_with_our_loop_address(
    smtp_server: SmtpServer, settings: SettingsWrapper
) -> None:
    settings.INTAKE_IMAP_USER = "tiepnhan@phananh.example.vn"
    notification = notification_enqueue(channel="email", recipient="hong@example.vn", subject=SUBJECT, body=BODY)

    notification_deliver(notification_id=notification.pk)

    [mail] = smtp_server.wait_for(1)
    assert mail.message["Auto-Submitted"] == "auto-generated"
    assert mail.message["X-Loop"] == "tiepnhan@phananh.example.vn"
    assert mail.message["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    assert mail.message["In-Reply-To"] is None


@pytest.mark.django_db
def test_a_registered_channel_is_delivered_by_its_sender_with_the_outbox_bookkeeping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(notification_services, "_channel_senders", {})
    with pytest.raises(ValueError, match="Kênh"):
        notification_channel_register(channel="fax", send=lambda notification: None)
    with pytest.raises(ValueError, match="zalo:"):
        notification_enqueue(channel="zalo", recipient="+84912345678", body=SMS_TEXT)
    notification = notification_enqueue(channel="zalo", recipient="zalo:8412345", body=SMS_TEXT)
    # Not registered (the chat app is not installed): a failed attempt, kept for a retry.
    with pytest.raises(ValueError, match="Kênh"):
        notification_deliver(notification_id=notification.pk)
    sent: list[tuple[str, str]] = []
    failures = iter([RuntimeError("Zalo trả lỗi -216")])

    def send(message: Notification) -> None:
        if (failure := next(failures, None)) is not None:
            raise failure
        sent.append((message.recipient, message.body))

    notification_channel_register(channel="zalo", send=send)
    with pytest.raises(RuntimeError):
        notification_deliver(notification_id=notification.pk)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Notification.Status.QUEUED, 2)
    assert "-216" in notification.last_error

    notification_deliver(notification_id=notification.pk)
    notification_deliver(notification_id=notification.pk)

    assert sent == [("zalo:8412345", SMS_TEXT)]
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT


@pytest.mark.django_db
def test_an_undeliverable_message_is_marked_failed_at_once_and_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notification_services, "_channel_senders", {})
    calls: list[int] = []

    def send(message: Notification) -> None:
        calls.append(message.pk)
        raise Undeliverable("Ngoài khung 24 giờ của Messenger")

    notification_channel_register(channel="messenger", send=send)
    notification = notification_enqueue(channel="messenger", recipient="messenger:2411", body=SMS_TEXT)

    # Not raised: the job ends, so the worker does not run it again.
    notification_deliver(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert "24 giờ" in notification.last_error
    assert calls == [notification.pk]


@pytest.mark.django_db
def test_failed_sms_is_recorded_then_retried_once_sent(sms_gateway: FakeSmsGateway) -> None:
    sms_gateway.fail_next(1)
    notification = notification_enqueue(channel="sms", recipient="+84912345678", body=SMS_TEXT)

    with pytest.raises(SmsError, match="503"):
        notification_deliver(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.status == Notification.Status.QUEUED
    assert notification.attempts == 1
    assert "503" in notification.last_error
    assert sms_gateway.messages == []

    notification_deliver(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.sent_at is not None
    assert sms_gateway.messages == [{"to": "+84912345678", "from": "PHANANH", "text": SMS_TEXT}]

    # A job retried after it already sent (e.g. the worker died before
    # finishing it) sends nothing more.
    notification_deliver(notification_id=notification.pk)

    assert len(sms_gateway.messages) == 1
    assert sms_gateway.requests == 2


@pytest.mark.django_db
def test_failure_on_the_last_attempt_marks_failed(sms_gateway: FakeSmsGateway) -> None:
    sms_gateway.fail_next(1)
    notification = notification_enqueue(channel="sms", recipient="+84912345678", body=SMS_TEXT)

    with pytest.raises(SmsError):
        notification_deliver(notification_id=notification.pk, last_attempt=True)

    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == 1


@pytest.mark.django_db
def test_a_fan_out_writes_each_chosen_channel_once_and_queues_no_job() -> None:
    # The bulk outbox insert of large fan-outs (alerts.delivery calls it): one row per chosen channel and
    # browser, under dedupe keys, so a retried batch writes nothing twice; sending is the caller's.
    from django.contrib.auth import get_user_model

    from notifications.models import PushSubscription
    from notifications.services import notification_enqueue_to_anonymous_browsers, notification_enqueue_to_people

    users = get_user_model().objects
    both = users.create_user(username="fan_a", password="x", phone="+84911000001", email="a@example.vn")
    sms_only = users.create_user(username="fan_b", password="x", phone="+84911000002", notify_by_email=False)
    nothing = users.create_user(username="fan_c", password="x", email="c@example.vn", notify_by_email=False)
    browser = PushSubscription.objects.create(endpoint="https://push.example.org/1", p256dh="k", auth="a", user=nothing)
    anonymous = PushSubscription.objects.create(endpoint="https://push.example.org/2", p256dh="k", auth="a")
    jobs = ProcrastinateJob.objects.count()
    message = {"subject": "[Cảnh báo] Lũ", "sms": "Lũ sắp về", "email": "Lũ sắp về.", "push": '{"title": "Lũ"}'}

    people = [both.pk, sms_only.pk, nothing.pk]
    first = notification_enqueue_to_people(user_ids=people, dedupe_prefix="alert:1:alert:", **message)
    written = Notification.objects.filter(dedupe_key__startswith="alert:1:alert:")
    assert first.written == 4
    assert sorted(first.pending) == sorted(written.values_list("id", flat=True))
    assert {(n.channel, n.recipient, n.dedupe_key) for n in written} == {
        ("sms", "+84911000001", f"alert:1:alert:sms:{both.pk}"),
        ("email", "a@example.vn", f"alert:1:alert:email:{both.pk}"),
        ("sms", "+84911000002", f"alert:1:alert:sms:{sms_only.pk}"),
        ("webpush", f"push:{browser.pk}", f"alert:1:alert:push:{browser.pk}"),
    }
    assert written.get(channel="webpush").push_subscription_id == browser.pk
    assert written.get(channel="email").subject == "[Cảnh báo] Lũ"

    written.filter(channel="email").update(status=Notification.Status.SENT)
    again = notification_enqueue_to_people(user_ids=people, dedupe_prefix="alert:1:alert:", **message)
    assert again.written == 0 and len(again.pending) == 3 and written.count() == 4

    [new] = notification_enqueue_to_anonymous_browsers(dedupe_prefix="alert:1:alert:", subject="S", push="{}")
    assert Notification.objects.get(pk=new).push_subscription_id == anonymous.pk
    assert notification_enqueue_to_anonymous_browsers(dedupe_prefix="alert:1:alert:", subject="S", push="{}") == []
    assert ProcrastinateJob.objects.count() == jobs


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_one_message_at_once_send_it_once_outside_any_transaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The second worker waits while the first sends, then finds the message sent. The sender runs outside
    any transaction: its own writes (a rotated access token) commit as it makes them, and nothing stays
    locked while it waits on the network."""
    monkeypatch.setattr(notification_services, "_channel_senders", {})
    sending = threading.Event()
    release = threading.Event()
    sent: list[str] = []
    in_transaction: list[bool] = []
    errors: list[BaseException] = []

    def send(message: Notification) -> None:
        in_transaction.append(connection.in_atomic_block)
        sending.set()
        assert release.wait(10)
        sent.append(message.body)

    notification_channel_register(channel="zalo", send=send)
    notification = notification_enqueue(channel="zalo", recipient="zalo:8412345", body=SMS_TEXT)

    def worker() -> None:
        try:
            notification_deliver(notification_id=notification.pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=worker)
    first.start()
    try:
        assert sending.wait(10)
        second = threading.Thread(target=worker)
        second.start()
        # Let the first finish only once the second is waiting for the message's claim.
        with connection.cursor() as cursor:
            for _ in range(500):
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'"
                )
                row = cursor.fetchone()
                if row and row[0] >= 1:
                    break
                time.sleep(0.02)
            else:
                pytest.fail("the second worker never waited for the first one's claim")
    finally:
        release.set()
        first.join(10)
    second.join(10)

    assert errors == []
    assert sent == [SMS_TEXT] and in_transaction == [False]
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
