"""Site-wide behaviour: deployment checks, language, health."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db


def test_deploy_check_is_clean_when_debug_is_off() -> None:
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "x" * 20 + "-a-long-random-production-key-1234567890"}
    env.pop("HTTPS", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_pages_speak_vietnamese_even_to_an_english_browser(client: Client) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="vi">' in html
    assert "Bản đồ địa bàn tiếp nhận phản ánh" in html


def test_english_is_available_on_request(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Map of the areas we take reports for" in html
    assert "Bản đồ địa bàn" not in html


def test_health_answers_from_the_database(client: Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_home_lists_provinces_with_names_escaped(client: Client, tay_ninh: object) -> None:
    from boundaries.models import AdminUnit

    AdminUnit.objects.filter(code="72").update(name="Tỉnh <script>alert(1)</script>")
    html = client.get("/").content.decode()
    assert "Tỉnh &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def test_errors_speak_vietnamese(client: Client) -> None:
    missing = client.get("/khong-co-trang-nay/")
    assert missing.status_code == 404 and "Không tìm thấy trang" in missing.content.decode()
    strict = Client(enforce_csrf_checks=True)
    refused = strict.post("/i18n/setlang/", {"language": "en"})
    assert refused.status_code == 403 and "Phiên làm việc đã hết hạn" in refused.content.decode()


def test_api_status_answers_from_the_database(client: Client) -> None:
    body = client.get("/api/v1/status").json()
    assert body["status"] == "ok" and body["time"].startswith("20")
