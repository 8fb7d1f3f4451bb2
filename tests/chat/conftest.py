"""The Zalo fake on loopback, signed webhook deliveries, and running the chat and outbox jobs in-process."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from channels.chat import services
from notifications.services import notification_deliver
from tests.chat.zalo_server import APP_ID, OA_SECRET_KEY, FakeZalo
from tests.servers import database_url

OA_ID = "4318750012345678901"
_msg_ids = iter(range(1, 1_000_000))


@pytest.fixture(scope="module")
def zalo_server() -> Iterator[FakeZalo]:
    with FakeZalo() as server:
        yield server


@pytest.fixture
def zalo(zalo_server: FakeZalo, settings: SettingsWrapper, tmp_path: Path) -> FakeZalo:
    """The fake Zalo, reset, with the settings pointed at it (and files stored under tmp_path)."""
    settings.MEDIA_ROOT = tmp_path
    state = zalo_server.state
    with state.lock:
        state.messages.clear()
        state.files.clear()
        state.access_token, state.refresh_token, state.refreshes, state.fail_next = "", "refresh-0", 0, 0
        state.fail_after = 0
        state.refresh_delay = 0.0
    for name, value in zalo_server.settings().items():
        setattr(settings, name, value)
    return zalo_server


def event(user: str, name: str, message: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A webhook delivery shaped like Zalo's (timestamp in milliseconds, as a string)."""
    payload: dict[str, Any] = {
        "app_id": APP_ID,
        "user_id_by_app": f"app-{user}",
        "event_name": name,
        "timestamp": str(int(time.time() * 1000)),
        **extra,
    }
    if message is not None:
        payload.update(
            sender={"id": user}, recipient={"id": OA_ID}, message={"msg_id": f"msg{next(_msg_ids)}", **message}
        )
    return payload


def text(user: str, body: str) -> dict[str, Any]:
    return event(user, "user_send_text", {"text": body})


def image(user: str, url: str) -> dict[str, Any]:
    return event(
        user, "user_send_image", {"attachments": [{"type": "image", "payload": {"url": url, "thumbnail": url}}]}
    )


def location(user: str, lat: float, lng: float, *, short_names: bool = False) -> dict[str, Any]:
    # Zalo sends the coordinates as strings, under either pair of names.
    coordinates = {"lat": str(lat), "long": str(lng)} if short_names else {"latitude": str(lat), "longitude": str(lng)}
    return event(
        user, "user_send_location", {"attachments": [{"type": "location", "payload": {"coordinates": coordinates}}]}
    )


def follow(user: str) -> dict[str, Any]:
    return event(user, "follow", source="oa_profile", oa_id=OA_ID, follower={"id": user})


def signature(raw: bytes, timestamp: str) -> str:
    return "mac=" + hashlib.sha256(APP_ID.encode() + raw + timestamp.encode() + OA_SECRET_KEY.encode()).hexdigest()


def post(client: Client, payload: dict[str, Any], *, signed: bool = True, raw: bytes | None = None) -> Any:
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    headers = {"X-ZEvent-Signature": signature(body, payload["timestamp"])} if signed else {}
    return client.post("/webhooks/zalo", data=body, content_type="application/json", headers=headers)


def _jobs(task: str) -> list[tuple[int, dict[str, Any]]]:
    # By task, not queue: a real worker in another test (procrastinate's tables outlive the flushes of
    # transactional tests) may have left the periodic idle-closing job on the same queue.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, args FROM procrastinate_jobs WHERE task_name = %s AND status = 'todo' ORDER BY id", [task]
        )
        return [(row[0], json.loads(row[1]) if isinstance(row[1], str) else row[1]) for row in cursor.fetchall()]


def _done(job_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs WHERE id = %s", [job_id])


def work() -> None:
    """Run the queued chat jobs, then deliver the queued messages, as the worker would (in this process)."""
    for job_id, args in _jobs("chat.event_process"):
        services.chat_event_process(event_pk=args["event_pk"])
        _done(job_id)
    for job_id, args in _jobs("notifications.deliver_notification"):
        try:
            notification_deliver(notification_id=args["notification_id"])
        finally:
            _done(job_id)


def say(client: Client, payload: dict[str, Any]) -> None:
    """Deliver one event through the webhook and let the worker handle it."""
    response = post(client, payload)
    assert response.status_code == 200, response.content
    work()


def run_worker(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The real worker on the chat and notifications queues, exiting once they are empty."""
    return subprocess.run(
        [sys.executable, "manage.py", "procrastinate", "worker", "--queues", "chat,notifications", "--one-shot"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def worker_env(zalo: FakeZalo) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ZALO_", "GEOCODER_"))}
    env.update(
        DATABASE_URL=database_url(connection.settings_dict),
        HTTPS="0",
        MEDIA_ROOT=str(django_settings.MEDIA_ROOT),
        WORKER_LOG_LEVEL="INFO",
        **zalo.settings(),
    )
    return env


def describe(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
