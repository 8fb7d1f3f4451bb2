"""The attachments' disk when things go wrong: full, or a web worker killed while it stores a report's files.

A report is stored with all its files or not at all (common.storage): a full disk is answered 507 in the
API's one error shape (a Vietnamese page on the form), and nothing it began to store stays.
"""

from __future__ import annotations

import errno
import io
import json
import os
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from PIL import Image
from pytest_django.fixtures import Settings

from common.storage import PART_SUFFIX, AtomicFileSystemStorage, media_orphans_delete
from incidents.models import Attachment, Report
from tests.conftest import captcha_fields
from tests.incidents.test_intake_api import _payload
from tests.incidents.test_pages import FORM_URL, form_data, solve_captcha
from tests.servers import database_url, free_port, wait_until

# A PDF is stored as it came: this one cannot fit on the small disk below, the photo before it can.
BIG_PDF = b"%PDF-1.4\n%" + b"x" * 400_000 + b"\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SMALL_DISK = "192k"


def _photo() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 60)).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "anh.png"
    return buffer


def _pdf() -> io.BytesIO:
    buffer = io.BytesIO(BIG_PDF)
    buffer.name = "don.pdf"
    return buffer


def _files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.fixture
def small_disk(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """MEDIA_ROOT on a real filesystem too small for the big PDF (a tmpfs mounted for the test, as root).

    Where mounting is not allowed (not root), the storage layer is made to meet ENOSPC instead on any
    file bigger than the disk would hold: the same error the kernel gives, raised a step earlier.
    """
    root = Path(tempfile.mkdtemp(prefix="geo-media-"))
    mounted = (
        os.getuid() == 0
        and subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SMALL_DISK}", "tmpfs", root], check=False).returncode
        == 0
    )
    if not mounted:
        real_fsync = os.fsync

        def fsync(fd: int) -> None:
            if os.fstat(fd).st_size > 192 * 1024:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            real_fsync(fd)

        monkeypatch.setattr("common.storage.os.fsync", fsync)
    settings.MEDIA_ROOT = root
    try:
        yield root
    finally:
        if mounted:
            subprocess.run(["umount", root], check=True)
        root.rmdir() if mounted else subprocess.run(["rm", "-rf", root], check=True)


@pytest.mark.django_db
def test_a_full_attachment_disk_is_a_clear_error_and_nothing_is_stored_half(
    client: Client, demo: None, small_disk: Path
) -> None:
    # The API: the photo is stored first, then the PDF meets the full disk.
    form: dict[str, Any] = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in _payload().items()}
    response = client.post("/api/v1/reports/", {**form, **captcha_fields(client), "attachments": [_photo(), _pdf()]})
    assert response.status_code == 507, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"} and "hết chỗ lưu" in body["detail"]
    assert (Report.objects.count(), Attachment.objects.count()) == (0, 0)
    assert _files(small_disk) == []  # the photo stored before the failure went with the rollback

    # The form: a Vietnamese page saying what happened, never the 500 page.
    page = client.get(FORM_URL).content.decode()
    response = client.post(FORM_URL, {**form_data(), **solve_captcha(page), "attachments": [_photo(), _pdf()]})
    assert response.status_code == 507
    assert "text/html" in response["Content-Type"] and "hết chỗ lưu tệp đính kèm" in response.content.decode()
    assert (Report.objects.count(), Attachment.objects.count()) == (0, 0)
    assert _files(small_disk) == []

    # What fits is taken: the disk, not the request, was the trouble.
    response = client.post("/api/v1/reports/", {**form, **captcha_fields(client), "attachments": [_photo()]})
    assert response.status_code == 201, response.content
    (attachment,) = Attachment.objects.all()
    stored = {path.relative_to(small_disk).as_posix() for path in _files(small_disk)}
    assert stored == {attachment.file.name, attachment.thumbnail.name} - {""}


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.parent.name))
    return found


