"""Attachments on an S3-compatible bucket (common/s3.py), against a real S3 protocol server on loopback
(moto's server, started here): a report's files land in the bucket through the real web server; a
public photo is served cacheable from our own URL; a private file only after the permission check, as a
redirect to a short-lived signed URL, its object refused without one; a rolled-back report leaves no
object; an unreachable bucket is a clear 503 with nothing kept; the orphan sweep and the backup work
over the bucket.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import httpx
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from PIL import Image
from pytest_django.fixtures import Settings

from common.storage import media_orphans_delete
from incidents import services
from incidents.models import Answer, Attachment, Report
from incidents.services.files import answers_unpublished_delete
from tests.conftest import captcha_fields
from tests.factories import report_input
from tests.incidents.test_intake_api import _payload
from tests.servers import database_url, free_port, web_server

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
KEYS = {"S3_ACCESS_KEY": "geo-test-key", "S3_SECRET_KEY": "geo-test-secret", "S3_REGION": "us-east-1"}
# boto never looks for credentials or a region outside what is given here (no instance metadata, no
# ~/.aws files): nothing leaves loopback.
AWS_ISOLATION = {
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_MAX_ATTEMPTS": "1",
}


@dataclass
class S3Server:
    endpoint: str
    client: Any

    def bucket(self, name: str) -> str:
        self.client.create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> set[str]:
        return {item["Key"] for item in self.client.list_objects_v2(Bucket=bucket).get("Contents", [])}

    def environ(self, bucket: str) -> dict[str, str]:
        return {"S3_BUCKET": bucket, "S3_ENDPOINT_URL": self.endpoint, **KEYS, **AWS_ISOLATION}

    def storages(self, settings: Settings, bucket: str, endpoint: str = "") -> None:
        """The test's settings store files in `bucket` (as geo/settings.py does with S3_BUCKET set)."""
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "common.s3.AtomicS3Storage",
                "OPTIONS": {
                    "bucket_name": bucket,
                    "endpoint_url": endpoint or self.endpoint,
                    "access_key": KEYS["S3_ACCESS_KEY"],
                    "secret_key": KEYS["S3_SECRET_KEY"],
                    "region_name": KEYS["S3_REGION"],
                },
            },
        }


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as patch:
        for key, value in AWS_ISOLATION.items():
            patch.setenv(key, value)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=KEYS["S3_ACCESS_KEY"],
            aws_secret_access_key=KEYS["S3_SECRET_KEY"],
            region_name=KEYS["S3_REGION"],
        )
        try:
            yield S3Server(endpoint, client)
        finally:
            server.stop()


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 60)).save(buffer, "PNG")
    return buffer.getvalue()


def _form() -> dict[str, Any]:
    return {k: json.dumps(v) if isinstance(v, dict) else v for k, v in _payload().items()}


@pytest.mark.django_db(transaction=True)
def test_a_report_s_files_on_s3_from_the_web_server_to_the_sweep_and_the_backup(
    demo: None, s3: S3Server, settings: Settings, tmp_path: Path
) -> None:
    """Through the real web server: the objects land in the bucket, none readable unsigned; the public
    photo cacheable, the private file behind the check and a signed URL. Then the sweep and the backup
    over the same bucket (one scenario: one web server, one demo load, one flush)."""
    bucket = s3.bucket("geo-web")
    env = {**s3.environ(bucket), "S3_SIGNED_URL_SECONDS": "120", "INTAKE_ANON_RATE": ""}
    env.update({key: "" for key in os.environ if key.startswith(("EMAIL_", "SMS_"))})
    with web_server(database_url(connection.settings_dict), workers=1, env=env) as base, httpx.Client() as http:
        files = [("attachments", ("anh.png", _photo())), ("attachments", ("don.pdf", PDF))]
        answer = http.post(f"{base}/api/v1/reports/", data={**_form(), **captcha_fields(http, base)}, files=files)
        assert answer.status_code == 201, answer.text
        report = Report.objects.get(code=answer.json()["code"])
        photo = report.attachments.get(kind=Attachment.Kind.IMAGE)
        document = report.attachments.get(kind=Attachment.Kind.DOCUMENT)
        assert photo.is_public and not document.is_public
        # Every stored file is an object of the bucket, and nothing else is.
        names = {photo.file.name, photo.thumbnail.name, document.file.name}
        assert s3.keys(bucket) == names
        # No object is readable without a signature: not even the public photo's (no ACL was given).
        for name in names:
            assert http.get(f"{s3.endpoint}/{bucket}/{name}").status_code == 403, name

        # The public photo: our own stable URL, cacheable by anyone, revalidated without a read.
        url = f"{base}/phan-anh/{report.code}/tep/{photo.pk}/"
        first = http.get(url)
        assert first.status_code == 200 and first.headers["Content-Type"] == photo.content_type
        stored = s3.client.get_object(Bucket=bucket, Key=photo.file.name)["Body"].read()
        assert first.content == stored and first.headers["Content-Length"] == str(len(stored))
        assert first.headers["Cache-Control"] == "public, max-age=3600" and first.headers["ETag"]
        assert "cookie" not in first.headers.get("Vary", "").lower() and "set-cookie" not in first.headers
        again = http.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.content == b""
        thumbnail = http.get(f"{base}/phan-anh/{report.code}/tep/{photo.pk}/anh-nho/")
        assert thumbnail.status_code == 200 and thumbnail.headers["Cache-Control"] == "public, max-age=3600"

        # The private document: nobody but its reporter (and its staff) learns it exists.
        private = f"{base}/phan-anh/{report.code}/tep/{document.pk}/"
        assert http.get(private).status_code == 404
        signed = http.get(private, params={"t": services.reporter_token(report)})
        assert signed.status_code == 302 and signed.headers["Cache-Control"] == "private, no-store"
        location = signed.headers["Location"]
        assert location.startswith(f"{s3.endpoint}/{bucket}/{document.file.name}?")
        query = parse_qs(urlsplit(location).query)
        assert query["X-Amz-Expires"] == ["120"] and query["X-Amz-Signature"]  # S3_SIGNED_URL_SECONDS
        got = http.get(location)
        assert got.status_code == 200 and got.content == PDF
        assert got.headers["Content-Type"] == "application/pdf"
        assert got.headers["Cache-Control"] == "private, max-age=120"
        # The page links the files through our URLs, never the bucket's.
        page = http.get(f"{base}/phan-anh/{report.code}/").text
        assert f"/phan-anh/{report.code}/tep/{photo.pk}/" in page and s3.endpoint not in page

    # What a killed web worker leaves: an object whose row never committed, an upload never completed.
    s3.storages(settings, bucket)
    s3.client.put_object(Bucket=bucket, Key="reports/2026/01/orphan.pdf", Body=PDF)
    upload = s3.client.create_multipart_upload(Bucket=bucket, Key="reports/2026/01/half.mp4")
    swept = media_orphans_delete(storage=default_storage, folders=["reports", "chat"], older_than=0)
    assert set(swept) == {"reports/2026/01/orphan.pdf", "reports/2026/01/half.mp4 (unfinished upload)"}
    assert s3.keys(bucket) == names
    assert s3.client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == [], upload["UploadId"]

    # The backup takes the objects the dump's rows name; files_restore (scripts/restore.sh) puts them
    # into another bucket under the same names.
    call_command("backup", to=str(tmp_path / "backups"))
    (backup,) = (tmp_path / "backups").iterdir()
    assert {p.relative_to(backup / "media").as_posix() for p in (backup / "media").rglob("*") if p.is_file()} == names
    other = s3.bucket("geo-restored")
    s3.storages(settings, other)
    call_command("files_restore", str(backup / "media"), stdout=io.StringIO())
    assert s3.keys(other) == names
    for name in names:
        original = s3.client.get_object(Bucket=bucket, Key=name)["Body"].read()
        assert s3.client.get_object(Bucket=other, Key=name)["Body"].read() == original


