"""Ward borders on the public map (/ban-do/) follow the view, in headless Chromium."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import shapely
from playwright.sync_api import Page, Request, Route

from boundaries.models import AdminUnit
from tests.browser import DESKTOP, chromium
from tests.conftest import point_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

# The demo's province and its 6 districts, drawn once whatever the view.
BORDERS = 7
PATHS = "document.querySelectorAll('.leaflet-overlay-pane path').length"
# Ward outlines are the dashed ones (map.js boundaryStyle).
WARD_PATHS = "document.querySelectorAll('.leaflet-overlay-pane path[stroke-dasharray]').length"
CITY_WARD = "D25450"


def _is_ward_request(request: Request) -> bool:
    return "/api/v1/boundaries/" in request.url and parse_qs(urlparse(request.url).query).get("level") == ["3"]


def _bbox_of(request: Request) -> tuple[float, float, float, float]:
    west, south, east, north = (float(v) for v in parse_qs(urlparse(request.url).query)["bbox"][0].split(","))
    return west, south, east, north


def _wards_meeting(bbox: tuple[float, float, float, float]) -> int:
    box = shapely.box(*bbox)
    return sum(
        1 for unit in AdminUnit.objects.filter(level=3) if shapely.from_wkb(bytes(unit.geom.wkb)).intersects(box)
    )


def _go(page: Page, code: str, zoom: int) -> None:
    lng, lat = point_in(code)
    page.evaluate("([lat, lng, z]) => window.reportMap.setView([lat, lng], z, {animate: false})", [lat, lng, zoom])


def _far_ward(code: str) -> str:
    """The demo ward farthest from this one, for a view that shares none of its wards."""
    here = AdminUnit.objects.get(code=code).geom.point_on_surface
    wards = AdminUnit.objects.filter(level=3).exclude(code=code)
    return max(wards, key=lambda unit: unit.geom.point_on_surface.distance(here)).code


def test_ward_borders_load_for_the_view_from_zoom_11(demo_site: str) -> None:
    far = _far_ward(CITY_WARD)
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        requests: list[Request] = []
        page.on("request", lambda request: requests.append(request) if _is_ward_request(request) else None)
        page.goto(f"{demo_site}/ban-do/")
        page.wait_for_function(f"{PATHS} === {BORDERS}")
        page.wait_for_function("window.reportMap && window.reportMap.getZoom() < 11")

        # Switched on over the whole province, wards are too small to read: nothing is asked for.
        page.get_by_label("Ranh giới phường, xã").check()
        page.wait_for_timeout(600)
        assert requests == [] and page.evaluate(WARD_PATHS) == 0

        # At a ward-level zoom, the wards of the (padded) view, and only those.
        with page.expect_request(_is_ward_request) as first:
            _go(page, CITY_WARD, 13)
        bbox = _bbox_of(first.value)
        expected = _wards_meeting(bbox)
        assert 0 < expected < AdminUnit.objects.filter(level=3).count()
        page.wait_for_function(f"{WARD_PATHS} === {expected} && {PATHS} === {BORDERS + expected}")
        view = page.evaluate("(() => { const b = window.reportMap.getBounds(); return [b.getWest(), b.getEast()]; })()")
        assert bbox[0] < view[0] and view[1] < bbox[2]

        # A short pan stays within what was loaded: no new download.
        page.evaluate("window.reportMap.panBy([60, 40], {animate: false})")
        page.wait_for_timeout(600)
        assert len(requests) == 1

        # Elsewhere, the layer's content is replaced by that view's wards.
        with page.expect_request(_is_ward_request) as second:
            _go(page, far, 13)
        elsewhere = _wards_meeting(_bbox_of(second.value))
        assert _bbox_of(second.value) != bbox and elsewhere > 0
        page.wait_for_function(f"{WARD_PATHS} === {elsewhere} && {PATHS} === {BORDERS + elsewhere}")

        # Zoomed out again, the wards go and nothing is fetched.
        page.evaluate("window.reportMap.setZoom(9, {animate: false})")
        page.wait_for_function(f"{WARD_PATHS} === 0 && {PATHS} === {BORDERS}")
        page.wait_for_timeout(600)
        assert len(requests) == 2
        assert all("bbox" in parse_qs(urlparse(r.url).query) for r in requests)
        assert errors == []
        page.close()


def test_a_failed_ward_download_is_retried_on_the_next_move(demo_site: str) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        failures: list[str] = []

        def fail_once(route: Route) -> None:
            if not failures and _is_ward_request(route.request):
                failures.append(route.request.url)
                route.abort()
            else:
                route.continue_()

        page.route("**/api/v1/boundaries/**", fail_once)
        page.goto(f"{demo_site}/ban-do/?lat=11.3&lng=106.1&z=9")
        page.wait_for_function(f"{PATHS} === {BORDERS}")
        page.get_by_label("Ranh giới phường, xã").check()
        with page.expect_request(_is_ward_request):
            _go(page, CITY_WARD, 13)
        page.wait_for_timeout(600)
        # The download failed: the other borders stay, and the page goes on.
        assert len(failures) == 1 and page.evaluate(WARD_PATHS) == 0 and page.evaluate(PATHS) == BORDERS
        with page.expect_request(_is_ward_request) as retry:
            page.evaluate("window.reportMap.panBy([20, 0], {animate: false})")
        expected = _wards_meeting(_bbox_of(retry.value))
        page.wait_for_function(f"{WARD_PATHS} === {expected}")
        assert expected > 0 and errors == []
        page.close()
