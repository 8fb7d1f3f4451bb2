"""The English catalogue: with English chosen, the public pages speak English; by default, Vietnamese."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import lxml.html
import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

# Per page: (English texts that must show, the Vietnamese texts they replace).
PAGES: dict[str, tuple[list[str], list[str]]] = {
    "/": (
        ["Map of the areas we take reports for", "Skip to main content", "Send a report", "Look up", "Sign in"],
        ["Bản đồ địa bàn tiếp nhận phản ánh", "Bỏ qua, đến nội dung chính", "Gửi phản ánh", "Tra cứu", "Đăng nhập"],
    ),
    "/phan-anh/": (
        ["Look up reports", "Search by code, title, details or address", "Advanced search", "Clear search"],
        ["Tra cứu phản ánh", "Tìm theo mã, tiêu đề, nội dung hoặc địa chỉ", "Tìm nâng cao", "Xoá điều kiện"],
    ),
    "/phan-anh/tra-cuu/": (
        ["<h1>Find my report</h1>", "Report code", "Phone number you sent it with", "Send a confirmation code"],
        ["<h1>Tìm phản ánh của tôi</h1>", "Mã phản ánh", "Số điện thoại đã dùng khi gửi", "Gửi mã xác nhận"],
    ),
    "/phan-anh/gui/": (
        [
            "<h1>Send a report or feedback</h1>",
            "<legend>Type and category</legend>",
            "<legend>Location",
            "<legend>Details</legend>",
            "<legend>Photos and attachments</legend>",
            "<legend>Sender</legend>",
            "<legend>Verification</legend>",
            "Report or feedback",
            "— Choose a category —",
            "Fields marked * are required.",
            "Your phone number, e-mail and ID card number are only used by the handling agency to contact you",
        ],
        [
            "<h1>Gửi phản ánh, kiến nghị</h1>",
            "<legend>Loại và chuyên mục</legend>",
            "<legend>Vị trí",
            "<legend>Nội dung</legend>",
            "<legend>Hình ảnh, tệp đính kèm</legend>",
            "<legend>Người gửi</legend>",
            "<legend>Xác nhận</legend>",
            "Phản ánh, kiến nghị",
            "— Chọn chuyên mục —",
            "Các mục có dấu * là bắt buộc.",
            "Số điện thoại, e-mail và số CCCD/CMND chỉ dùng để cơ quan xử lý liên hệ với bạn",
        ],
    ),
    "/tai-khoan/dang-nhap/": (
        ["<h1>Sign in</h1>", "Username, phone number or e-mail", "Password", "Citizens do not need an account"],
        ["<h1>Đăng nhập</h1>", "Tên đăng nhập, số điện thoại hoặc e-mail", "Mật khẩu", "Người dân không cần tài khoản"],
    ),
}
FORM_SCRIPT = re.compile(r'<script id="report-form-text" type="application/json">(.*?)</script>', re.S)


def english(client: Client) -> Client:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    return client


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("url", PAGES)
def test_english_pages_show_the_english_texts(client: Client, demo: None, url: str) -> None:
    text = page(english(client), url)
    assert '<html lang="en">' in text
    wanted, replaced = PAGES[url]
    assert [s for s in wanted if s not in text] == []
    assert [s for s in replaced if s in text] == []


@pytest.mark.parametrize("url", PAGES)
def test_without_a_choice_the_pages_stay_vietnamese(client: Client, demo: None, url: str) -> None:
    text = page(client, url)
    assert '<html lang="vi">' in text
    english_texts, wanted = PAGES[url]
    assert [s for s in wanted if s not in text] == []
    assert [s for s in english_texts if s in text] == []


def test_the_report_form_script_texts_follow_the_language(client: Client, demo: None) -> None:
    vietnamese = FORM_SCRIPT.search(page(client, "/phan-anh/gui/"))
    assert vietnamese is not None
    assert json.loads(vietnamese.group(1))["located"] == "Vị trí đã chọn: {place}"
    translated = FORM_SCRIPT.search(page(english(client), "/phan-anh/gui/"))
    assert translated is not None
    texts = json.loads(translated.group(1))
    assert texts["located"] == "Selected location: {place}"
    assert texts["support"] == "I have this problem too"
    assert texts["wardPlaceholder"] == "— Choose a ward or commune —"


def test_english_form_errors_are_english(client: Client, demo: None) -> None:
    response = english(client).post("/phan-anh/gui/", {})
    assert response.status_code == 400
    text = html.unescape(response.content.decode())
    assert "The report has not been sent yet. Please correct the following:" in text
    assert "Enter a title." in text
    assert "Hãy nhập tiêu đề." not in text


# --- No untranslated Vietnamese on the citizen pages ------------------------------------------------------
# Letters only Vietnamese uses (tone marks, ơ ư ă đ...): English text never has them.
VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.I)


def _content_texts() -> list[str]:
    """What people and the province wrote (names of places, agencies and categories, reports, warnings):
    content, shown as written. Longest first, so a name is removed before a shorter one inside it."""
    from agencies.models import Agency
    from alerts.models import Alert
    from boundaries.models import AdminUnit
    from incidents.models import Answer, Category, CategoryQuestion, Report, ReportEvent

    texts: set[str] = set()
    sources: list[tuple[Any, list[str]]] = [
        (AdminUnit, ["name"]),
        (Agency, ["name"]),
        (Category, ["name", "description"]),
        (CategoryQuestion, ["prompt", "description", "values"]),
        (Report, ["title", "description", "address", "reporter_name"]),
        (ReportEvent, ["note"]),
        (Answer, ["body"]),
        (Alert, ["headline", "description", "instruction", "area_description"]),
    ]
    for model, fields in sources:
        for row in model.objects.values_list(*fields):
            for value in row:
                if isinstance(value, str):
                    texts.update(line.strip() for line in value.splitlines() if line.strip())
                elif isinstance(value, list):  # question choices: [{"key": ..., "name": ...}]
                    texts.update(str(item.get("name", "")) for item in value if isinstance(item, dict))
    return sorted((t for t in texts if t), key=len, reverse=True)


def untranslated(page_html: str, content: list[str]) -> list[str]:
    """Vietnamese left on an English page, outside scripts, content marked lang="vi" and content from the database."""
    document = lxml.html.fromstring(page_html)
    for node in document.xpath("//script | //style | //*[@lang='vi']"):
        node.drop_tree()
    found = [str(t) for t in document.xpath("//body//text()")]
    found += [str(v) for v in document.xpath("//body//@*[name()='aria-label' or name()='title' or name()='alt']")]
    left = []
    for text in found:
        for written in content:
            if written in text:
                text = text.replace(written, "")
        if VIETNAMESE.search(text):
            left.append(" ".join(text.split()))
    return sorted(set(left))


def test_the_citizen_pages_in_english_leave_no_vietnamese_but_content(client: Client, demo: None) -> None:
    from alerts.models import Alert
    from tests.factories import report_make

    report = report_make(title="Cây đổ chắn đường")
    warning = Alert.objects.filter(approved_at__isnull=False).order_by("pk").first()
    assert warning is not None
    english(client)
    content = _content_texts()
    pages = ["/", "/phan-anh/gui/", "/ban-do/", "/phan-anh/", "/phan-anh/tra-cuu/", f"/phan-anh/{report.code}/"]
    pages += ["/canh-bao/", f"/canh-bao/{warning.pk}/", "/thong-ke/"]
    left = {url: found for url in pages if (found := untranslated(page(client, url), content))}
    assert left == {}
