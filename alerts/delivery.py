"""Delivery of a published warning (worker side): find the opted-in people inside the area, record
each once per event, and hand their messages (SMS, e-mail, each browser) to the outbox in batches.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User as Account
from common.jobs import job_defer, jobs_defer
from notifications.services import (
    notification_deliver_many,
    notification_enqueue_to_anonymous_browsers,
    notification_enqueue_to_people,
)

from .area import WARD_SHARE, people_sql
from .models import Alert, AlertDelivery, AlertEvent, DeliveryKind, Status

Action = AlertEvent.Action


def _local(value: datetime) -> str:
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y")


def _messages(alert: Alert, kind: str) -> dict[str, str]:
    prefix: str = {
        DeliveryKind.ALERT: "Cảnh báo",
        DeliveryKind.UPDATE: "Cập nhật cảnh báo",
        DeliveryKind.CANCEL: "Hủy cảnh báo",
    }[DeliveryKind(kind)]
    url = f"{settings.SITE_URL.rstrip('/')}/canh-bao/{alert.pk}/"
    window = f"{_local(alert.starts_at)} đến {_local(alert.ends_at)}"
    if kind == DeliveryKind.CANCEL:
        sms = f"[{prefix}] {alert.headline} ({alert.area_description}) đã được hủy. Chi tiết: {url}"
        text = f"{alert.agency.name} đã hủy cảnh báo “{alert.headline}” cho {alert.area_description}."
    else:
        sms = f"[{prefix}] {alert.headline}. Khu vực: {alert.area_description}. Hiệu lực từ {window}. Chi tiết: {url}"
        text = (
            f"{alert.agency.name} thông báo: {alert.headline}\n\nKhu vực: {alert.area_description}\n"
            f"Hiệu lực: từ {window}\n\n{alert.description}\n"
            + (f"\nHướng dẫn: {alert.instruction}\n" if alert.instruction else "")
        )
    subject = f"[{prefix}] {alert.headline}"
    return {
        "subject": subject[:255],
        "sms": sms,
        "email": text + f"\nXem chi tiết và bản đồ: {url}\n",
        "push": json.dumps({"title": subject, "body": sms, "url": url, "tag": f"alert-{alert.pk}"}, ensure_ascii=False),
    }


def _resolve_sql() -> str:
    """Record the newly reached people (the unique key skips anyone told before); their delivery ids."""
    head = f"WITH area AS (SELECT area AS geom FROM {Alert._meta.db_table} WHERE id = %(alert)s), "  # noqa: S608
    tail = f""",
    delivered AS (
        INSERT INTO {AlertDelivery._meta.db_table} (alert_id, user_id, kind, created_at)
        SELECT %(alert)s, u.id, %(kind)s, now() FROM {Account._meta.db_table} u JOIN people p ON p.user_id = u.id
        WHERE u.notify_alerts AND u.is_active
        ON CONFLICT (alert_id, user_id, kind) DO NOTHING
        RETURNING id
    )
    SELECT coalesce(array_agg(id ORDER BY id), '{{}}') FROM delivered
    """  # noqa: S608 (table names from model metadata)
    return head + people_sql() + tail


@dataclass(frozen=True)
class DeliveryResult:
    people: int
    notifications: int
    jobs: int


def _key(alert: Alert, kind: str) -> str:
    return f"alert:{alert.pk}:{kind}:"


@transaction.atomic
def alert_deliver(*, alert_id: int, kind: str) -> DeliveryResult:
    """Find the opted-in people with a saved place inside the area and queue them, once per person and event.

    One statement resolves the people and records a delivery for each one not
    recorded before (the unique (alert, user, kind) key); the new deliveries
    are handed to batch jobs (`alert_deliver_batch`), deferred in bulk in the
    same transaction. Run twice, the second run finds everyone recorded and
    queues nothing.
    """
    alert = Alert.objects.select_related("agency").get(pk=alert_id)
    if kind != DeliveryKind.CANCEL and (alert.status != Status.APPROVED or alert.ends_at <= timezone.now()):
        # Replaced, cancelled or ended before the worker got here: that news goes out instead.
        return DeliveryResult(people=0, notifications=0, jobs=0)
    messages = _messages(alert, kind)
    with connection.cursor() as cursor:
        # JIT compiling costs more than this one-off statement gains from it.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(_resolve_sql(), {"alert": alert.pk, "kind": kind, "share": WARD_SHARE})
        (ids,) = cursor.fetchone()
    # Browsers subscribed without an account get every warning of the service.
    anonymous = notification_enqueue_to_anonymous_browsers(
        dedupe_prefix=_key(alert, kind), subject=messages["subject"], push=messages["push"]
    )
    size = settings.ALERT_DELIVERY_BATCH
    batches = [ids[i : i + size] for i in range(0, len(ids), size)]
    if batches:
        jobs_defer(
            task="alerts.deliver_alert_batch",
            arguments=({"alert_id": alert.pk, "kind": kind, "delivery_ids": batch} for batch in batches),
        )
    if anonymous:
        job_defer(task="notifications.deliver_notifications", notification_ids=anonymous)
    if ids or anonymous:
        AlertEvent.objects.create(
            alert=alert,
            action=Action.DELIVERED,
            details={"kind": kind, "people": len(ids), "browsers": len(anonymous)},
        )
    return DeliveryResult(people=len(ids), notifications=len(anonymous), jobs=len(batches) + bool(anonymous))


def alert_deliver_batch(*, alert_id: int, kind: str, delivery_ids: list[int], last_attempt: bool = False) -> int:
    """Write a batch of deliveries' messages to the outbox and send them; returns how many were written.

    Each message has a dedupe key, and each is sent at most once (notification_deliver),
    so a retried batch neither writes nor sends anything twice.
    """
    alert = Alert.objects.select_related("agency").get(pk=alert_id)
    users = AlertDelivery.objects.filter(id__in=delivery_ids).order_by("id").values_list("user_id", flat=True)
    enqueued = notification_enqueue_to_people(
        user_ids=list(users), dedupe_prefix=_key(alert, kind), **_messages(alert, kind)
    )
    notification_deliver_many(notification_ids=enqueued.pending, last_attempt=last_attempt)
    return enqueued.written
