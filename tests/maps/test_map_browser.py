"""The public report map (/ban-do/) in headless Chromium, with the tile server out of reach."""

from __future__ import annotations

import math
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import call_command

from incidents.models import Report
from tests.browser import DESKTOP, at_each_width, chromium, page_errors, small_tap_targets
from tests.conftest import point_in
from tests.factories import pin, report_make

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

MARKERS = ".rmap-cluster, .rmap-report"
# The demo's outlines: 1 province and 6 districts; wards are drawn for the view from zoom 11.
BORDERS = 7
PATHS = "document.querySelectorAll('.leaflet-overlay-pane path').length"


def test_report_map_clusters_zoom_and_filters(demo_site: str, output_dir: Path) -> None:
    call_command("load_demo", "--reports", "60", stdout=StringIO())
    with chromium() as browser:
        for name, page in at_each_width(browser):
            page.goto(f"{demo_site}/ban-do/")
            # Our boundaries (province and districts; wards are off at first) are drawn although no
            # tile loads, and markers appear.
            page.wait_for_function(f"document.querySelectorAll('.leaflet-overlay-pane path').length >= {BORDERS}")
            page.wait_for_selector(".rmap-cluster")
            page.wait_for_selector("#rmap-list li")
            assert page.locator(".rmap-cluster").count() >= 1
            # Neighbouring clusters may overlap; each still answers over its whole square.
            assert small_tap_targets(page, ".rmap-cluster", alone=False) == []
            assert "Bản đồ phản ánh" in page.inner_text("h1")
            assert page.locator("#rmap-legend li").count() == 6
            page.screenshot(path=str(output_dir / f"report-map-{name}.png"), full_page=True)

            # A cluster click zooms in by two around it.
            page.wait_for_function("document.getElementById('report-map').dataset.zoom !== undefined")
            zoom = page.evaluate("window.reportMap.getZoom()")
            page.locator(".rmap-cluster").first.click()
            page.wait_for_function(f"window.reportMap.getZoom() === {zoom + 2}")
            page.wait_for_function(f"document.getElementById('report-map').dataset.zoom === '{zoom + 2}'")
            page.wait_for_function(f"new URL(location.href).searchParams.get('z') === '{zoom + 2}'")

            # Zoomed in far enough, reports come one by one; one opens a popup card.
            # In a function: the map object itself cannot be handed back to Python.
            # Asked again on every poll: Leaflet ignores a zoom asked while a zoom animation still runs.
            page.wait_for_function(
                "() => { if (window.reportMap.getZoom() !== 16) window.reportMap.setZoom(16, {animate: false});"
                " return document.getElementById('report-map').dataset.zoom === '16'; }"
            )
            if page.locator(".rmap-report").count() == 0:
                # The view may be empty at 16: go to a report from the list instead.
                page.evaluate(
                    "fetch('/api/v1/reports/?limit=1').then(r => r.json()).then(p => {"
                    " const c = p.results.features[0].geometry.coordinates;"
                    " window.reportMap.setView([c[1], c[0]], 16, {animate: false}); })"
                )
                page.wait_for_selector(".rmap-report")
            page.locator(".rmap-report").first.click()
            page.wait_for_selector(".rmap-card a[href^='/phan-anh/']")
            assert "Mã phản ánh" in page.inner_text(".rmap-card")
            page.wait_for_timeout(400)  # the popup fades in
            page.screenshot(path=str(output_dir / f"report-map-popup-{name}.png"), full_page=True)
            if name == "phone":
                # Filters fold away on a phone until asked for.
                assert not page.eval_on_selector("#rmap-filters", "e => e.open")
                page.click("#rmap-filters summary")
            page.select_option("#f-status", "completed")
            page.wait_for_function("new URL(location.href).searchParams.get('status') === 'completed'")
            query = parse_qs(urlparse(page.url).query)
            assert query["z"] and query["lat"] and query["lng"]


