"""A restart of the web server and the worker in the middle of a Zalo conversation loses nothing: the
production web server (scripts/web.sh, as `make run` starts it) and worker (`manage.py worker`) as real
processes on a database of their own, stopped and started again half-way, once the worker killed outright."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from django.conf import settings

from tests.chat.conftest import follow, location, signature, text
from tests.chat.test_conversation import ADDRESS, WARD, category_number
from tests.chat.zalo_server import FakeZalo
from tests.conftest import point_in
from tests.pgcluster import ThrowawayCluster
from tests.servers import free_port, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


class Service:
    """The web server and the worker, each a process of its own that the test stops and starts."""

    def __init__(self, cluster: ThrowawayCluster, zalo: FakeZalo, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = {key: value for key, value in os.environ.items() if not key.startswith(("ZALO_", "GEOCODER_"))}
        self.env.update(
            DATABASE_URL=cluster.url(),
            BIND=f"127.0.0.1:{self.port}",
            WEB_CONCURRENCY="1",
            DEBUG="0",  # as serve.sh runs them
            HTTPS="0",
            WORKER_LOG_LEVEL="INFO",
            **zalo.settings(),
        )
        self.web: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None

    def _start(self, command: list[str]) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as out:
            return subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start_web(self) -> None:
        self.web = self._start(["bash", "scripts/web.sh"])
        wait_until(self._healthy, 60, f"the web server\n{self.diagnosis()}", interval=0.2)

    def start_worker(self) -> None:
        self.worker = self._start([sys.executable, "manage.py", "worker"])

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.base}/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    @staticmethod
    def stop(process: subprocess.Popen[bytes] | None, signum: int = signal.SIGTERM) -> int | None:
        if process is None or process.poll() is not None:
            return None
        os.killpg(process.pid, signum)
        return process.wait(timeout=60)

    def diagnosis(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def post(self, payload: dict[str, Any]) -> None:
        """One signed webhook delivery over HTTP, as Zalo makes it."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        response = httpx.post(
            f"{self.base}/webhooks/zalo",
            content=body,
            headers={"Content-Type": "application/json", "X-ZEvent-Signature": signature(body, payload["timestamp"])},
            timeout=30,
        )
        assert response.status_code == 200, (response.status_code, response.text[:300])


@pytest.fixture
def service(cluster: ThrowawayCluster, zalo: FakeZalo, tmp_path: Path) -> Iterator[Service]:
    service = Service(cluster, zalo, tmp_path / "service.log")
    try:
        yield service
    finally:
        service.stop(service.web)
        service.stop(service.worker)


def test_a_restart_of_the_web_server_and_the_worker_mid_conversation_loses_nothing(
    service: Service, cluster: ThrowawayCluster, zalo: FakeZalo
) -> None:
    user = "7001"

    def say(payload: dict[str, Any], expect: str) -> None:
        """Delivers one event and waits for its one reply."""
        sent = len(zalo.texts_to(user))
        service.post(payload)
        wait_until(
            lambda: len(zalo.texts_to(user)) > sent, 60, f"the reply to {payload}\n{service.diagnosis()}", interval=0.1
        )
        assert expect in zalo.texts_to(user)[-1], zalo.texts_to(user)

    service.start_web()
    service.start_worker()
    say(follow(user), "1. Phản ánh kiến nghị")
    say(text(user, "1"), "họ và tên")
    say(text(user, "Lê Văn Cường"), "số điện thoại")
    say(text(user, "0903 123 456"), "địa chỉ")

    # Both stopped as a deploy stops them, then started again: what they knew lives in the database.
    assert service.stop(service.web) == 0, service.diagnosis()
    assert service.stop(service.worker) == 0, service.diagnosis()
    service.start_web()
    service.start_worker()
    say(text(user, ADDRESS), "#KT")
    lng, lat = point_in(WARD)
    say(location(user, lat, lng), "vị trí")

    # The worker killed outright: the message arriving meanwhile waits as a stored event and its job.
    assert service.stop(service.worker, signal.SIGKILL) == -signal.SIGKILL
    sent = len(zalo.texts_to(user))
    service.post(text(user, "Ổ gà lớn trước cổng trường"))
    service.start_worker()
    wait_until(lambda: len(zalo.texts_to(user)) > sent, 60, f"the reply after the kill\n{service.diagnosis()}")
    assert "Đã nhận." in zalo.texts_to(user)[-1]
    say(text(user, "#KT"), "lĩnh vực")
    say(text(user, category_number("cay-xanh")), "công khai")
    say(text(user, "2"), "mã")

    with psycopg.connect(cluster.url().replace("postgis://", "postgresql://")) as db:
        reports = db.execute(
            "SELECT r.code, r.reporter_name, r.reporter_phone, r.address, r.title, r.reply_address, r.is_public, "
            "w.code FROM incidents_report r LEFT JOIN boundaries_adminunit w ON w.id = r.ward_id"
        ).fetchall()
    [(code, name, phone, address, title, reply_address, is_public, ward)] = reports
    # Collected before the restarts (name, phone) and after them (address, location, text, consent).
    assert (name, phone, address, title, reply_address, is_public, ward) == (
        "Lê Văn Cường",
        "+84903123456",
        ADDRESS,
        "Ổ gà lớn trước cổng trường",
        f"zalo:{user}",
        False,
        WARD,
    )
    assert code in zalo.texts_to(user)[-1]
    say(text(user, f"#{code}"), code)
    # One reply per message, none lost and none sent twice across the restarts.
    replies = zalo.texts_to(user)
    assert len(replies) == 11 and len(set(replies)) == 11, replies
