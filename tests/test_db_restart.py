"""PostgreSQL restarts under the running service (`scripts/serve.sh`: web server and worker).

Measured before: the API answered the outage with HTML 500s, the worker exited, and serve.sh then
stopped the web server too. Here the database is a throw-away cluster of its own (the project's
cluster is shared by everything else), filled with a copy of the test database and the demo.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest
from django.conf import settings
from PIL import Image

from tests.conftest import point_in
from tests.pgcluster import ThrowawayCluster
from tests.servers import SmtpServer, free_port, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

REPORTER = "nguoi.gui@example.vn"
TOKEN = "f" * 40
CLIENTS = 6
REPORTS_EACH = 4


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


def submissions_check(database: str, acknowledged: dict[str, str], media: Path) -> None:
    """Every acknowledged report stored once, whole: by SQL, as anyone could check after an incident."""
    with psycopg.connect(database) as db:
        stored: dict[str, str] = dict(
            db.execute(
                "SELECT k.key, r.code FROM incidents_idempotencykey k JOIN incidents_report r ON r.id = k.report_id"
            ).fetchall()
        )
        assert sorted(stored.values()) == sorted(acknowledged.values())  # one report per key, the one told
        assert len(stored) == len(acknowledged)
        codes = list(acknowledged.values())
        incomplete = db.execute(
            """SELECT r.code,
                      (SELECT count(*) FROM incidents_reportevent e WHERE e.report_id = r.id),
                      (SELECT count(*) FROM incidents_attachment a WHERE a.report_id = r.id),
                      (SELECT count(*) FROM notifications_notification n
                       WHERE n.dedupe_key LIKE 'report:' || r.code || ':%%')
               FROM incidents_report r WHERE r.code = ANY(%s)""",
            [codes],
        ).fetchall()
        assert all(events >= 1 and files == 1 and outbox >= 1 for _, events, files, outbox in incomplete), incomplete
        assert len(incomplete) == len(codes)
        # No file without its row, no row without its file: nothing half-stored on disk either.
        names = {
            name
            for row in db.execute("SELECT file, thumbnail FROM incidents_attachment").fetchall()
            for name in row
            if name
        }
    on_disk = {path.relative_to(media).as_posix() for path in media.rglob("*") if path.is_file()}
    assert on_disk == names


def test_the_service_rides_out_a_database_restart(
    cluster: ThrowawayCluster, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    media = tmp_path / "media"
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
        MEDIA_ROOT=str(media),
        **smtp_server.environ(),
    )
    lng, lat = point_in("D25450")
    database = cluster.url().replace("postgis://", "postgresql://")
    with psycopg.connect(database) as db:
        # A signed-in phone app: its token, its idempotency keys (anonymous callers' are the captcha's test).
        db.execute(
            "INSERT INTO authtoken_token (key, user_id, created) SELECT %s, id, now() FROM accounts_user"
            " WHERE username = 'nguoidan1'",
            [TOKEN],
        )
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 60)).save(photo, "PNG")
    acknowledged: dict[str, str] = {}  # idempotency key -> the code the client was given
    answers: Counter[int | str] = Counter()

    def app_client(client: int) -> None:
        """A phone sending its reports one after the other, each retried with its key until acknowledged."""
        for number in range(REPORTS_EACH):
            key = f"phone-{client}-report-{number}"
            fields = {
                "category": "cay-xanh",
                "title": f"Khi cơ sở dữ liệu khởi động lại {client}.{number}",
                "description": "Gửi lại với cùng khóa cho đến khi được nhận.",
                "location": json.dumps({"type": "Point", "coordinates": [lng, lat]}),
            }
            deadline = time.monotonic() + 120
            while key not in acknowledged and time.monotonic() < deadline:
                try:
                    response = httpx.post(
                        f"{base}/api/v1/reports/",
                        data=fields,
                        files={"attachments": ("anh.png", photo.getvalue(), "image/png")},
                        headers={"Authorization": f"Token {TOKEN}", "Idempotency-Key": key},
                        timeout=30,
                    )
                except httpx.HTTPError as exc:
                    answers[type(exc).__name__] += 1
                    time.sleep(0.2)  # a phone's pause before retrying a refused connection
                    continue
                answers[response.status_code] += 1
                if response.status_code == 201:
                    acknowledged[key] = response.json()["code"]
                else:
                    assert response.status_code == 503, response.text[:300]
                    time.sleep(float(response.headers["Retry-After"]) / 10)  # a hurried phone

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
        # Phones submitting all along: the database stops under them.
        clients = ThreadPoolExecutor(CLIENTS)
        running = [clients.submit(app_client, number) for number in range(CLIENTS)]
        wait_until(lambda: len(acknowledged) >= CLIENTS, 60, f"the phones' first reports\n{diagnosis()}")
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
        for done in running:
            done.result(timeout=150)
        clients.shutdown()
        assert len(acknowledged) == CLIENTS * REPORTS_EACH and answers[503] > 0, answers
        submissions_check(database, acknowledged, media)

        def unsent() -> list[tuple[str, str]]:
            with psycopg.connect(database) as db:
                return db.execute(
                    "SELECT dedupe_key, status FROM notifications_notification WHERE status <> 'sent'"
                    " AND split_part(dedupe_key, ':', 2) = ANY(%s)",
                    [list(acknowledged.values())],
                ).fetchall()

        # The worker kept its jobs: every message about those reports goes out once the database is back.
        wait_until(lambda: not unsent(), 90, f"the phones' messages sent\n{unsent()}\n{diagnosis()}", interval=0.2)
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
