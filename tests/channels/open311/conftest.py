"""One live server per test module, on the demo with a few reports of every kind, committed (the server
answers from its own thread and connection); flushed when the module is done."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO
from typing import Any

import httpx
import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from PIL import Image
from pytest_django.live_server_helper import LiveServer

from channels.open311.services import api_client_issue, api_client_revoke
from incidents import services
from incidents.models import Answer, Report
from tests.conftest import point_in

WARD = "D25450"
DEMO_KEY = "demo-open311-key"
# What the web reporters typed: none of it may reach a GET answer.
PRIVATE = ("Nguyễn Văn Bí Mật", "0912345678", "+84912345678", "bimat@example.vn")


@dataclass
class Site:
    url: str  # the GeoReport endpoint, .../open311/v2
    reports: dict[str, Report]
    revoked_key: str
    # A client of its own for the rate limit test (counts are per key).
    limited_key: str


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def _web_report(title: str, *, category: str = "cay-xanh", photo: bool = False) -> Report:
    lng, lat = point_in(WARD)
    data = services.ReportInput(
        kind="feedback",
        category=category,
        title=title,
        description=f"{title}. Mô tả công khai.",
        lng=lng,
        lat=lat,
        address="12 Lê Lợi",
        reporter=services.ReporterInput(name=PRIVATE[0], phone=PRIVATE[1], email=PRIVATE[3], confidential=False),
    )
    files = [SimpleUploadedFile("anh.jpg", _jpeg(), content_type="image/jpeg")] if photo else []
    return services.report_create(data=data, sender=services.sender_for(), files=files)


@pytest.fixture(scope="module")
def site(django_db_setup: None, django_db_blocker: Any) -> Iterator[Site]:
    with django_db_blocker.unblock():
        # pytest-django creates the test database only for a session with database tests: the module's
        # tests are marked django_db (each in a transaction, this module's data committed before).
        assert connection.settings_dict["NAME"].startswith("test_"), "not the test database"
        call_command("load_demo", stdout=StringIO())
        reports = {
            "open": _web_report("Cây đổ chắn đường"),
            "photo": _web_report("Đèn đường không sáng", category="chieu-sang", photo=True),
            "closed": _web_report("Cây gãy cành"),
            "hidden": _web_report("Phản ánh bị ẩn"),
            "old": _web_report("Phản ánh cũ"),
        }
        closed = reports["closed"]
        Answer.objects.create(report=closed, body="Đã cắt tỉa cành cây.", published_at=timezone.now())
        Report.objects.filter(pk=closed.pk).update(status="completed", completed_at=timezone.now())
        Report.objects.filter(pk=reports["hidden"].pk).update(is_public=False)
        Report.objects.filter(pk=reports["old"].pk).update(created_at=timezone.now() - timedelta(days=100))
        revoked = api_client_issue(name="Ứng dụng đã thu hồi")
        api_client_revoke(client=revoked.client)
        limited = api_client_issue(name="Ứng dụng bị giới hạn")
        server = LiveServer("127.0.0.1")
        try:
            url = f"{server.url}/open311/v2"
            yield Site(url=url, reports=reports, revoked_key=revoked.key, limited_key=limited.key)
        finally:
            server.stop()
            call_command("flush", "--no-input", stdout=StringIO())
            # The per-key counts live in the cache table, which a flush leaves alone.
            cache.clear()


@pytest.fixture(scope="module")
def http(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, timeout=30) as client:
        yield client