def _upload(name: str, content: bytes) -> io.BytesIO:
    buffer = io.BytesIO(content)
    buffer.name = name
    return buffer


@pytest.mark.django_db
def test_a_rolled_back_report_leaves_no_object_and_an_unreachable_bucket_is_a_clear_503(
    client: Client, demo: None, s3: S3Server, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = s3.bucket("geo-rollback")
    s3.storages(settings, bucket)

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the last write of the transaction fails")

    # The files are stored inside the report's transaction; its last step fails: all of it goes.
    monkeypatch.setattr("incidents.services.intake._messages_enqueue", fail)
    form = _form()
    with pytest.raises(RuntimeError):
        client.post(
            "/api/v1/reports/",
            {**form, **captcha_fields(client), "attachments": [_upload("anh.png", _photo()), _upload("a.pdf", PDF)]},
        )
    assert not Report.objects.exists() and s3.keys(bucket) == set()
    monkeypatch.undo()

    # The bucket does not answer (nothing listens there): 503 with Retry-After, the API's error shape.
    s3.storages(settings, bucket, endpoint=f"http://127.0.0.1:{free_port()}")
    response = client.post(
        "/api/v1/reports/", {**form, **captcha_fields(client), "attachments": [_upload("a.pdf", PDF)]}
    )
    assert response.status_code == 503, response.content
    assert set(response.json()) == {"detail", "errors"} and response["Retry-After"]
    assert not Report.objects.exists()

    # Back: the same sending is stored, with its object.
    s3.storages(settings, bucket)
    response = client.post(
        "/api/v1/reports/", {**form, **captcha_fields(client), "attachments": [_upload("a.pdf", PDF)]}
    )
    assert response.status_code == 201, response.content
    assert s3.keys(bucket) == {Attachment.objects.get().file.name}


@pytest.mark.django_db
def test_an_answer_file_the_bucket_cannot_delete_after_the_commit_is_left_to_the_sweep(
    demo: None, s3: S3Server, settings: Settings, django_capture_on_commit_callbacks: Any
) -> None:
    bucket = s3.bucket("geo-answers")
    s3.storages(settings, bucket)
    report = services.report_create(data=report_input(), files=[SimpleUploadedFile("tra-loi.pdf", PDF)])
    answer = Answer.objects.create(report=report, body="Đã xử lý.")  # returned before it was published
    report.attachments.update(answer=answer)
    (name,) = s3.keys(bucket)

    # The answer is dropped (its rows committed); the bucket does not answer when its file is deleted
    # after the commit: the staff action stands, the file waits for the orphan sweep.
    s3.storages(settings, bucket, endpoint=f"http://127.0.0.1:{free_port()}")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        answers_unpublished_delete(report)
    assert not Answer.objects.filter(pk=answer.pk).exists() and not Attachment.objects.exists()
    assert s3.keys(bucket) == {name}
    s3.storages(settings, bucket)
    assert media_orphans_delete(storage=default_storage, folders=["reports"], older_than=0) == [name]
    assert s3.keys(bucket) == set()
