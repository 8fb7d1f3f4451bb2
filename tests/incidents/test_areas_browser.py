"""The area subscription page (/phan-anh/khu-vuc/) in headless Chromium, on a phone and a desk: a point
chosen on the map (by a tap, or by the keyboard), a radius, an e-mail, the confirmation asked for, and
the area's Atom feed offered."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, ViewportSize
from pytest_django.fixtures import Settings as SettingsWrapper

from boundaries.models import AdminUnit
from incidents.models import AreaSubscription
from notifications.models import Notification
from tests.browser import chromium, page_errors, wait_until_map_settles
from tests.conftest import point_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WARD = "D25450"  # Phường 1, Thành phố Tây Ninh (demo)
WIDTHS: dict[str, ViewportSize] = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


def pin_by_tap(page: Page, lng: float, lat: float) -> None:
    page.evaluate("([lat, lng]) => AreaSubscribe.map.setView([lat, lng], 15, {animate: false})", [lat, lng])
    wait_until_map_settles(page, "AreaSubscribe.map")
    x, y = page.evaluate(
        "([lat, lng]) => { const p = AreaSubscribe.map.latLngToContainerPoint([lat, lng]); return [p.x, p.y]; }",
        [lat, lng],
    )
    page.locator("#area-map").click(position={"x": x, "y": y})


def pin_by_keyboard(page: Page, lng: float, lat: float) -> None:
    # The map centred on the point (as the arrow keys would), then the centre pinned with the button
    # before the map, reached by Shift+Tab from the map and pressed with Enter.
    page.evaluate("([lat, lng]) => AreaSubscribe.map.setView([lat, lng], 15, {animate: false})", [lat, lng])
    wait_until_map_settles(page, "AreaSubscribe.map")
    page.focus("#area-map")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowRight")
    wait_until_map_settles(page, "AreaSubscribe.map")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "pin-centre"
    page.keyboard.press("Enter")


def test_a_person_subscribes_to_a_radius_around_a_point_and_gets_the_feed(
    demo_site: str, settings: SettingsWrapper, output_dir: Path
) -> None:
    settings.SITE_URL = demo_site  # the feed's address is the site's
    lng, lat = point_in(WARD)
    ward = AdminUnit.objects.get(code=WARD)
    with chromium() as browser:
        for name, viewport in WIDTHS.items():
            page = browser.new_page(viewport=viewport)
            errors = page_errors(page)
            page.goto(f"{demo_site}/phan-anh/khu-vuc/")
            page.wait_for_selector("#area-map:not([hidden]) .leaflet-overlay-pane path")
            wait_until_map_settles(page, "AreaSubscribe.map")
            (pin_by_tap if name == "phone" else pin_by_keyboard)(page, lng, lat)
            page.wait_for_function(
                "name => document.getElementById('pin-status').textContent.includes(name)", arg=ward.name
            )
            assert abs(float(page.input_value("#id_lat")) - lat) < 0.01
            assert abs(float(page.input_value("#id_lng")) - lng) < 0.01
            # The radius and the address by keyboard; Enter in the address sends the form's first button.
            page.focus("#id_radius")
            page.keyboard.press("ArrowDown")
            radius = page.input_value("#id_radius")
            assert radius == "2000"
            page.focus("#id_email")
            page.keyboard.type(f"dan.{name}@example.vn")
            page.keyboard.press("Enter")

            page.wait_for_selector("#area-done")
            assert page.evaluate("document.activeElement.id") == "area-done"
            assert "Thư xác nhận đã được gửi" in page.inner_text("#area-done")
            atom = page.locator("#area-feed a[type='application/atom+xml']")
            href = atom.get_attribute("href") or ""
            query = parse_qs(urlparse(href).query)
            assert query["radius"] == [radius] and abs(float(query["lat"][0]) - lat) < 0.01
            assert page.input_value("#feed-url") == href
            feed = page.request.get(href)
            assert feed.status == 200 and feed.headers["content-type"].startswith("application/atom+xml")
            page.screenshot(path=str(output_dir / f"area-subscribe-{name}.png"), full_page=True)

            subscription = AreaSubscription.objects.get(email=f"dan.{name}@example.vn")
            assert subscription.confirmed_at is None and subscription.radius_m == int(radius)
            assert subscription.center is not None and abs(subscription.center.y - lat) < 0.01
            assert Notification.objects.filter(recipient=subscription.email, channel="email").count() == 1
            assert errors == [], f"{name}: {errors}"
            page.wait_for_load_state("networkidle")
            page.close()
