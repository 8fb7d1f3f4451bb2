"""Content-Security-Policy: on every answer, scripts only from our origin, tiles from the configured server."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from geo.csp import source_of

pytestmark = pytest.mark.django_db


def directives(response: object) -> dict[str, list[str]]:
    # A Django test response or an httpx one.
    headers = getattr(response, "headers", response)
    header = headers["Content-Security-Policy"]  # type: ignore[index]
    parts = [part.split() for part in header.split(";") if part.strip()]
    return {name: sources for name, *sources in parts}


def test_pages_api_answers_and_errors_carry_the_policy(client: Client, settings: SettingsWrapper) -> None:
    settings.MAP_TILE_URL = "https://{s}.tiles.example.vn:8443/osm/{z}/{x}/{y}.png"
    for url in ("/", "/phan-anh/", "/phan-anh/gui/", "/ban-do/", "/api/v1/categories/", "/khong-co/", "/api/v1/x/"):
        policy = directives(client.get(url))
        assert policy["default-src"] == ["'self'"], url
        assert policy["script-src"] == ["'self'"], url
        assert policy["img-src"] == ["'self'", "data:", "blob:", "https://*.tiles.example.vn:8443"], url
        assert policy["connect-src"] == ["'self'"], url
        assert policy["frame-ancestors"] == ["'none'"], url
        assert policy["form-action"] == ["'self'"], url
        assert policy["base-uri"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"], url
        assert "'unsafe-inline'" not in policy["style-src"], url


def test_pages_have_no_inline_script(client: Client, demo: None) -> None:
    from tests.factories import report_make

    report = report_make()
    for url in ("/", "/phan-anh/", "/phan-anh/gui/", f"/phan-anh/{report.code}/", "/ban-do/", "/thong-ke/"):
        html = client.get(url).content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            # Data only: json_script's type=application/json is never run.
            assert "src=" in tag or 'type="application/json"' in tag, (url, tag)


def test_api_documentation_keeps_scripts_to_our_origin(client: Client) -> None:
    for url in ("/api/docs/", "/api/redoc/"):
        response = client.get(url)
        assert response.status_code == 200, url
        policy = directives(response)
        assert policy["script-src"] == ["'self'"], url
        assert "googleapis" not in response.content.decode(), url
        for tag in re.findall(r"<script\b[^>]*>", response.content.decode()):
            assert "src=" in tag, (url, tag)


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://{s}.tile.example.vn/{z}/{x}/{y}.png", "https://*.tile.example.vn"),
        ("http://127.0.0.1:9/{z}/{x}/{y}.png", "http://127.0.0.1:9"),
        ("/tiles/{z}/{x}/{y}.png", None),
    ],
)
def test_the_tile_server_source(url: str, source: str | None) -> None:
    assert source_of(url) == source


# Secure by default: the production settings (DEBUG off, HTTPS on, a real key) as the deployment sets
# them in /etc/geo/geo.env (README "Settings"); nothing else.
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k8Hq2vX7-bN4mZ1pL9sR3tW6yC0dF5gJ8hK2nQ7uV4xA1eI9oT3rY6wB5cM0zS",
    "ALLOWED_HOSTS": "phananh.tayninh.gov.vn",
    "BEHIND_PROXY": "1",
}


def _production_env(**extra: str) -> dict[str, str]:
    import os

    # HTTPS is left to its production default (on when DEBUG is off): the test run's HTTPS=0 is dropped.
    env = {name: value for name, value in os.environ.items() if name not in ("HTTPS", "SECURE_HSTS_SECONDS")}
    return {**env, **PRODUCTION_ENV, **extra}


def test_check_deploy_is_clean_with_production_settings() -> None:
    import subprocess
    import sys

    from django.conf import settings

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Any warning (security.W0xx) fails the command at this level; the silenced GDAL one is explained in settings.
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout


def test_security_headers_on_pages_and_api_answers_under_https() -> None:
    """The real web server (scripts/web.sh) with the production settings behind its TLS proxy."""
    import httpx
    from django.db import connection

    from tests.servers import database_url, web_server

    host = PRODUCTION_ENV["ALLOWED_HOSTS"]
    # web_server() defaults to HTTPS=0 for plain-HTTP tests; production has it on.
    env = _production_env(LOG_LEVEL="WARNING", HTTPS="1")
    proxied = {"Host": host, "X-Forwarded-Proto": "https"}
    with web_server(database_url(connection.settings_dict), workers=1, env=env, probe_headers=proxied) as base:
        with httpx.Client(base_url=base, headers=proxied, timeout=10) as http:
            for path in (
                "/",
                "/phan-anh/",
                "/ban-do/",
                "/canh-bao/",
                "/khong-co/",
                "/api/v1/categories/",
                "/api/v1/alerts/active?lat=11.3&lng=106.1",
                "/api/v1/x/",
                "/api/v1/reports/ABC/",
            ):
                response = http.get(path)
                assert response.status_code < 500, (path, response.status_code)
                headers = response.headers
                assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload", path
                assert headers["X-Content-Type-Options"] == "nosniff", path
                assert headers["Referrer-Policy"] == "same-origin", path
                assert headers["X-Frame-Options"] == "DENY", path
                policy = directives(response)
                assert policy["script-src"] == ["'self'"], path
                assert not {"'unsafe-inline'", "'unsafe-eval'"} & set(policy["script-src"] + policy["default-src"])
                assert policy["frame-ancestors"] == ["'none'"], path
            # Cookies set over HTTPS are Secure and (the session's) HttpOnly.
            cookies = http.get("/tai-khoan/dang-nhap/").headers.get_list("Set-Cookie")
            assert cookies and all("; Secure" in cookie for cookie in cookies), cookies
        # Plain HTTP is sent to HTTPS, with no page served.
        plain = httpx.get(f"{base}/phan-anh/", headers={"Host": host}, follow_redirects=False, timeout=10)
        assert plain.status_code == 301 and plain.headers["Location"] == f"https://{host}/phan-anh/"
