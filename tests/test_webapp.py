"""The installable app's answers: manifest, icons, favicon, the one service worker, the offline page."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse
from PIL import Image

from notifications.views import worker_config

pytestmark = pytest.mark.django_db

CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "site.css"


def test_manifest_names_the_app_in_vietnamese_with_the_site_colour_and_installable_icons(client: Client) -> None:
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(response.content)
    assert manifest["name"] == "Phản ánh hiện trường"
    assert manifest["short_name"] == "Phản ánh"
    assert manifest["lang"] == "vi"
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/", "/", "standalone")
    brand = re.search(r"--brand:\s*(#[0-9a-fA-F]{6})", CSS.read_text()).group(1)  # type: ignore[union-attr]
    assert manifest["theme_color"].lower() == brand.lower()
    found = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")} <= found
    for icon in manifest["icons"]:
        served = client.get(icon["src"])
        assert served.status_code == 200, icon
        with Image.open(io.BytesIO(b"".join(served.streaming_content))) as image:  # type: ignore[attr-defined]
            assert f"{image.width}x{image.height}" == icon["sizes"] and image.format == "PNG"
    assert [s["url"] for s in manifest["shortcuts"]] == [reverse("report-new"), reverse("report-list-page")]


def test_manifest_in_english(client: Client) -> None:
    client.cookies["django_language"] = "en"
    manifest = json.loads(client.get("/manifest.webmanifest").content)
    assert manifest["lang"] == "en"
    assert manifest["short_name"] != "Phản ánh"


def test_pages_link_the_manifest_icons_and_the_app_script_without_inline_script(client: Client) -> None:
    html = client.get("/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert 'rel="icon"' in html and 'rel="apple-touch-icon"' in html
    assert 'id="install-app"' in html and "Cài đặt ứng dụng" in html
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 200 and favicon["Content-Type"] == "image/x-icon"


def test_offline_page_in_vietnamese(client: Client) -> None:
    response = client.get("/ngoai-tuyen/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Không có kết nối mạng" in html and 'id="draft-list"' in html
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, tag


def test_the_worker_keeps_every_script_and_style_the_offline_page_loads(client: Client) -> None:
    """Shown without a connection, the offline page has only the worker's shell: each file it loads
    (the app script and what it stands on) must be there."""
    html = client.get("/ngoai-tuyen/").content.decode()
    loaded = re.findall(r'<script src="([^"]+)"', html) + re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    shell = worker(client)[0]["shell"]
    assert loaded and isinstance(shell, list)
    assert [url for url in loaded if url not in shell] == []


def test_a_page_helper_is_written_once() -> None:
    """The small DOM helpers the page scripts share (static/js/dom.js) are not copied into them."""
    scripts = sorted((CSS.parent.parent / "js").glob("*.js"))
    for helper in ("el", "say", "csrf", "keyBytes"):
        defining = [path.name for path in scripts if re.search(rf"function {helper}\(", path.read_text())]
        assert defining == ["dom.js"], (helper, defining)


def worker(client: Client, url: str = "/sw.js") -> tuple[dict[str, object], str]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    first, rest = body.split("\n", 1)
    config = json.loads(first.removeprefix("self.SW_CONFIG = ").removesuffix(";"))
    return config, rest


def test_one_service_worker_does_push_and_offline_at_the_root(client: Client) -> None:
    config, code = worker(client)
    assert "showNotification" in code and 'addEventListener("fetch"' in code and 'addEventListener("sync"' in code
    assert re.fullmatch(r"[0-9a-f]{12}", str(config["version"]))
    shell = config["shell"]
    assert isinstance(shell, list) and "/ngoai-tuyen/" in shell and static("css/site.css") in shell
    # The address browsers registered for push gets the same worker.
    assert worker(client, "/push-sw.js") == (config, code)
    # Caches are named by the version and the old ones are deleted when a new worker takes over.
    assert '"shell-" + config.version' in code and "caches.delete(name)" in code


def test_only_public_pages_may_be_kept_offline(client: Client, demo: None) -> None:
    from tests.factories import report_make

    patterns = [re.compile(source) for source in worker_config()["pages"]]

    def kept(path: str) -> bool:
        return any(pattern.search(path) for pattern in patterns)

    report = report_make()
    for path in (
        "/",
        "/phan-anh/",
        "/phan-anh/gui/",
        f"/phan-anh/{report.code}/",
        "/ban-do/",
        "/thong-ke/",
        "/canh-bao/",
        "/canh-bao/12/",
        "/ngoai-tuyen/",
    ):
        assert kept(path), path
    for name in ("staff-home", "my-reports", "profile", "login", "alert-staff-list", "admin:index"):
        assert not kept(reverse(name)), name
    for path in (f"/phan-anh/{report.code}/danh-gia/", "/api/v1/reports/", "/phan-anh/tra-cuu/", "/can-bo/"):
        assert not kept(path), path
