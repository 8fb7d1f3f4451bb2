"""Fixtures for the citizen account tests: local SMS gateway and SMTP server, codes read from the outbox."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.core.cache import cache

from accounts.models import User
from notifications.models import Notification

PASSWORD = "Mật-khẩu-dài-123"
PHONE = "+84912345678"
CODE = re.compile(r"\b(\d{6})\b")


def code_in(text: str) -> str:
    match = CODE.search(text)
    assert match, text
    return match.group(1)


def last_code(recipient: str) -> str:
    """The code in the newest message queued for `recipient` (SMS or e-mail)."""
    notification = Notification.objects.filter(recipient=recipient).order_by("-id").first()
    assert notification is not None, f"nothing queued for {recipient}"
    return code_in(notification.body)


@pytest.fixture(autouse=True)
def _fresh_axes_cache() -> Iterator[None]:
    yield
    cache.clear()


@pytest.fixture
def citizen(db: None) -> User:
    """An active citizen whose phone and e-mail are confirmed."""
    from django.utils import timezone

    return User.objects.create_user(
        username="84912345678",
        password=PASSWORD,
        phone=PHONE,
        email="an.nguyen@example.vn",
        first_name="Nguyễn Văn An",
        phone_verified_at=timezone.now(),
        email_verified_at=timezone.now(),
    )
