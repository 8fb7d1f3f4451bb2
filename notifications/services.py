"""Writes to the outbox: enqueue a message with its delivery job, and deliver it."""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import DatabaseError, connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from common.jobs import job_defer

from . import webpush
from .errors import Undeliverable
from .models import Notification, PushSubscription
from .sms import get_sms_backend

logger = logging.getLogger(__name__)

E164 = re.compile(r"\+[1-9]\d{6,14}")


# Senders of the channels that live above this floor (chat apps): channel -> send(notification).
_channel_senders: dict[str, Callable[[Notification], None]] = {}


def notification_channel_register(*, channel: str, send: Callable[[Notification], None]) -> None:
    """Lets the outbox deliver messages of `channel` with `send` (called from the channel app's ready()).

    `send` raises on failure (``notifications.errors.Undeliverable`` when retrying cannot help); retries,
    deduplication and failure bookkeeping stay the outbox's. A text too long for one of the platform's
    messages is split (common.text.text_split) and sent with `notification_parts_send`.
    """
    if channel not in Notification.Channel.values:
        raise ValueError(f"Kênh gửi không hỗ trợ: {channel!r}.")
    _channel_senders[channel] = send


def _check_recipient(channel: str, recipient: str) -> None:
    if channel in (Notification.Channel.ZALO, Notification.Channel.MESSENGER):
        if not recipient.startswith(f"{channel}:") or len(recipient) <= len(channel) + 1:
            raise ValueError(f"Tin {channel} gửi tới {channel}:<mã người dùng>: {recipient!r}.")
    elif channel == Notification.Channel.SMS:
        if not E164.fullmatch(recipient):
            raise ValueError(f"Số điện thoại phải ở dạng E.164 (+84…): {recipient!r}.")
    elif channel == Notification.Channel.EMAIL:
        try:
            validate_email(recipient)
        except ValidationError as exc:
            raise ValueError(f"Địa chỉ e-mail không hợp lệ: {recipient!r}.") from exc
    elif channel == Notification.Channel.WEBPUSH:
        if not recipient.startswith("push:") or not recipient[5:].isdigit():
            raise ValueError(f"Web Push gửi tới một đăng ký (push:<id>): {recipient!r}.")
    else:
        raise ValueError(f"Kênh gửi không hỗ trợ: {channel!r}.")


def notification_enqueue(
    *,
    channel: str,
    recipient: str,
    body: str,
    subject: str = "",
    dedupe_key: str | None = None,
    thread: str = "",
) -> Notification:
    """Adds a message to the outbox and defers its delivery job, both in the caller's transaction.

    Call it inside the transaction that writes what the message is about: if
    that transaction rolls back, neither the message nor its job exists; once it
    commits, a worker will deliver it. With a ``dedupe_key`` that is already in
    the outbox, the existing message is returned and nothing new is queued.
    """
    _check_recipient(channel, recipient)
    fields: dict[str, Any] = {
        "channel": channel,
        "recipient": recipient,
        "subject": subject,
        "body": body,
        "thread": thread,
        # A browser's push goes to its subscription, named by the recipient "push:<id>".
        "push_subscription_id": int(recipient[5:]) if channel == Notification.Channel.WEBPUSH else None,
    }
    # No savepoint: nothing here is meant to fail on its own, and intake
    # (the hot path) calls this once or twice per report.
    with transaction.atomic(savepoint=False):
        if dedupe_key is None:
            notification = Notification.objects.create(**fields)
        else:
            inserted = _insert_once(dedupe_key=dedupe_key, **fields)
            if inserted is None:
                return Notification.objects.get(dedupe_key=dedupe_key)
            notification = inserted
        # The Django connector writes the job on Django's own connection,
        # so it commits or rolls back together with the row above.
        job_defer(task="notifications.deliver_notification", notification_id=notification.pk)
    return notification