def test_a_shared_link_reproduces_the_view_and_filters(demo_site: str, output_dir: Path) -> None:
    call_command("load_demo", "--reports", "60", stdout=StringIO())
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        errors = page_errors(page)
        page.goto(f"{demo_site}/ban-do/?lat=11.30000&lng=106.10000&z=11&status=completed")
        page.wait_for_function("document.getElementById('report-map').dataset.zoom === '11'")
        page.wait_for_function(f"document.querySelectorAll('.leaflet-overlay-pane path').length >= {BORDERS}")
        page.wait_for_timeout(300)
        assert page.evaluate("window.reportMap.getZoom()") == 11
        centre = page.evaluate("window.reportMap.getCenter()")
        assert abs(centre["lat"] - 11.3) < 0.01 and abs(centre["lng"] - 106.1) < 0.01
        assert page.input_value("#f-status") == "completed"
        page.wait_for_selector("#rmap-list li")
        statuses = page.locator("#rmap-list .status").all_inner_texts()
        assert statuses and set(statuses) == {"Hoàn thành"}
        page.screenshot(path=str(output_dir / "report-map-shared-link.png"))
        assert errors == []


def test_ward_and_district_borders_switch_on_and_off(demo_site: str, output_dir: Path) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        errors = page_errors(page)
        page.goto(f"{demo_site}/ban-do/")
        page.wait_for_function(f"{PATHS} === {BORDERS}")
        control = page.locator(".leaflet-control-layers")
        assert "Ranh giới hành chính" in control.inner_text()
        wards = page.get_by_label("Ranh giới phường, xã")
        districts = page.get_by_label("Ranh giới quận, huyện")
        assert not wards.is_checked() and districts.is_checked() and page.get_by_label("Ranh giới tỉnh").is_checked()
        wards.check()
        # Over the whole province wards are too small to read: they come at a ward-level zoom.
        page.wait_for_timeout(600)
        assert page.evaluate(PATHS) == BORDERS
        lng, lat = point_in("D25450")
        page.evaluate("([lat, lng]) => window.reportMap.setView([lat, lng], 13, {animate: false})", [lat, lng])
        page.wait_for_function(f"{PATHS} > {BORDERS}")
        page.wait_for_timeout(600)
        shown = page.evaluate(PATHS) - BORDERS
        page.screenshot(path=str(output_dir / "report-map-ward-borders.png"))
        districts.uncheck()
        page.wait_for_function(f"{PATHS} === {BORDERS + shown - 6}")
        wards.uncheck()
        page.wait_for_function(f"{PATHS} === 1")
        # Shown again without a second download: the outlines were kept.
        wards.check()
        page.wait_for_function(f"{PATHS} === 1 + {shown}")
        assert errors == []


def test_reports_at_one_spot_spread_apart_at_the_closest_zoom(demo_site: str, output_dir: Path) -> None:
    reports = [report_make(title=f"Đèn đường hỏng {i}") for i in range(3)]
    Report.objects.filter(pk__in=[r.pk for r in reports]).update(is_public=True)
    lng, lat = pin(reports[0])
    assert all(pin(r) == (lng, lat) for r in reports)
    with chromium() as browser:
        # On a phone: each spread marker keeps a 44 px tap target that no other covers.
        page = browser.new_page(viewport={"width": 390, "height": 844})
        errors = page_errors(page)
        page.goto(f"{demo_site}/ban-do/?lat={lat}&lng={lng}&z=19")
        page.wait_for_function("document.querySelectorAll('.rmap-report').length === 3")
        boxes = [page.locator(".rmap-report").nth(i).bounding_box() for i in range(3)]
        centres = [(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2) for b in boxes if b is not None]
        assert len(centres) == 3
        # Apart on a circle around the spot, each with a leg to it: none hides another.
        for i, (x1, y1) in enumerate(centres):
            for x2, y2 in centres[i + 1 :]:
                assert math.hypot(x1 - x2, y1 - y2) > 20
        assert page.locator("path.map-spider-leg").count() == 3
        assert small_tap_targets(page) == []
        # A tap beside the small dot, inside its target, opens that report.
        x, y = centres[1]
        page.mouse.click(x + 19, y + 19)
        page.wait_for_selector(".rmap-card")
        assert page.inner_text(".rmap-card-code").split(": ")[1] in {r.code for r in reports}
        page.screenshot(path=str(output_dir / "report-map-spread.png"), full_page=False)
        page.wait_for_load_state("networkidle")
        assert errors == []
        page.close()
