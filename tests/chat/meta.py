"""Messenger deliveries shaped as Meta documents them, signed with the test app secret, and the fake
Graph API as fixtures (imported by the Messenger test modules)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.chat.graph_server import APP_SECRET, FakeGraph

VERIFY_TOKEN = "test-verify-token"
PAGE_ID = "108123456789012"
_mids = itertools.count(1)


def signed(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery(*events: dict[str, Any]) -> dict[str, Any]:
    """A webhook delivery: object "page", one entry holding the messaging events."""
    now = int(time.time() * 1000)
    return {"object": "page", "entry": [{"id": PAGE_ID, "time": now, "messaging": list(events)}]}


def _event(psid: str, **fields: Any) -> dict[str, Any]:
    return {"sender": {"id": psid}, "recipient": {"id": PAGE_ID}, "timestamp": int(time.time() * 1000), **fields}


def text(psid: str, body: str, *, quick_reply: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"mid": f"m_{next(_mids)}", "text": body}
    if quick_reply is not None:
        message["quick_reply"] = {"payload": quick_reply}
    return _event(psid, message=message)


def attachment(psid: str, kind: str, url: str) -> dict[str, Any]:
    return _event(psid, message={"mid": f"m_{next(_mids)}", "attachments": [{"type": kind, "payload": {"url": url}}]})


def get_started(psid: str) -> dict[str, Any]:
    return _event(psid, postback={"title": "Bắt đầu", "payload": "GET_STARTED", "mid": f"m_{next(_mids)}"})


def post(client: Client, payload: dict[str, Any], *, signature: str | None = None) -> Any:
    body = json.dumps(payload, ensure_ascii=False).encode()
    header = signed(body) if signature is None else signature
    return client.post(
        "/webhooks/messenger", data=body, content_type="application/json", headers={"X-Hub-Signature-256": header}
    )


@pytest.fixture(scope="module")
def graph_server() -> Iterator[FakeGraph]:
    with FakeGraph() as server:
        yield server


@pytest.fixture
def graph(graph_server: FakeGraph, settings: SettingsWrapper) -> FakeGraph:
    """The fake Graph API, emptied, with the channel's settings pointed at it (the channel on)."""
    graph_server.reset()
    settings.MESSENGER_APP_SECRET = APP_SECRET
    settings.MESSENGER_VERIFY_TOKEN = VERIFY_TOKEN
    settings.MESSENGER_PAGE_TOKEN = graph_server.token
    settings.MESSENGER_API_BASE = graph_server.base
    return graph_server
