"""The report form asks the chosen category's extra questions, on a 390 px phone, by keyboard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import ViewportSize

from tests.browser import chromium

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PHONE_390: ViewportSize = {"width": 390, "height": 844}


def test_the_form_shows_the_chosen_categorys_questions_only(demo_site: str, output_dir: Path) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport=PHONE_390)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{demo_site}/phan-anh/gui/")
        waste, roads = page.locator("#questions-ve-sinh-moi-truong"), page.locator("#questions-giao-thong")
        assert waste.is_hidden() and roads.is_hidden()  # no category chosen yet

        page.select_option("#id_category", "ve-sinh-moi-truong")
        assert waste.is_visible() and roads.is_hidden()
        assert waste.locator("legend").first.inner_text() == "Thông tin thêm về Vệ sinh môi trường và rác thải"
        # A required question says so to eyes and to screen readers; nothing is ticked for the person.
        kinds = page.get_by_role("group", name=re.compile(r"^Đó là loại rác gì\?\s*\(bắt buộc\)$"))
        assert kinds.get_by_role("checkbox").count() == 4
        assert waste.locator("input:checked").count() == 0
        for label in waste.locator(".choices label").all():
            box = label.bounding_box()
            assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 390

        # By keyboard: from the category, Tab reaches the first choice and Space ticks it.
        page.focus("#id_category")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "id_q__ve-sinh-moi-truong__loai-rac_0"
        page.keyboard.press("Space")
        assert kinds.get_by_role("checkbox", name="Rác sinh hoạt").is_checked()
        waste.screenshot(path=str(output_dir / "report-form-questions-390.png"))

        # Another category: its questions instead, and the first one's are no longer sent.
        page.select_option("#id_category", "giao-thong")
        assert roads.is_visible() and waste.is_hidden()
        assert page.evaluate("document.getElementById('questions-ve-sinh-moi-truong').disabled")
        assert "gọi Cảnh sát giao thông (113)" in roads.locator(".question-note").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert errors == []
        page.close()