def _insert_once(*, dedupe_key: str, **fields: Any) -> Notification | None:
    """Insert unless the key exists; None when it does.

    ON CONFLICT DO NOTHING waits for a concurrent transaction inserting the same
    key and then skips, so only one of them queues a job.
    """
    notification = Notification(dedupe_key=dedupe_key, created_at=timezone.now(), **fields)
    table = connection.ops.quote_name(Notification._meta.db_table)
    columns = [
        "channel",
        "recipient",
        "subject",
        "body",
        "thread",
        "status",
        "attempts",
        "last_error",
        "dedupe_key",
        "created_at",
        "push_subscription_id",
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "  # noqa: S608
            "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
            [getattr(notification, column) for column in columns],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    notification.pk = row[0]
    return notification


def notification_parts_send(
    *, notification: Notification, parts: Sequence[str], send: Callable[[int, str], None]
) -> None:
    """For the senders of channels with a size limit (chat): send the parts of one message in order with
    `send(index, part)`, skipping those an earlier attempt sent. Each part is recorded as sent the moment
    it went (senders run outside any transaction), so a retry after a failure in the middle sends each
    part once and the reader gets them in order."""
    for index in range(notification.parts_sent, len(parts)):
        send(index, parts[index])
        notification.parts_sent = index + 1
        Notification.objects.filter(pk=notification.pk).update(parts_sent=notification.parts_sent)


def mail_loop_address() -> str:
    """The address our mail's X-Loop names: the intake mailbox when its login is an address, else the
    address we send from (channels.mail treats mail carrying either in X-Loop as a loop)."""
    intake = settings.INTAKE_IMAP_USER.strip()
    return intake if "@" in intake else parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def _mail_domain() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"


def _mail_headers(notification: Notification) -> dict[str, str]:
    headers = {
        # RFC 3834: machines answer neither (no out-of-office reply to our receipt), and an answer to a
        # mail says it is one. X-Loop lets a mailbox, ours included, see its own mail coming back.
        "Auto-Submitted": "auto-replied" if notification.thread else "auto-generated",
        "X-Loop": mail_loop_address(),
        # Exchange and Outlook read their own header instead: no out-of-office or automatic replies.
        "X-Auto-Response-Suppress": "OOF, AutoReply",
        # The message's own id, the same each time it is sent: a worker killed after the mail server took
        # it but before it was marked sent sends it again on retry, and then it is the same message
        # (as the SMS gateway's Idempotency-Key), not a second one.
        "Message-ID": f"<notification-{notification.pk}.{notification.created_at:%Y%m%d%H%M%S}@{_mail_domain()}>",
    }
    if notification.thread:
        # An answer to an e-mail lands in the thread of the message it answers.
        headers.update({"In-Reply-To": notification.thread, "References": notification.thread})
    return headers


def _send(notification: Notification) -> None:
    if notification.channel == Notification.Channel.EMAIL:
        headers = _mail_headers(notification)
        EmailMessage(
            subject=notification.subject,
            body=notification.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.recipient],
            headers=headers,
        ).send(fail_silently=False)
    elif notification.channel == Notification.Channel.SMS:
        get_sms_backend().send(to=notification.recipient, text=notification.body, key=f"notification-{notification.pk}")
    elif notification.channel == Notification.Channel.WEBPUSH:
        webpush.push_send(notification)
    elif (send := _channel_senders.get(notification.channel)) is not None:
        send(notification)
    else:
        raise ValueError(f"Kênh gửi không hỗ trợ: {notification.channel!r}.")


# The first key of the advisory locks that claim a message for sending (the second is its id).
_SENDING_LOCK = 0x6E6F7469


@contextmanager
def _claimed(notification_id: int) -> Iterator[None]:
    """Hold the message's claim: a session-level advisory lock, so a second worker waits until the first
    has recorded its outcome. It holds no transaction open, and PostgreSQL drops it with the connection of
    a worker that dies mid-send, so a later retry can send the message then."""
    key = [_SENDING_LOCK, notification_id % 2**31]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s::int, %s::int)", key)
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s::int, %s::int)", key)
        except DatabaseError:
            # The connection is gone, and the lock with it.
            logger.warning("Could not release the claim on notification %s", notification_id, exc_info=True)


def notification_deliver(*, notification_id: int, last_attempt: bool = False) -> None:
    """Sends one message unless it was already sent.

    The message is claimed (`_claimed`) and read in a short transaction; the sender runs outside any
    transaction (its own writes, such as a rotated access token, commit as it makes them, and nothing
    stays locked while it waits on the network); the outcome is recorded in another short transaction
    before the claim is released. So two runs of the same job never both send it. A failure is recorded
    (attempts, last_error) and then re-raised so that the job is retried; on the ``last_attempt`` the
    message is marked FAILED. A sender's ``Undeliverable`` marks it FAILED at once: retrying cannot help.
    """
    with _claimed(notification_id):
        # durable: the caller must not hold a transaction the sender's writes would wait for.
        with transaction.atomic(durable=True):
            notification = Notification.objects.filter(pk=notification_id).first()
        if notification is None:
            logger.warning("Notification %s no longer exists; nothing to send.", notification_id)
            return
        if notification.status == Notification.Status.SENT:
            return
        try:
            _send(notification)
        except Undeliverable as exc:
            # The recipient cannot take it (a browser that unsubscribed, a chat reply window closed): no retry.
            with transaction.atomic(durable=True):
                Notification.objects.filter(pk=notification.pk).update(
                    status=Notification.Status.FAILED, last_error=str(exc)[:2000]
                )
            return
        except Exception as exc:
            with transaction.atomic(durable=True):
                Notification.objects.filter(pk=notification.pk).update(
                    attempts=F("attempts") + 1,
                    last_error=f"{type(exc).__name__}: {exc}"[:2000],
                    status=Notification.Status.FAILED if last_attempt else Notification.Status.QUEUED,
                )
            raise
        with transaction.atomic(durable=True):
            Notification.objects.filter(pk=notification.pk).update(
                status=Notification.Status.SENT, sent_at=timezone.now()
            )


