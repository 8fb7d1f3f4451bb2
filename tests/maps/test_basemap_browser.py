"""The report form's pin map in headless Chromium: on our own basemap (vector tiles from
/tiles/basemap/, drawn by protomaps-leaflet) at 390x844 and 1366x900, and without any basemap (our
boundaries and their names carry the map; a tap at province scale zooms to its ward instead of pinning)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response, ViewportSize
from pytest_django.fixtures import Settings as SettingsWrapper

from boundaries.models import AdminUnit
from demo.basemap import TOWN_WARD
from incidents.models import Report
from maps.services import BasemapImport
from tests.browser import chromium, page_errors, wait_until_map_settles
from tests.factories import pin
from tests.incidents.test_report_form_browser import click_on_map, fill_sender, solve_captcha, zoom_to
from tests.maps.conftest import town_centre

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WIDTHS: tuple[tuple[str, ViewportSize], ...] = (
    ("phone", {"width": 390, "height": 844}),
    ("desktop", {"width": 1366, "height": 900}),
)


def record_tile(tiles: list[tuple[str, int]], response: Response) -> None:
    if "/tiles/basemap/" in response.url:
        tiles.append((response.url, response.status))


def open_form(page: Page, url: str) -> None:
    page.goto(f"{url}/phan-anh/gui/")
    page.wait_for_function("document.querySelectorAll('#report-map .leaflet-overlay-pane path').length >= 7")
    wait_until_map_settles(page)


def test_without_a_basemap_units_are_named_and_a_province_scale_tap_zooms_to_its_ward(
    demo_site: str, settings: SettingsWrapper, output_dir: Path
) -> None:
    # First in the module: no basemap imported yet, and no outside tile server either.
    settings.MAP_TILE_URL = ""
    lng, lat = town_centre()
    ward = AdminUnit.objects.get(name=TOWN_WARD)
    with chromium() as browser:
        page = browser.new_page(viewport=WIDTHS[0][1])
        errors = page_errors(page)
        open_form(page, demo_site)
        assert page.locator("#report-map.map-no-basemap").count() == 1
        # District names are written on the map.
        page.wait_for_selector(".map-unit-label-2 >> text=Thành phố Tây Ninh")
        assert page.locator(".map-unit-label-2").count() == 6
        # ...at the point inside each unit the API gives (ST_PointOnSurface), not its box's centre.
        placed = page.evaluate(
            """() => { const labels = [], points = [];
                ReportForm.map.eachLayer(l => {
                    const p = l.feature && l.feature.properties;
                    if (p && p.level === 2 && l instanceof L.Polygon) points.push(p.label_point.join());
                    if (l.options.icon && /map-unit-label-2/.test(l.options.icon.options.className))
                        labels.push([l.getLatLng().lng, l.getLatLng().lat].join());
                });
                return [labels.sort(), points.sort()]; }"""
        )
        assert placed[0] == placed[1] and len(placed[0]) == 6

        click_on_map(page, lng, lat)
        page.wait_for_function(
            "name => document.getElementById('pin-status').textContent.includes(name)", arg=ward.name
        )
        assert "Đã phóng to tới" in page.inner_text("#pin-status")
        assert page.input_value("#id_lat") == ""
        wait_until_map_settles(page)
        assert page.evaluate("ReportForm.map.getZoom()") >= 13
        # Closer in, ward names are written and the unit under the pointer is named.
        page.wait_for_selector(f".map-unit-label-3 >> text={ward.name}")
        click_on_map(page, lng, lat)
        page.wait_for_function("document.getElementById('pin-status').textContent.includes('Vị trí đã chọn')")
        assert abs(float(page.input_value("#id_lat")) - lat) < 0.01
        assert page.inner_text(".map-unit-under") == f"{ward.name}, Thành phố Tây Ninh"

        # An address naming a ward far from the pin is pointed out.
        page.fill("#id_address", "Số 5 ấp Bến Cừ, Xã Biên Giới, Huyện Châu Thành")
        page.press("#id_address", "Tab")
        page.wait_for_selector(".pin-far:not([hidden])")
        assert "Xã Biên Giới" in page.inner_text(".pin-far")
        page.locator("#report-map").scroll_into_view_if_needed()
        page.screenshot(path=str(output_dir / "basemap-fallback-phone.png"), full_page=False)
        page.fill("#id_address", f"Số 5 đường 30/4, {ward.name}, Thành phố Tây Ninh")
        page.press("#id_address", "Tab")
        page.wait_for_selector(".pin-far", state="hidden")
        page.wait_for_load_state("networkidle")
        assert errors == []
        page.close()


def test_a_report_is_pinned_on_our_own_basemap_at_both_widths(
    demo_site: str, demo_basemap: BasemapImport, output_dir: Path
) -> None:
    lng, lat = town_centre()
    ward = AdminUnit.objects.get(name=TOWN_WARD)
    with chromium() as browser:
        # Under our Content-Security-Policy (the other pages bypass it for Playwright's eval), the basemap
        # draws without a violation: its tiles are fetched from our origin, drawn on canvas.
        strict = browser.new_page(viewport=WIDTHS[1][1], bypass_csp=False)
        refused: list[str] = []
        strict.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        strict.on("pageerror", lambda exc: refused.append(str(exc)))
        strict.goto(f"{demo_site}/ban-do/")
        strict.wait_for_selector(".leaflet-tile-container canvas.leaflet-tile-loaded")
        strict.wait_for_load_state("networkidle")
        assert refused == []
        strict.close()

        for name, viewport in WIDTHS:
            page = browser.new_page(viewport=viewport)
            errors = page_errors(page)
            tiles: list[tuple[str, int]] = []
            page.on("response", functools.partial(record_tile, tiles))
            open_form(page, demo_site)
            # Our basemap, not the outside tile server the demo site names (out of reach) nor the fallback.
            assert page.locator("#report-map.map-no-basemap").count() == 0
            page.wait_for_selector("#report-map canvas.leaflet-tile-loaded")
            assert page.locator("#map-note").is_hidden()
            zoom_to(page, lng, lat, 16)
            page.wait_for_function(
                "() => [...document.querySelectorAll('#report-map canvas.leaflet-tile')]"
                ".some(c => c.classList.contains('leaflet-tile-loaded'))"
            )
            page.wait_for_load_state("networkidle")
            assert any(re.search(r"/tiles/basemap/16/\d+/\d+\.mvt$", url) and status == 200 for url, status in tiles)
            assert all(status in (200, 204, 304) for _, status in tiles), tiles

            click_on_map(page, lng, lat)
            page.wait_for_function(
                "name => document.getElementById('pin-status').textContent.includes(name)", arg=ward.name
            )
            assert abs(float(page.input_value("#id_lat")) - lat) < 0.001
            page.select_option("#id_category", "giao-thong")
            page.fill("#id_title", f"Ổ gà giữa đường số 4 ({name})")
            page.fill("#id_description", "Ổ gà sâu giữa đường, xe máy dễ ngã vào ban đêm.")
            page.fill("#id_occurred_at", "2024-05-01T07:30")
            fill_sender(page)
            solve_captcha(page)
            page.locator("#report-map").scroll_into_view_if_needed()
            page.screenshot(path=str(output_dir / f"basemap-pin-{name}.png"), full_page=False)
            page.click("#submit-report")
            page.wait_for_url(re.compile(r"/phan-anh/\d{12}/\?moi=1$"))
            code = re.search(r"/phan-anh/(\d{12})/", page.url).group(1)  # type: ignore[union-attr]
            report = Report.objects.get(code=code)
            assert report.ward_id == ward.pk
            pinned_lng, pinned_lat = pin(report)
            assert abs(pinned_lat - lat) < 0.001 and abs(pinned_lng - lng) < 0.001
            page.wait_for_load_state("networkidle")
            assert errors == [], f"{name}: {errors}"
            page.close()
