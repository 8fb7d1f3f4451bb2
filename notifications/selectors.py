"""Reads of the notifications app."""

from __future__ import annotations

from .models import PushSubscription


def push_subscription_warnings(*, endpoint: str) -> bool:
    """Whether the browser with this endpoint (its secret) gets warnings; not for one that only follows reports."""
    return PushSubscription.objects.filter(endpoint=endpoint, warnings=True).exists()