def notification_deliver_many(*, notification_ids: list[int], last_attempt: bool = False) -> None:
    """Sends a batch of messages, each as `notification_deliver` does (so each at most once).

    One failure does not hold up the others; the first is re-raised at the end so
    that the batch job is retried, and the retry skips the messages already sent.
    """
    first_error: Exception | None = None
    for notification_id in notification_ids:
        try:
            notification_deliver(notification_id=notification_id, last_attempt=last_attempt)
        except Exception as exc:
            logger.warning("Notification %s not sent: %s", notification_id, exc)
            first_error = first_error or exc
    if first_error is not None:
        raise first_error


# The columns a bulk insert writes (the model's defaults do not apply to raw INSERT ... SELECT).
_OUTBOX_COLUMNS = (
    "channel, recipient, subject, body, status, attempts, last_error, dedupe_key, created_at, push_subscription_id"
)


def _people_outbox_sql() -> str:
    """Each person's message on every channel they chose: SMS, e-mail and each browser subscription,
    each with its dedupe key, so that writing the same people again adds nothing."""
    users = get_user_model()._meta.db_table
    pushes = PushSubscription._meta.db_table
    return f"""
    WITH d AS (SELECT unnest(%(users)s::bigint[]) AS user_id)
    INSERT INTO {Notification._meta.db_table} ({_OUTBOX_COLUMNS})
    SELECT 'sms', u.phone, '', %(sms)s, 'queued', 0, '', %(key)s || 'sms:' || u.id, now(), NULL::bigint
    FROM d JOIN {users} u ON u.id = d.user_id
    WHERE u.notify_by_sms AND u.phone IS NOT NULL AND u.phone <> ''
    UNION ALL
    SELECT 'email', u.email, %(subject)s, %(email)s, 'queued', 0, '', %(key)s || 'email:' || u.id, now(), NULL
    FROM d JOIN {users} u ON u.id = d.user_id
    WHERE u.notify_by_email AND u.email <> ''
    UNION ALL
    SELECT 'webpush', 'push:' || s.id, %(subject)s, %(push)s, 'queued', 0, '', %(key)s || 'push:' || s.id, now(), s.id
    FROM d JOIN {pushes} s ON s.user_id = d.user_id
    WHERE s.warnings
    ON CONFLICT (dedupe_key) DO NOTHING
    """  # noqa: S608 (table names from model metadata)


def _anonymous_push_sql() -> str:
    pushes = PushSubscription._meta.db_table
    return f"""
    INSERT INTO {Notification._meta.db_table} ({_OUTBOX_COLUMNS})
    SELECT 'webpush', 'push:' || s.id, %(subject)s, %(push)s, 'queued', 0, '', %(key)s || 'push:' || s.id, now(), s.id
    FROM {pushes} s WHERE s.user_id IS NULL AND s.warnings
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id
    """  # noqa: S608


@dataclass(frozen=True)
class PeopleEnqueued:
    written: int  # rows new in the outbox
    pending: list[int]  # the people's messages not sent yet (new or left by an earlier try), in order


def notification_enqueue_to_people(
    *, user_ids: Sequence[int], dedupe_prefix: str, subject: str, sms: str, email: str, push: str
) -> PeopleEnqueued:
    """One message to each person on every channel they chose (an SMS, an e-mail, a Web Push to each of
    their browsers), written to the outbox in one statement; for fan-outs too large for `notification_enqueue`.

    Dedupe keys are `dedupe_prefix` + "sms:<user>", "email:<user>", "push:<subscription>", so writing the
    same people again adds nothing. No job is deferred: the caller sends `pending` (notification_deliver_many).
    """
    ids = list(user_ids)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _people_outbox_sql(),
            {"users": ids, "key": dedupe_prefix, "subject": subject, "sms": sms, "email": email, "push": push},
        )
        written = cursor.rowcount
    pushes = PushSubscription.objects.filter(user_id__in=ids).values_list("id", flat=True)
    keys = [f"{dedupe_prefix}{channel}:{user}" for user in ids for channel in ("sms", "email")]
    keys += [f"{dedupe_prefix}push:{push}" for push in pushes]
    pending = list(
        Notification.objects.filter(dedupe_key__in=keys)
        .exclude(status=Notification.Status.SENT)
        .order_by("id")
        .values_list("id", flat=True)
    )
    return PeopleEnqueued(written=max(written, 0), pending=pending)


