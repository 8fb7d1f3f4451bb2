"""The e-mail channel's fixtures: one real IMAP server (pymap) per module, emptied after each test (the demo
loaded once per module is tests.conftest.demo_once)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
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
