"""In headless Chromium: the pages run under our Content-Security-Policy without a violation, and
server-given names on the maps are text, never markup."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page

from boundaries.models import AdminUnit
from incidents.models import Report
from tests.browser import DESKTOP, chromium, sign_in
from tests.factories import report_make

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

MARKUP = '<img src=x onerror="window.__injected = 1"><b>Quận Mới</b>'


def _watch(page: Page) -> list[str]:
    problems: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            problems.append(f"{page.url}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda exc: problems.append(f"{page.url}: {exc}"))
    return problems


def test_pages_load_without_a_policy_violation(demo_site: str) -> None:
    report = report_make()
    Report.objects.filter(pk=report.pk).update(is_public=True)
    public = [
        "/",
        "/phan-anh/",
        "/phan-anh/gui/",
        f"/phan-anh/{report.code}/",
        "/ban-do/",
        "/thong-ke/",
        "/canh-bao/",
        "/tai-khoan/dang-nhap/",
    ]  # the API documentation has its own test below: its policy and ReDoc's CDN logo differ
    staff = ["/can-bo/phan-anh/", f"/can-bo/phan-anh/{report.code}/", "/can-bo/ban-do-nhiet/", "/canh-bao/quan-ly/tao/"]
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP, bypass_csp=False)
        problems = _watch(page)
        for path in public:
            page.goto(f"{demo_site}{path}", wait_until="networkidle")
        page.goto(f"{demo_site}/tai-khoan/dang-nhap/?next=/can-bo/phan-anh/")
        sign_in(page, "quantri", "demo-12345")
        page.wait_for_url("**/can-bo/phan-anh/")
        for path in staff:
            page.goto(f"{demo_site}{path}", wait_until="networkidle")
        assert problems == []


def test_the_api_documentation_renders_under_its_policy(demo_site: str) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP, bypass_csp=False)
        problems = _watch(page)
        page.goto(f"{demo_site}/api/docs/")
        page.locator(".swagger-ui .opblock").first.wait_for()
        page.goto(f"{demo_site}/api/redoc/")
        page.get_by_text("Phản ánh hiện trường API").first.wait_for()
        # ReDoc's "by Redocly" logo is an image on its CDN: the policy keeps the page from calling out.
        assert [p for p in problems if "https://cdn.redoc.ly/" not in p] == []


def test_a_unit_name_with_markup_shows_as_text_on_the_map(demo_site: str) -> None:
    AdminUnit.objects.filter(level=2).update(name=MARKUP)
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP, bypass_csp=False)
        problems = _watch(page)
        page.goto(f"{demo_site}/ban-do/")
        # A function, not an expression: Playwright would eval an expression, which the policy refuses.
        page.wait_for_function("() => document.querySelectorAll('.leaflet-overlay-pane path').length >= 7")
        # Every border's tooltip opened, as a pointer over it would.
        page.evaluate(
            """() => window.reportMap.eachLayer(function (layer) {
                 if (layer.getTooltip && layer.getTooltip() && layer.feature) {
                   layer.openTooltip(layer.getBounds().getCenter());
                 }
               })"""
        )
        tooltips = page.locator(".leaflet-tooltip")
        tooltips.first.wait_for()
        assert MARKUP in tooltips.all_text_contents()
        assert page.locator(".leaflet-tooltip img, .leaflet-tooltip b").count() == 0
        assert page.evaluate("window.__injected") is None
        assert problems == []