@pytest.mark.django_db(transaction=True)
def test_a_web_worker_killed_while_storing_a_report_leaves_no_report_and_no_file_behind(
    demo: None, tmp_path: Path
) -> None:
    media = tmp_path / "media"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("EMAIL_", "SMS_"))}
    env.update(
        DATABASE_URL=database_url(connection.settings_dict),
        MEDIA_ROOT=str(media),
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        HTTPS="0",
        INTAKE_ANON_RATE="",
    )
    log = tmp_path / "web.log"
    with log.open("ab") as out:
        web = subprocess.Popen(
            ["bash", "scripts/web.sh"], cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )

    def healthy() -> bool:
        try:
            return httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    form: dict[str, Any] = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in _payload().items()}
    key = {"Idempotency-Key": "phone-made-key-0001"}

    device = httpx.Cookies()  # the phone's: its idempotency keys are its own (the device cookie)

    def submit() -> httpx.Response:
        with httpx.Client(base_url=base, timeout=60, cookies=device) as client:
            fields = {**form, **captcha_fields(client, base)}
            files = [("attachments", ("anh.png", _photo().getvalue())), ("attachments", ("don.pdf", BIG_PDF))]
            try:
                return client.post("/api/v1/reports/", data=fields, files=files, headers=key)
            finally:
                device.update(client.cookies)

    try:
        wait_until(healthy, 60, f"the web server\n{log.read_text()[-3000:]}", interval=0.2)
        [worker] = _children(web.pid)
        with psycopg.connect(database_url(connection.settings_dict).replace("postgis://", "postgresql://")) as db:
            # The intake writes its idempotency key after the report's files: holding that table makes
            # the worker wait there, its files on disk and its transaction open, when it is killed.
            db.execute("LOCK TABLE incidents_idempotencykey IN SHARE MODE")
            with ThreadPoolExecutor(1) as pool:
                pending = pool.submit(submit)

                def waiting() -> bool:
                    assert not pending.done(), pending.result().text  # it must wait, not answer
                    # A transaction sees one snapshot of pg_stat_activity: take a fresh one each time.
                    db.execute("SELECT pg_stat_clear_snapshot()")
                    row = db.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        " AND query LIKE 'INSERT INTO \"incidents_idempotencykey\"%'"
                    ).fetchone()
                    return row == (1,)

                wait_until(waiting, 60, f"the upload to reach its last write\n{log.read_text()[-3000:]}", interval=0.05)
                left = _files(media)
                os.kill(worker, signal.SIGKILL)
                db.rollback()
                with pytest.raises(httpx.HTTPError):
                    pending.result().raise_for_status()
        # Whole files, linked in before the commit that never came; nothing half-written under any name.
        assert len(left) == 3 and not any(path.name.endswith(PART_SUFFIX) for path in left)
        wait_until(
            lambda: not Report.objects.filter(title=form["title"]).exists() and healthy(),
            60,
            f"the killed worker's transaction gone and a new worker\n{log.read_text()[-3000:]}",
            interval=0.2,
        )
        # What a worker killed mid-write leaves: a temporary name, never the file's own.
        (left[0].parent / f".half{PART_SUFFIX}").write_bytes(b"%PDF-1.4\n%xx")
        # The second line, the daily sweep (here: whatever age): no report, no files.
        disk = AtomicFileSystemStorage(location=media)
        swept = media_orphans_delete(storage=disk, folders=["reports"], older_than=0)
        assert len(swept) == 4 and _files(media) == []

        # The phone sends again with its key: one report, with exactly its files on disk.
        response = submit()
        assert response.status_code == 201, response.text
        assert submit().json()["code"] == response.json()["code"]
        report = Report.objects.get(title=form["title"])
        names = {name for a in report.attachments.all() for name in (a.file.name, a.thumbnail.name) if name}
        assert {path.relative_to(media).as_posix() for path in _files(media)} == names and len(names) == 3
        assert media_orphans_delete(storage=disk, folders=["reports"], older_than=0) == []
    finally:
        web.terminate()
        web.wait(timeout=30)
