"""PostgreSQL restarts under the running service (`scripts/serve.sh`: web server and worker).

Measured before: the API answered the outage with HTML 500s, the worker exited, and serve.sh then
stopped the web server too. Here the database is a throw-away cluster of its own (the project's
cluster is shared by everything else), filled with a copy of the test database and the demo.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from django.conf import settings

from tests.conftest import point_in
from tests.pgcluster import ThrowawayCluster
from tests.servers import SmtpServer, free_port, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

REPORTER = "nguoi.gui@example.vn"


def session_processes(session: int) -> dict[int, str]:
    """pid -> command line of every process left in a session (serve.sh's, started with a new one)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getsid(int(entry.name)) == session:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            continue
    return found


def test_the_service_rides_out_a_database_restart(
    cluster: ThrowawayCluster, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("EMAIL_", "SMS_"))}
    env.update(
        DATABASE_URL=cluster.url(),
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        HTTPS="0",
        INTAKE_ANON_RATE="",
        WORKER_LOG_LEVEL="INFO",
        # The worker notices a dead connection within a second rather than ten.
        WORKER_HEARTBEAT_SECONDS="1",
        **smtp_server.environ(),
    )
    lng, lat = point_in("D25450")

    def solved() -> dict[str, str]:
        """A captcha answered as an anonymous app's user would (read from the database, as only a test can)."""
        key = httpx.get(f"{base}/api/v1/captcha", timeout=30).json()["captcha_key"]
        with psycopg.connect(cluster.url().replace("postgis://", "postgresql://")) as db:
            row = db.execute("SELECT response FROM captcha_captchastore WHERE hashkey = %s", [key]).fetchone()
        assert row is not None
        return {"captcha_key": key, "captcha_value": row[0]}

    def submit(title: str, captcha: dict[str, str] | None = None) -> httpx.Response:
        payload = {
            "category": "cay-xanh",
            "title": title,
            "description": "Gửi khi cơ sở dữ liệu khởi động lại.",
            "location": {"type": "Point", "coordinates": [lng, lat]},
            "reporter": {"name": "Người gửi", "phone": "0912345678", "email": REPORTER},
            **(captcha or solved()),
        }
        return httpx.post(f"{base}/api/v1/reports/", json=payload, timeout=30)

    def receipts() -> int:
        return sum(REPORTER in mail.rcpt_tos for mail in smtp_server.messages)

    def healthy() -> bool:
        try:
            return httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def stored(title: str) -> bool:
        with psycopg.connect(cluster.url().replace("postgis://", "postgresql://")) as db:
            return db.execute("SELECT count(*) FROM incidents_report WHERE title = %s", [title]).fetchone() == (1,)

    with log.open("ab") as out:
        serve = subprocess.Popen(
            ["bash", "scripts/serve.sh"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def diagnosis() -> str:
        return log.read_text()[-4000:]

    try:
        wait_until(healthy, 60, f"the web server\n{diagnosis()}", interval=0.2)
        assert submit("Trước khi khởi động lại").status_code == 201
        wait_until(lambda: receipts() == 1, 60, f"the worker's first e-mail\n{diagnosis()}", interval=0.2)

        captcha = solved()  # answered before the outage, sent during it
        cluster.stop()
        # While it is down: clear, retryable answers, never an HTML 500.
        outage = {
            "report list": httpx.get(f"{base}/api/v1/reports/", timeout=30),
            "report submission": submit("Trong lúc mất cơ sở dữ liệu", captcha),
            "health check": httpx.get(f"{base}/healthz", timeout=30),
            "clusters (short path)": httpx.get(f"{base}/api/v1/reports/clusters?bbox=105,10,107,12&zoom=8", timeout=30),
            "tile (short path)": httpx.get(f"{base}/tiles/reports/10/823/484.mvt", timeout=30),
        }
        for what, response in outage.items():
            assert response.status_code == 503, (what, response.status_code, response.text[:300])
            assert response.headers["Retry-After"] == str(settings.DATABASE_RETRY_AFTER), what
            assert response.headers["Content-Type"] == "application/json", what
            body = response.json()
            assert body["detail"] and body["errors"] == {}, what  # the API's one error shape
        page = httpx.get(f"{base}/phan-anh/209901010001/", timeout=30)
        assert page.status_code == 503 and page.headers["Retry-After"]
        assert "text/html" in page.headers["Content-Type"] and "tạm thời gián đoạn" in page.text
        # Open311 clients get the GeoReport v2 error list in the format they asked for, never a page.
        open311 = httpx.get(f"{base}/open311/v2/services.xml", timeout=30)
        assert open311.status_code == 503 and open311.headers["Retry-After"]
        assert open311.headers["Content-Type"] == "text/xml; charset=utf-8"
        assert b"<errors><error><code>503</code><description>" in open311.content
        time.sleep(3)  # long enough for the worker to lose its connections too
        cluster.start()

        # Back by themselves: the same web server and worker processes' supervisors, no one restarted anything.
        wait_until(healthy, 30, f"the web server after the restart\n{diagnosis()}", interval=0.2)
        assert submit("Sau khi khởi động lại").status_code == 201
        assert stored("Sau khi khởi động lại") and not stored("Trong lúc mất cơ sở dữ liệu")
        wait_until(lambda: receipts() == 2, 90, f"the worker's e-mail after the restart\n{diagnosis()}", interval=0.2)
        assert serve.poll() is None

        # A worker that dies is started again, the web server staying up meanwhile.
        [worker] = [pid for pid, command in session_processes(serve.pid).items() if "manage.py worker" in command]
        os.kill(worker, signal.SIGKILL)
        assert submit("Khi bộ xử lý nền chết").status_code == 201
        wait_until(lambda: receipts() == 3, 90, f"the restarted worker's e-mail\n{diagnosis()}", interval=0.2)
        assert "worker exited with status 137: starting it again" in log.read_text()
    finally:
        serve.send_signal(signal.SIGTERM)  # what Ctrl-C does
        serve.wait(timeout=60)
    wait_until(lambda: not session_processes(serve.pid), 30, "serve.sh's processes to stop", interval=0.2)
    assert serve.returncode == 0, diagnosis()
