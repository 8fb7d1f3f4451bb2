"""The public warnings page tells in force, upcoming and cancelled apart; the home page shows those in force."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from alerts import services

from .conftest import published

pytestmark = pytest.mark.django_db


def section(text: str, key: str) -> str:
    match = re.search(rf'<section class="alert-group" id="alerts-{key}".*?</section>', text, re.S)
    assert match is not None, key
    return match.group(0)


def test_in_force_upcoming_and_cancelled_are_listed_apart(client: Client, officer: User, leader: User) -> None:
    now = timezone.now()
    in_force = published(officer, leader, headline="Ngập sâu đường Cách Mạng Tháng Tám")
    upcoming = published(
        officer,
        leader,
        headline="Triều cường chiều mai",
        starts_at=now + timedelta(hours=20),
        ends_at=now + timedelta(days=1),
    )
    cancelled = published(officer, leader, headline="Sạt lở bờ kênh")
    services.alert_cancel(alert=cancelled, actor=leader, reason="Đã gia cố xong.")

    text = html.unescape(client.get("/canh-bao/").content.decode())
    listed = {key: section(text, key) for key in ("in-force", "upcoming", "cancelled")}
    assert in_force.headline in listed["in-force"]
    assert upcoming.headline in listed["upcoming"] and upcoming.headline not in listed["in-force"]
    assert cancelled.headline in listed["cancelled"] and cancelled.headline not in listed["in-force"]
    assert "Sắp có hiệu lực" in listed["upcoming"]

    home = html.unescape(client.get("/").content.decode())
    assert in_force.headline in home
    assert upcoming.headline not in home and cancelled.headline not in home
