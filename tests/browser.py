"""Headless Debian Chromium, driven by Playwright, for page tests."""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The machine has no network beyond loopback: keep Chromium from calling home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE: ViewportSize = {"width": 360, "height": 740}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}


@contextmanager
def chromium() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed (make test installs it)")
    # Playwright's sync API runs an event loop in this thread; the Django ORM
    # calls the test makes meanwhile are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        # Playwright runs the string expressions of wait_for_function with eval in the page, which our
        # Content-Security-Policy refuses: pages ignore it unless a test asks for it (bypass_csp=False,
        # as tests/test_csp_browser.py does to check that the pages run under it).
        browser.new_page = functools.partial(browser.new_page, bypass_csp=True)  # type: ignore[method-assign]
        browser.new_context = functools.partial(browser.new_context, bypass_csp=True)  # type: ignore[method-assign]
        try:
            yield browser
        finally:
            browser.close()
            # Queries made while the browser ran used their own connection; left open, it
            # keeps the test database from being dropped.
            connections.close_all()


def page_errors(page: Page) -> list[str]:
    """The script errors the page raises from now on; a test ends with `assert errors == []`."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def at_each_width(browser: Browser) -> Iterator[tuple[str, Page]]:
    """The same steps on a phone, then on a desktop: a new page at each width, with the width's name
    (for screenshots). After the steps no script error may have been raised; the page closes once its
    requests are done (one still running could meet a test database being torn down)."""
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = browser.new_page(viewport=viewport)
        errors = page_errors(page)
        yield name, page
        assert errors == [], f"{name}: {errors}"
        page.wait_for_load_state("networkidle")
        page.close()


def wait_until_map_settles(page: Page, map_expression: str = "ReportForm.map") -> None:
    # Fitting the province animates the zoom; a click computed meanwhile would land elsewhere.
    page.wait_for_function(
        "() => { const map = "
        + map_expression
        + """, c = map.getCenter();
            const view = [c.lat.toFixed(7), c.lng.toFixed(7), map.getZoom()].join();
            const same = window.lastView === view;
            window.lastView = view;
            return same && !map._animatingZoom;
        }""",
        polling=250,
    )


def sign_in(page: Page, username: str, password: str) -> None:
    """Fill in and send the sign-in form the page shows, as a person does."""
    page.get_by_label("Tên đăng nhập, số điện thoại hoặc e-mail").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


@pytest.fixture
def plain_static(settings: SettingsWrapper) -> None:
    # The live server serves static files from the finders, by their plain names.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def demo_site(live_server: LiveServer, settings: SettingsWrapper, plain_static: None) -> Iterator[str]:
    """The demo on the live server, with the tile server out of reach (nothing listens on port 9)."""
    call_command("load_demo", stdout=StringIO())
    settings.MAP_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"
    yield live_server.url


# The guide's smallest tap target, in CSS pixels.
TAP_PX = 44


def small_tap_targets(
    page: Page, selector: str = ".leaflet-marker-icon.leaflet-interactive", *, alone: bool = True
) -> list[str]:
    """The markers matching `selector` that a finger cannot hit over a TAP_PX square around their middle
    (the visible dot may be smaller): asked of the browser's own hit testing at the square's corners, so
    a target drawn larger than its hit area is caught, and (`alone`) one another marker covers. Empty
    when all pass."""
    failures: list[str] = page.evaluate(
        """([selector, size, alone]) => {
            const half = size / 2 - 1, failures = [];
            document.querySelectorAll(selector).forEach((marker, i) => {
                const r = marker.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
                for (const [dx, dy] of [[-half, -half], [half, -half], [-half, half], [half, half]]) {
                    const at = [x + dx, y + dy];
                    const hits = alone ? [document.elementFromPoint(...at)] : document.elementsFromPoint(...at);
                    const hit = hits.find(e => e && e.closest('.leaflet-marker-icon') === marker) || hits[0];
                    if (!hit || hit.closest('.leaflet-marker-icon') !== marker) {
                        failures.push(`${i} ${marker.className} at (${dx}, ${dy}): ${hit && hit.className}`);
                        break;
                    }
                }
            });
            return failures;
        }""",
        [selector, TAP_PX, alone],
    )
    return failures