def notification_enqueue_to_anonymous_browsers(*, dedupe_prefix: str, subject: str, push: str) -> list[int]:
    """A Web Push to every browser subscribed without an account (they get every message of this kind),
    in the caller's transaction; the ids written now (dedupe key `dedupe_prefix` + "push:<subscription>").
    No job is deferred: the caller defers "notifications.deliver_notifications" with the ids."""
    with connection.cursor() as cursor:
        cursor.execute(_anonymous_push_sql(), {"key": dedupe_prefix, "subject": subject, "push": push})
        return [row[0] for row in cursor.fetchall()]


class PushLimitReached(Exception):
    """This account or address already has as many browser subscriptions as allowed."""


def _client_key(address: str | None) -> str:
    """A keyed hash of who subscribes without an account: the IPv4 address, or the IPv6 /64
    (one household or phone holds a whole /64, so its addresses count as one)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return salted_hmac("push-client", "unknown").hexdigest()
    network = ipaddress.ip_network(f"{ip}/{64 if ip.version == 6 else 32}", strict=False)
    return salted_hmac("push-client", str(network)).hexdigest()


def push_subscription_save(
    *,
    endpoint: str,
    p256dh: str,
    auth: str,
    user: AbstractBaseUser | None,
    client_address: str | None,
    warnings: bool = True,
) -> PushSubscription:
    """Store a browser's subscription (or refresh the keys of a known endpoint). `warnings`: it asked for
    warnings (False: only for the reports it follows; a browser that asked for warnings keeps them).

    ValidationError (keyed endpoint/p256dh/auth) unless the endpoint is an https URL on public
    addresses and the keys are well formed; PushLimitReached past settings.PUSH_MAX_PER_USER
    (signed in) or settings.PUSH_MAX_PER_ADDRESS (without an account, by client address).
    """
    errors = webpush.keys_errors(p256dh=p256dh, auth=auth)
    try:
        webpush.endpoint_check(endpoint)
    except webpush.UnsafeEndpoint as exc:
        errors["endpoint"] = [str(exc)]
    if errors:
        raise ValidationError(errors)
    client = "" if user is not None else _client_key(client_address)
    owned = (
        PushSubscription.objects.filter(user_id=user.pk)
        if user is not None
        else PushSubscription.objects.filter(user=None, client=client)
    )
    cap = settings.PUSH_MAX_PER_USER if user is not None else settings.PUSH_MAX_PER_ADDRESS
    with transaction.atomic():
        # One subscriber at a time, so that two requests at once cannot both take the last place.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"push:{user.pk if user else client}"])
        known = PushSubscription.objects.filter(endpoint=endpoint).exclude(pk__in=owned.values("pk")).exists()
        if not known and not owned.filter(endpoint=endpoint).exists() and owned.count() >= cap:
            raise PushLimitReached(
                f"Đã có {cap} trình duyệt đăng ký nhận cảnh báo từ "
                + ("tài khoản này." if user is not None else "địa chỉ mạng này. Hãy đăng nhập để đăng ký thêm.")
            )
        defaults = {"p256dh": p256dh, "auth": auth, "user": user, "client": client, "failures": 0}
        subscription, _ = PushSubscription.objects.update_or_create(
            endpoint=endpoint,
            defaults={**defaults, **({"warnings": True} if warnings else {})},
            create_defaults={**defaults, "warnings": warnings},
        )
    return subscription


def _push_subscription_in_use(subscription: PushSubscription) -> bool:
    """Whether rows of the apps above still use it (a report this browser follows: incidents'
    ReportFollower), found through the relations that point here, since notifications may not import them.
    The outbox's own messages do not count."""
    for relation in PushSubscription._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and relation.one_to_many):
            continue
        model = relation.related_model
        if model is Notification or not isinstance(model, type) or not issubclass(model, models.Model):
            continue
        if model._base_manager.filter(**{relation.field.name: subscription}).exists():  # type: ignore[union-attr]
            return True
    return False


def push_subscription_warnings_stop(*, endpoint: str) -> bool:
    """This browser no longer wants warnings (whoever knows the endpoint may say so): the subscription goes,
    unless it still carries a followed report's updates; then only its warnings stop. Returns whether it is
    kept (the browser must then stay subscribed)."""
    with transaction.atomic():
        subscription = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
        if subscription is None:
            return False
        if _push_subscription_in_use(subscription):
            subscription.warnings = False
            subscription.save(update_fields=["warnings"])
            return True
        subscription.delete()
        return False
