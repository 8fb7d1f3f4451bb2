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


SIZE_VI, SIZE_EN = "Chỗ hư hỏng rộng khoảng bao nhiêu?", "How wide is the damage?"
SMALL_VI, SMALL_EN = "Nhỏ, dưới 30 cm", "Small, under 30 cm"
WASTE_NOTE_EN = "Choose every kind you see; hazardous waste is collected separately."


def test_english_report_form_shows_the_questions_in_english(client: Client) -> None:
    from incidents.models import CategoryQuestion

    page = text(english(client), "/phan-anh/gui/")
    assert SIZE_EN in page and SMALL_EN in page and WASTE_NOTE_EN in page
    assert SIZE_VI not in page and SMALL_VI not in page
    # A question or a choice without an English text shows its Vietnamese one.
    question = CategoryQuestion.objects.get(category__code="giao-thong", code="kich-thuoc")
    question.prompt_en = ""
    question.values = [{**item, "name_en": ""} for item in question.values]
    question.full_clean()
    question.save()
    page = text(client, "/phan-anh/gui/")
    assert SIZE_VI in page and SMALL_VI in page and SIZE_EN not in page


def test_vietnamese_report_form_keeps_the_vietnamese_questions(client: Client) -> None:
    page = text(client, "/phan-anh/gui/")
    assert SIZE_VI in page and SMALL_VI in page
    assert SIZE_EN not in page and SMALL_EN not in page


def test_the_staff_report_page_in_english_shows_the_answers_in_english(client: Client) -> None:
    from agencies.models import Role
    from tests.factories import staff_make

    report = report_make(title="Ổ gà", category="giao-thong")
    report.question_answers = {"kich-thuoc": "nho"}
    report.save(update_fields=["question_answers"])
    assert report.agency is not None
    client.force_login(staff_make("canbo.cauhoi", report.agency.code, Role.OFFICER))
    page = text(english(client), f"/can-bo/phan-anh/{report.code}/")
    assert SIZE_EN in page and SMALL_EN in page and SMALL_VI not in page
