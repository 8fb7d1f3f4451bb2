"""Warnings test helpers: demo staff and a valid alert input over demo units."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from agencies.models import Agency, Role, StaffRole
from alerts import services
from alerts.models import Alert
from tests.factories import PASSWORD

DISTRICT = "D703"
WARD = "D25450"
OTHER_DISTRICT = "D705"


def staff(username: str, agency: str, *roles: str) -> User:
    user, _ = User.objects.get_or_create(username=username, defaults={"first_name": username})
    user.set_password(PASSWORD)
    user.save()
    for role in roles:
        StaffRole.objects.get_or_create(user=user, agency=Agency.objects.get(code=agency), role=role)
    return user


def alert_input(**overrides: Any) -> services.AlertInput:
    now = timezone.now()
    values: dict[str, Any] = {
        "headline": "Cảnh báo mưa lớn gây ngập",
        "description": "Mưa lớn trong 6 giờ tới, nguy cơ ngập ở vùng trũng.",
        "instruction": "Không đi qua vùng nước chảy xiết.",
        "category": "flood",
        "severity": "Severe",
        "urgency": "Expected",
        "certainty": "Likely",
        "starts_at": now - timedelta(minutes=5),
        "ends_at": now + timedelta(hours=6),
        "area": [{"kind": "unit", "code": WARD}],
        "agency": "ubnd-d703",
    }
    values.update(overrides)
    return services.AlertInput(**values)


@pytest.fixture
def officer(demo: None) -> User:
    # Without the demo's own warnings, so each test sees only what it made.
    Alert.objects.all().delete()
    return staff("canbo_canhbao", "ubnd-d703", Role.OFFICER)


@pytest.fixture
def leader(demo: None) -> User:
    return staff("lanhdao_canhbao", "ubnd-d703", Role.LEADER)


def published(officer: User, leader: User, **overrides: Any) -> Alert:
    alert = services.alert_create(actor=officer, data=alert_input(**overrides))
    services.alert_submit(alert=alert, actor=officer)
    return services.alert_approve(alert=alert, actor=leader)
