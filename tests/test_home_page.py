"""The home map in a real browser, with the tile server out of reach."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from tests.browser import PHONE, at_each_width, chromium

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_map_draws_our_boundaries_when_no_tile_server_answers(
    live_server: LiveServer, settings: SettingsWrapper, plain_static: None, output_dir: Path
) -> None:
    call_command("load_demo", stdout=StringIO())
    # Nothing listens on port 9: every tile request fails.
    settings.MAP_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"
    with chromium() as browser:
        for name, page in at_each_width(browser):
            page.goto(f"{live_server.url}/")
            # Province and districts are drawn as vector paths (wards from zoom 11, for the view: map.js).
            page.wait_for_function("document.querySelectorAll('.leaflet-overlay-pane path').length >= 7")
            page.wait_for_selector("#map-note:not([hidden])")
            assert "Không tải được bản đồ nền" in page.inner_text("#map-note")
            assert page.locator(".leaflet-overlay-pane path").count() == 1 + 6
            assert "Tỉnh Tây Ninh (demo)" in page.inner_text("main")
            # The map fits the province: its box lies within the viewport's map.
            box = page.locator(".leaflet-overlay-pane svg").bounding_box()
            assert box is not None and box["width"] > 100
            page.screenshot(path=str(output_dir / f"home-{name}.png"), full_page=True)


def test_keyboard_users_can_skip_to_the_content_and_switch_language(
    live_server: LiveServer, plain_static: None
) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport=PHONE)
        page.goto(f"{live_server.url}/")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Bỏ qua, đến nội dung chính"
        # On a phone the language choice sits in the menu.
        page.click("summary.menu-button")
        page.select_option("#language", "en")
        page.click("text=Đổi")
        page.wait_for_selector("html[lang=en]")
        assert "Reports and suggestions on the city" in page.inner_text("h1")
