"""Category names in the page's language: English pages show a category's English name (Category.name_en),
or its Vietnamese name when it has none; Vietnamese pages, the citizens' messages and the feed keep the
Vietnamese name."""

from __future__ import annotations

import html

import pytest
from django.test import Client

from tests.factories import report_make

pytestmark = pytest.mark.django_db

TREES_VI, TREES_EN = "Cây xanh", "Trees and greenery"


@pytest.fixture(autouse=True)
def _demo(demo_once: None) -> None:
    """The demo, loaded once for the module."""


def english(client: Client) -> Client:
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    return client


def text(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.content.decode())


def vietnamese_names_left(page: str) -> list[str]:
    """The Vietnamese names of categories (that have an English one) still on the page; a name that is also
    part of a place's or an agency's name (content, shown as written: "Phòng Y tế") is not counted."""
    from agencies.models import Agency
    from boundaries.models import AdminUnit
    from incidents.models import Category

    other = [*Agency.objects.values_list("name", flat=True), *AdminUnit.objects.values_list("name", flat=True)]
    names = Category.objects.exclude(name_en="").values_list("name", flat=True)
    return [name for name in names if name in page and not any(name in written for written in other)]


def test_the_demo_categories_have_english_names() -> None:
    from incidents.models import Category

    assert not Category.objects.filter(name_en="").exists()
    assert Category.objects.get(code="cay-xanh").name_en == TREES_EN


def test_english_pages_show_the_english_category_names(client: Client) -> None:
    from incidents.models import Category

    report = report_make(title="Cây đổ chắn đường", category="cay-xanh")
    english(client)
    pages = {url: text(client, url) for url in ["/", "/phan-anh/gui/", "/ban-do/", "/thong-ke/", "/phan-anh/"]}
    pages["report"] = text(client, f"/phan-anh/{report.code}/")
    assert {url: left for url, page in pages.items() if (left := vietnamese_names_left(page))} == {}
    for url in ["/phan-anh/gui/", "/ban-do/", "/thong-ke/", "/phan-anh/", "report"]:
        assert TREES_EN in pages[url], url
    # A category without an English name shows its Vietnamese one.
    Category.objects.filter(code="cay-xanh").update(name_en="")
    assert TREES_VI in text(client, f"/phan-anh/{report.code}/")
    assert f'<option value="cay-xanh">{TREES_VI}</option>' in text(client, "/phan-anh/gui/")


def test_vietnamese_pages_keep_the_vietnamese_category_names(client: Client) -> None:
    page = text(client, "/phan-anh/gui/")
    assert f'<option value="cay-xanh">{TREES_VI}</option>' in page
    assert TREES_EN not in page


def test_the_staff_worklist_in_english_shows_the_english_names(client: Client) -> None:
    from agencies.models import Role
    from tests.factories import staff_make

    report_make(title="Cây đổ chắn đường", category="cay-xanh")
    client.force_login(staff_make("canbo.ten", "ubnd-d72", Role.OPERATOR))
    english(client)
    page = text(client, "/can-bo/phan-anh/")
    assert TREES_EN in page
    assert vietnamese_names_left(page) == []
