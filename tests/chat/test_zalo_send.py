"""The Zalo sender of the outbox: the OA send API with the access token from the database, refreshed
with the stored refresh token (each refresh returns a new one, stored), and a failed send retried by
the worker."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.utils import timezone

from channels.chat.models import PlatformToken
from channels.chat.zalo import ZaloError, token_refresh
from notifications.models import Notification
from notifications.services import notification_deliver, notification_enqueue
from tests.chat.conftest import describe, run_worker, worker_env
from tests.chat.zalo_server import FIRST_REFRESH, FakeZalo


def stored() -> tuple[str, str]:
    row = PlatformToken.objects.get(platform="zalo")
    return row.access_token, row.refresh_token


@pytest.mark.django_db
def test_the_refresh_token_rotates_and_each_new_one_is_stored(zalo: FakeZalo) -> None:
    first = notification_enqueue(channel="zalo", recipient="zalo:9001", body="Tin thứ nhất")
    notification_deliver(notification_id=first.pk)

    # No token yet: the configured refresh token got the first pair, and the new refresh token is kept.
    assert stored() == ("access-1", "refresh-1")
    assert zalo.texts_to("9001") == ["Tin thứ nhất"]

    # Zalo revokes the access token (-216 in a 200 answer): refreshed with the stored refresh token
    # (the configured one is spent: the fake refuses it now) and the message sent again.
    zalo.expire_access_token()
    second = notification_enqueue(channel="zalo", recipient="zalo:9001", body="Tin thứ hai")
    notification_deliver(notification_id=second.pk)
    assert stored() == ("access-2", "refresh-2")
    assert zalo.texts_to("9001") == ["Tin thứ nhất", "Tin thứ hai"]

    # Near its expiry, a token is refreshed before use.
    PlatformToken.objects.filter(platform="zalo").update(expires_at=timezone.now() + timedelta(minutes=1))
    third = notification_enqueue(channel="zalo", recipient="zalo:9001", body="Tin thứ ba")
    notification_deliver(notification_id=third.pk)
    assert stored() == ("access-3", "refresh-3")
    assert all(n.status == Notification.Status.SENT for n in Notification.objects.all())
    assert django_settings.ZALO_REFRESH_TOKEN == FIRST_REFRESH


@pytest.mark.django_db
def test_a_worker_that_finds_the_token_already_refreshed_does_not_spend_the_refresh_token(zalo: FakeZalo) -> None:
    assert token_refresh(stale="") == "access-1"
    # A second worker saw the old token fail meanwhile: under the row lock it finds a newer one and uses it.
    assert token_refresh(stale="expired-before") == "access-1"
    assert zalo.state.refreshes == 1
    assert stored() == ("access-1", "refresh-1")


@pytest.mark.django_db(transaction=True)
def test_two_workers_refreshing_at_once_spend_the_refresh_token_once(zalo: FakeZalo) -> None:
    zalo.state.refresh_delay = 0.3
    PlatformToken.objects.create(platform="zalo", access_token="revoked", refresh_token=FIRST_REFRESH)
    start = threading.Barrier(2)
    tokens: list[str] = []
    errors: list[Exception] = []

    def worker() -> None:
        try:
            start.wait(timeout=10)
            tokens.append(token_refresh(stale="revoked"))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # Without the row lock both would refresh, and the second with a refresh token already spent.
    assert errors == []
    assert tokens == ["access-1", "access-1"]
    assert zalo.state.refreshes == 1
    assert stored() == ("access-1", "refresh-1")


@pytest.mark.django_db
def test_a_refresh_is_kept_when_the_send_after_it_fails(zalo: FakeZalo) -> None:
    message = notification_enqueue(channel="zalo", recipient="zalo:9004", body="Xin chào")
    zalo.fail_next(1)

    # The send refreshes (Zalo spends refresh-0 for refresh-1), then the send API fails: the outbox
    # records the failure, and the new pair, committed by the refresh itself, stays.
    with pytest.raises(ZaloError, match="503"):
        notification_deliver(notification_id=message.pk)

    assert stored() == ("access-1", "refresh-1")
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Notification.Status.QUEUED, 1)
    notification_deliver(notification_id=message.pk)
    assert zalo.state.refreshes == 1
    assert zalo.texts_to("9004") == ["Xin chào"]


@pytest.mark.django_db
def test_a_refresh_is_never_made_inside_a_callers_transaction(zalo: FakeZalo) -> None:
    # Such a transaction could roll back the new pair after Zalo has spent the old refresh token.
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        token_refresh(stale="")
    assert zalo.state.refreshes == 0


@pytest.mark.django_db
def test_a_refused_refresh_leaves_the_message_queued_with_the_reason(zalo: FakeZalo) -> None:
    PlatformToken.objects.create(platform="zalo", refresh_token="revoked-by-zalo")
    message = notification_enqueue(channel="zalo", recipient="zalo:9002", body="Xin chào")

    with pytest.raises(ZaloError, match="refresh refused"):
        notification_deliver(notification_id=message.pk)

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Notification.Status.QUEUED, 1)
    assert "-14014" in message.last_error
    assert stored() == ("", "revoked-by-zalo")
    assert zalo.messages == []


@pytest.mark.django_db(transaction=True)
def test_a_failed_send_is_retried_by_the_worker(zalo: FakeZalo) -> None:
    zalo.fail_next(1)
    message = notification_enqueue(channel="zalo", recipient="zalo:9003", body="Phản ánh đã được tiếp nhận")
    env = worker_env(zalo)

    first = run_worker(env)

    assert first.returncode == 0, describe(first)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Notification.Status.QUEUED, 1), describe(first)
    assert "503" in message.last_error
    assert zalo.messages == []
    # The retry is scheduled a few seconds ahead; bring it forward instead of waiting.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procrastinate_jobs SET scheduled_at = now() WHERE queue_name = 'notifications' AND status = 'todo'"
        )

    second = run_worker(env)

    assert second.returncode == 0, describe(second)
    message.refresh_from_db()
    assert message.status == Notification.Status.SENT, describe(second)
    assert zalo.texts_to("9003") == ["Phản ánh đã được tiếp nhận"]


@pytest.mark.django_db
def test_a_long_reply_goes_as_several_messages_in_order_each_sent_once(zalo: FakeZalo) -> None:
    sentences = [f"Câu {n}: tổ công tác đã kiểm tra, thay bóng và sơn lại cột đèn số {n}." for n in range(80)]
    body = " ".join(sentences)
    assert len(body) > 2 * 2000
    message = notification_enqueue(channel="zalo", recipient="zalo:9005", body=body)
    zalo.fail_next(1, after=1)

    # The second piece fails: the first went and is not sent again by the retry.
    with pytest.raises(ZaloError, match="503"):
        notification_deliver(notification_id=message.pk)
    message.refresh_from_db()
    assert (message.status, message.parts_sent) == (Notification.Status.QUEUED, 1)
    notification_deliver(notification_id=message.pk)

    texts = zalo.texts_to("9005")
    assert len(texts) >= 3 and all(len(text) <= 2000 for text in texts)
    # In order, whole, nothing twice, each cut at a sentence's end.
    assert " ".join(texts) == body
    assert all(text.endswith(".") for text in texts)
    message.refresh_from_db()
    assert (message.status, message.parts_sent) == (Notification.Status.SENT, len(texts))
