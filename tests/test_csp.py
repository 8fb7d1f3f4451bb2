"""Content-Security-Policy: on every answer, scripts only from our origin, tiles from the configured server."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from geo.csp import source_of

pytestmark = pytest.mark.django_db


def directives(response: object) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
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
