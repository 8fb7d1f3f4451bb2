"""Web Push: send one outbox message to the browser subscription it names, signed with VAPID."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from pywebpush import WebPushException, webpush

if TYPE_CHECKING:
    from .models import Notification

logger = logging.getLogger(__name__)

# How long the push service keeps a message for a browser that is offline (seconds).
PUSH_TTL = 12 * 60 * 60
PUSH_TIMEOUT = 10.0


class SubscriptionGone(Exception):
    """The browser unsubscribed (the push service answered 404 or 410); the subscription was removed."""


class PushError(Exception):
    """The push service did not take the message; sending again later may work."""


def push_send(notification: Notification) -> None:
    subscription = notification.push_subscription
    if subscription is None:
        raise SubscriptionGone("Đăng ký Web Push không còn nữa.")
    try:
        webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=notification.body,
            vapid_private_key=settings.VAPID_PRIVATE_KEY,
            vapid_claims={"sub": settings.VAPID_SUBJECT},
            ttl=PUSH_TTL,
            timeout=PUSH_TIMEOUT,
        )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (404, 410):
            logger.info("Web Push subscription %s is gone (%s); removing it.", subscription.pk, status)
            subscription.delete()
            raise SubscriptionGone(f"Dịch vụ push trả về {status}: trình duyệt đã hủy đăng ký.") from exc
        raise PushError(f"Dịch vụ push trả về {status}: {exc}") from exc
    except Exception as exc:  # network errors from requests
        raise PushError(f"Không gửi được Web Push: {type(exc).__name__}: {exc}") from exc
