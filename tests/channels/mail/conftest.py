"""The e-mail channel's fixtures: one real IMAP server (pymap) per module, emptied after each test, and the
demo loaded once per module."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.imap_server import ImapServer


@pytest.fixture(scope="module")
def imap_server() -> Iterator[ImapServer]:
    with ImapServer() as server:
        yield server


@pytest.fixture
def mailbox(imap_server: ImapServer, settings: SettingsWrapper) -> Iterator[ImapServer]:
    """The channel on, polling the IMAP server; the inbox emptied after the test."""
    for name, value in imap_server.django_settings().items():
        setattr(settings, name, value)
    settings.DEFAULT_FROM_EMAIL = "Phản ánh hiện trường <no-reply@phananh.example.vn>"
    yield imap_server
    imap_server.clear()


@pytest.fixture(scope="module")
def demo_once(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The demo (seconds to load) once for the module's tests, in a transaction rolled back after them: each
    test's own transaction (the `db` fixture) is a savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)
