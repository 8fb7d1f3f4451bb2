"""The heatmap's "export this map" in headless Chromium: an officer downloads the view with the keyboard,
and the file opens offline, its map drawn from what the file holds alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Route

from tests.browser import DESKTOP, chromium, sign_in
from tests.factories import report_make

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_an_officer_downloads_the_view_and_opens_it_offline(demo_site: str, tmp_path: Path, output_dir: Path) -> None:
    mine = [report_make(ward=ward, title=f"Ổ gà số {i}") for i, ward in enumerate(["D25450", "D25450", "D25451"])]
    elsewhere = report_make(ward="D25470", title="Ngoài địa bàn thành phố")
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP, accept_downloads=True)
        page.goto(f"{demo_site}/can-bo/ban-do-nhiet/")
        sign_in(page, "canbo.tptn", "demo-12345")
        page.wait_for_url("**/can-bo/ban-do-nhiet/")
        page.wait_for_function("document.getElementById('hmap-export').href.includes('bbox=')")

        link = page.get_by_role("link", name="Tải bản đồ đang xem (tệp HTML)")
        link.focus()
        with page.expect_download() as download:
            page.keyboard.press("Enter")
        exported = tmp_path / download.value.suggested_filename
        download.value.save_as(exported)
        assert exported.suffix == ".html"

        # Offline, and any request the file makes is noted and refused.
        context = browser.new_context(viewport=DESKTOP, offline=True)
        fetched: list[str] = []

        def refuse(route: Route) -> None:
            fetched.append(route.request.url)
            route.abort()

        context.route(lambda url: not url.startswith(("file:", "data:")), refuse)
        offline = context.new_page()
        errors: list[str] = []
        offline.on("pageerror", lambda exc: errors.append(str(exc)))
        offline.goto(exported.as_uri())
        offline.wait_for_selector(".leaflet-container path.leaflet-interactive")
        # Wards (polygons) and the three reports of the officer's jurisdiction (circles).
        assert offline.locator("path.leaflet-interactive").count() >= len(mine) + 1
        text = offline.inner_text("main")
        assert all(r.code in text for r in mine) and elsewhere.code not in text
        offline.screenshot(path=str(output_dir / "staff-heatmap-export-offline.png"), full_page=True)
        assert errors == []
        assert fetched == []
        context.close()
