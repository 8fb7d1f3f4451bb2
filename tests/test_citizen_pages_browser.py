"""The citizen pages in Debian Chromium at a phone's and a desktop's size: the header is a menu button on
a phone, every button is at least 44 px high, and axe-core finds no serious or critical accessibility
violation (home, report form, map, look-up, a report, warnings, statistics)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, ViewportSize

from alerts.models import Alert
from tests.browser import chromium, page_errors
from tests.factories import report_make

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WIDTHS: dict[str, ViewportSize] = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
# Everything a person presses: real buttons, link-buttons, the menu's disclosure button, the map's zoom.
PRESSABLE = (
    "button, input[type=submit], input[type=button], input[type=reset], [role=button], summary.menu-button,"
    " a.button-primary, a.button-secondary, a.header-action, .leaflet-bar a"
)
MEASURE = """selector => [...document.querySelectorAll(selector)]
  .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
  .filter(e => !e.classList.contains('leaflet-marker-icon'))
  .map(e => [e.outerHTML.slice(0, 90), e.getBoundingClientRect().height])
  .filter(([_, height]) => height < 43.5)"""


def citizen_pages(base: str) -> list[str]:
    report = report_make()
    alert = Alert.objects.filter(approved_at__isnull=False).order_by("pk").first()
    assert alert is not None, "the demo publishes warnings"
    return [
        "/",
        "/phan-anh/gui/",
        "/ban-do/",
        "/phan-anh/",
        "/phan-anh/tra-cuu/",
        f"/phan-anh/{report.code}/",
        "/canh-bao/",
        f"/canh-bao/{alert.pk}/",
        "/thong-ke/",
    ]


# axe-core from npm (scripts/vendor-assets.sh), run inside the page: the WCAG 2.1 A and AA rules.
AXE = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core" / "axe.min.js"
# Style sheets are preloaded, media not: the captcha's audio (preload="none", never autoplaying) would hold
# axe's media check until its 10 s timeout.
AXE_RUN = """() => axe.run(document, {runOnly: {type: "tag",
    values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, preload: {assets: ["cssom"]}})
  .then(r => r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => v.id + ": " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")))"""


SIDEWAYS = """() => [document.documentElement, ...document.querySelectorAll(".table-scroll")]
  .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.id || e.className || e.tagName)"""


def serious_violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result: list[str] = page.evaluate(AXE_RUN)
    return result


def small_buttons(page: Page) -> list[list[object]]:
    result: list[list[object]] = page.evaluate(MEASURE, PRESSABLE)
    return result


def test_citizen_pages_on_a_phone_and_a_desktop(demo_site: str, output_dir: Path) -> None:
    pages = citizen_pages(demo_site)
    with chromium() as browser:
        for name, viewport in WIDTHS.items():
            page = browser.new_page(viewport=viewport)
            errors = page_errors(page)
            too_small: dict[str, list[list[object]]] = {}
            violations: dict[str, list[str]] = {}
            too_wide: dict[str, list[str]] = {}
            for path in pages:
                page.goto(demo_site + path)
                page.wait_for_load_state("networkidle")
                if small := small_buttons(page):
                    too_small[path] = small
                if found := serious_violations(page):
                    violations[path] = found
                # Nothing wider than the screen, and no table to scroll sideways (statistics turn into cards).
                wide = page.evaluate(SIDEWAYS)
                if wide:
                    too_wide[path] = wide
            assert too_small == {}, name
            assert violations == {}, name
            assert too_wide == {}, name

            page.goto(demo_site + "/")
            header = page.locator(".site-header").bounding_box()
            assert header is not None
            menu = page.locator("summary.menu-button")
            if name == "phone":
                # One row, not 40 % of the screen; the links wait behind the menu button.
                assert header["height"] < 0.12 * viewport["height"]
                assert not page.get_by_role("link", name="Thống kê", exact=True).is_visible()
                assert page.get_by_role("link", name="Gửi phản ánh").first.is_visible()
                menu.click()
                page.get_by_role("link", name="Thống kê", exact=True).click()
                page.wait_for_url("**/thong-ke/")
            else:
                assert not menu.is_visible()
                assert page.get_by_role("link", name="Thống kê", exact=True).is_visible()
            page.goto(demo_site + "/")
            page.screenshot(path=str(output_dir / f"citizen-home-{name}.png"), full_page=True)
            assert errors == [], name
            page.close()
