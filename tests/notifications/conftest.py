from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.servers import FakeSmsGateway, SmtpServer


@pytest.fixture
def smtp_server(settings: SettingsWrapper) -> Iterator[SmtpServer]:
    """A real SMTP server on loopback; Django's SMTP backend sends to it."""
    with SmtpServer() as server:
        for name, value in server.django_settings().items():
            setattr(settings, name, value)
        yield server


@pytest.fixture
def sms_gateway(settings: SettingsWrapper) -> Iterator[FakeSmsGateway]:
    """A real HTTP SMS gateway on loopback; SMS_BACKEND="http" posts to it."""
    with FakeSmsGateway() as gateway:
        for name, value in gateway.django_settings().items():
            setattr(settings, name, value)
        yield gateway


@pytest.fixture
def delete_jobs_after(transactional_db: None) -> Iterator[None]:
    """Removes the jobs a transactional test committed: the flush after it skips procrastinate's unmanaged tables."""
    yield
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs WHERE queue_name = 'notifications'")
