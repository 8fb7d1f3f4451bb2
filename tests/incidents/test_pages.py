"""The report pages with Django's test client: the form, the public list and the detail page."""

from __future__ import annotations

import io
import re
import struct
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from captcha.models import CaptchaStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from accounts.models import User
from agencies.models import Role
from incidents import services
from incidents.models import Attachment, Report
from tests.conftest import point_in
from tests.factories import pin, staff_make

pytestmark = pytest.mark.django_db

WARD = "D25450"
OTHER_WARD = "D25456"
FORM_URL = "/phan-anh/gui/"
LIST_URL = "/phan-anh/"
PHONE_NATIONAL = "0912345678"
PHONE_E164 = "+84912345678"
EMAIL = "an.nguyen@example.vn"
ID_NUMBER = "079123456789"


# --- Helpers -------------------------------------------------------------------------------------------


class Page(HTMLParser):
    """Elements with their attributes, and the text inside each element that has an id."""

    VOID = {"input", "img", "br", "hr", "meta", "link", "source", "area", "base", "col", "embed", "track", "wbr"}

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text_by_id: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.elements.append((tag, values))
        if tag not in self.VOID:
            self._open.append((tag, values.get("id")))
            if values.get("id"):
                self.text_by_id[values["id"]] = ""

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                break

    def handle_data(self, data: str) -> None:
        for _, element_id in self._open:
            if element_id:
                self.text_by_id[element_id] += data

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def text(self, element_id: str) -> str:
        return " ".join(self.text_by_id[element_id].split())


def solve_captcha(html: str) -> dict[str, str]:
    (hidden,) = Page(html).find("input", name="captcha_0")
    key = hidden["value"]
    return {"captcha_0": key, "captcha_1": CaptchaStore.objects.get(hashkey=key).response}


def form_data(**changes: Any) -> dict[str, Any]:
    lng, lat = point_in(WARD)
    data: dict[str, Any] = {
        "kind": "feedback",
        "category": "chieu-sang",
        "title": "Đèn đường không sáng ở Phường 3",
        "description": "Ba cột đèn liền nhau không sáng từ tuần trước, đoạn đường rất tối.",
        "lat": f"{lat:.6f}",
        "lng": f"{lng:.6f}",
        "district": "",
        "ward": "",
        "address": "Trước số 12 đường 30/4, khu phố 1",
        "occurred_at": "",
        "reporter_type": "individual",
        "organization_name": "",
        "reporter_name": "Nguyễn Văn An",
        "reporter_phone": "912 345 678",
        "reporter_email": EMAIL,
        "reporter_id_number": ID_NUMBER,
        "is_public": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def send(client: Client, **changes: Any) -> Any:
    page = client.get(FORM_URL)
    assert page.status_code == 200
    return client.post(FORM_URL, {**form_data(**changes), **solve_captcha(page.content.decode())})


def new_report(**changes: Any) -> Report:
    reporter: dict[str, Any] = {
        "name": "Trần Thị Bình",
        "phone": "0987654321",
        "email": "binh@example.vn",
        "id_number": "012345678",
    }
    reporter.update(changes.pop("reporter", {}))
    lng, lat = point_in(changes.pop("ward", WARD))
    data = services.ReportInput(
        kind=changes.pop("kind", "feedback"),
        category=changes.pop("category", "giao-thong"),
        title=changes.pop("title", "Ổ gà lớn giữa đường"),
        description=changes.pop("description", "Ổ gà sâu, xe máy dễ té."),
        lng=lng,
        lat=lat,
        address=changes.pop("address", ""),
        reporter=services.ReporterInput(**reporter),
        **changes,
    )
    return services.report_create(data=data)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def mp4_bytes() -> bytes:
    box = b"ftyp" + b"isom" + b"\0\0\0\0" + b"isomiso2avc1mp41"
    return struct.pack(">I", len(box) + 4) + box + struct.pack(">I", 8) + b"mdat"


def wav_bytes() -> bytes:
    header = b"RIFF" + struct.pack("<I", 36) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
    return header + b"data" + struct.pack("<I", 0)


def results(html: str) -> str:
    """The list of reports on a list page (the search box echoes what was typed, by design)."""
    match = re.search(r'<ol class="report-list">.*?</ol>', html, re.S)
    return match.group(0) if match else ""


def assert_no_private_details(html: str) -> None:
    for secret in (PHONE_E164, PHONE_NATIONAL, "912345678", "0912 345 678", EMAIL, ID_NUMBER):
        assert secret not in html, secret


# --- The form ----------------------------------------------------------------------------------------


def test_form_renders_every_field_with_a_label_and_the_captcha(client: Client, demo: None) -> None:
    response = client.get(FORM_URL)
    assert response.status_code == 200
    html = response.content.decode()
    page = Page(html)
    labelled = {label["for"] for label in page.find("label") if label.get("for")}
    controls = [
        (tag, attrs)
        for tag, attrs in page.elements
        if tag in {"input", "select", "textarea"} and attrs.get("type") not in {"hidden", "submit", "button"}
    ]
    assert len(controls) > 20
    for tag, attrs in controls:
        assert attrs.get("id") in labelled, (tag, attrs)
    # Every description a field points at exists.
    ids = {attrs["id"] for _, attrs in page.elements if attrs.get("id")}
    for _, attrs in page.elements:
        for ref in attrs.get("aria-describedby", "").split():
            assert ref in ids, ref
    legends = [page.text(attrs["id"]) for tag, attrs in page.elements if tag == "legend" and attrs.get("id")]
    assert legends == [] or all(legends)
    assert html.count("<legend") >= 6
    for text in (
        "Phản ánh, kiến nghị",
        "Hiến kế",
        "Chuyên mục",
        "Đồng ý công khai họ tên",
        "Đồng ý công khai phản ánh",
        "Số CCCD/CMND",
        "Có thể bỏ số 0 ở đầu",
        "Mã xác nhận",
        "Tổ chức",
        "Tối đa 10 tệp",
        "Vị trí của tôi",
    ):
        assert text in html, text
    assert page.find("input", name="captcha_0")
    (files,) = page.find("input", name="attachments")
    assert "multiple" in files and "video/*" in files["accept"]
    (when,) = page.find("input", name="occurred_at")
    assert when["type"] == "datetime-local"
    # District and ward are chosen on the server-rendered page too (no JavaScript needed).
    assert page.find("option", value="D703")
    assert page.find("option", value=WARD)
    assert len(page.find("option")) > 15 + 6 + 39


def test_signed_in_sender_sees_no_captcha_and_finds_name_and_email_filled_in(client: Client, demo: None) -> None:
    user = User.objects.create_user(
        username="an", password="Mật-khẩu-dài-123", first_name="An", last_name="Nguyễn", email="an@example.vn"
    )
    client.force_login(user)
    html = client.get(FORM_URL).content.decode()
    page = Page(html)
    assert not page.find("input", name="captcha_0")
    (name,) = page.find("input", name="reporter_name")
    (email,) = page.find("input", name="reporter_email")
    assert name["value"] == user.get_full_name()
    assert email["value"] == "an@example.vn"
    response = client.post(FORM_URL, form_data(reporter_phone="", reporter_email="an@example.vn"))
    assert response.status_code == 303
    report = Report.objects.get()
    assert report.user == user


def test_an_operator_types_in_the_callers_details_and_the_report_is_the_callers(client: Client, demo: None) -> None:
    operator = staff_make("tongdai.kiemthu", "ubnd-d72", Role.OPERATOR)
    operator.first_name, operator.phone = "Tổng đài viên", "+84900000001"
    operator.save()
    client.force_login(operator)
    page = Page(client.get(FORM_URL).content.decode())
    (name,) = page.find("input", name="reporter_name")
    (phone,) = page.find("input", name="reporter_phone")
    assert not name.get("value") and not phone.get("value")
    assert "người gọi" in client.get(FORM_URL).content.decode()
    response = client.post(FORM_URL, form_data(reporter_name="Trần Thị Gọi", reporter_phone="0912345678"))
    assert response.status_code == 303
    report = Report.objects.get()
    assert (report.channel, report.reporter_name, report.reporter_phone) == ("hotline", "Trần Thị Gọi", "+84912345678")


def test_anonymous_report_is_stored_and_the_sender_lands_on_it_with_its_code(client: Client, demo: None) -> None:
    response = send(client, occurred_at="2024-05-01T07:30")
    assert response.status_code == 303
    report = Report.objects.get()
    assert response["Location"] == f"/phan-anh/{report.code}/?moi=1"
    assert report.ward is not None and report.ward.code == WARD
    assert report.reporter_phone == PHONE_E164
    assert report.channel == "web"
    assert report.occurred_at is not None and timezone.localtime(report.occurred_at).hour == 7
    detail = client.get(response["Location"])
    html = detail.content.decode()
    assert detail.status_code == 200
    assert "Mã phản ánh của bạn là" in html
    assert report.code in Page(html).text("sent-box")
    assert f"{report.deadline:%d/%m/%Y}" in Page(html).text("sent-box")
    assert_no_private_details(html)
    # Someone else following the same link sees the report but not the box meant for the sender.
    other = Client().get(response["Location"]).content.decode()
    assert report.code in other and "Mã phản ánh của bạn là" not in other


def test_wrong_captcha_is_refused_and_nothing_is_stored(client: Client, demo: None) -> None:
    page = client.get(FORM_URL).content.decode()
    answer = solve_captcha(page)
    answer["captcha_1"] = "sai" + answer["captcha_1"]
    response = client.post(FORM_URL, {**form_data(), **answer})
    assert response.status_code == 400
    assert Report.objects.count() == 0
    html = response.content.decode()
    assert "Mã xác nhận không đúng" in Page(html).text("id_captcha_error")
    # What the person typed is still there, with a fresh captcha.
    (title,) = Page(html).find("input", name="title")
    assert title["value"] == "Đèn đường không sáng ở Phường 3"
    assert Page(html).find("input", name="captcha_0")[0]["value"] != answer["captcha_0"]


def test_missing_captcha_is_refused(client: Client, demo: None) -> None:
    client.get(FORM_URL)
    response = client.post(FORM_URL, form_data())
    assert response.status_code == 400
    assert Report.objects.count() == 0
    assert "Hãy nhập mã xác nhận" in response.content.decode()


def test_pin_outside_every_boundary_is_refused_at_the_location_field(client: Client, demo: None) -> None:
    # Hà Nội: far from the demo province.
    response = send(client, lat="21.028500", lng="105.854200")
    assert response.status_code == 400
    assert Report.objects.count() == 0
    html = response.content.decode()
    page = Page(html)
    assert "ngoài địa bàn" in page.text("location-error")
    (fieldset,) = page.find("fieldset", id="location")
    assert "location-error" in fieldset["aria-describedby"].split()
    assert '<a href="#location">' in html
    (lat,) = page.find("input", name="lat")
    assert lat["value"] == "21.028500"
    (description,) = page.find("textarea", name="description")


def test_without_a_pin_the_chosen_ward_places_the_report(client: Client, demo: None) -> None:
    response = send(client, lat="", lng="", district="D703", ward=WARD)
    assert response.status_code == 303
    report = Report.objects.get()
    assert report.ward is not None and report.ward.code == WARD


def test_without_a_pin_or_a_ward_the_location_is_asked_for(client: Client, demo: None) -> None:
    response = send(client, lat="", lng="")
    assert response.status_code == 400
    assert "Hãy đặt ghim trên bản đồ" in Page(response.content.decode()).text("location-error")
    assert Report.objects.count() == 0


def test_service_errors_are_shown_on_their_fields_and_tied_to_them(client: Client, demo: None) -> None:
    response = send(client, reporter_phone="12", reporter_id_number="123", title="   ")
    assert response.status_code == 400
    html = response.content.decode()
    page = Page(html)
    assert "Hãy nhập tiêu đề" in page.text("id_title_error")
    (title,) = page.find("input", name="title")
    assert "id_title_error" in title["aria-describedby"].split()
    assert title["aria-invalid"] == "true"
    assert Report.objects.count() == 0
    # The form passes; the service refuses the phone and the ID number.
    response = send(client, reporter_phone="12", reporter_id_number="123")
    assert response.status_code == 400
    page = Page(response.content.decode())
    assert "không hợp lệ" in page.text("id_reporter_phone_error")
    assert "9 hoặc 12 chữ số" in page.text("id_reporter_id_number_error")
    (phone,) = page.find("input", name="reporter_phone")
    assert phone["value"] == "12"
    assert "id_reporter_phone_error" in phone["aria-describedby"].split()
    assert "id_reporter_phone_helptext" in phone["aria-describedby"].split()
    assert page.find("a", href="#id_reporter_phone")
    assert Report.objects.count() == 0


def test_organisation_needs_its_name(client: Client, demo: None) -> None:
    response = send(client, reporter_type="organization")
    assert response.status_code == 400
    assert "Hãy nhập tên tổ chức" in Page(response.content.decode()).text("id_organization_name_error")
    response = send(client, reporter_type="organization", organization_name="Hợp tác xã Tân Biên")
    assert response.status_code == 303
    report = Report.objects.get()
    assert report.is_organization and report.organization_name == "Hợp tác xã Tân Biên"


def test_attachments_are_stored_and_shown_with_players(client: Client, demo: None) -> None:
    page = client.get(FORM_URL).content.decode()
    files = [
        SimpleUploadedFile("anh.png", png_bytes(), "image/png"),
        SimpleUploadedFile("clip.mp4", mp4_bytes(), "video/mp4"),
        SimpleUploadedFile("tieng.wav", wav_bytes(), "audio/wav"),
    ]
    response = client.post(FORM_URL, {**form_data(), **solve_captcha(page), "attachments": files})
    assert response.status_code == 303, response.content.decode()[:3000]
    report = Report.objects.get()
    image, video, audio = report.attachments.order_by("id")
    html = Client().get(f"/phan-anh/{report.code}/").content.decode()
    page_ = Page(html)
    assert page_.find("a", href=f"/phan-anh/{report.code}/tep/{image.pk}/")
    assert page_.find("img", src=f"/phan-anh/{report.code}/tep/{image.pk}/anh-nho/")
    assert page_.find("video", src=f"/phan-anh/{report.code}/tep/{video.pk}/")
    # A voice recording is the sender's personal data: for them and the staff, not on the public page.
    assert not page_.find("audio") and f"/tep/{audio.pk}/" not in html
    assert Client().get(f"/phan-anh/{report.code}/tep/{audio.pk}/").status_code == 404
    assert Client().get(f"/phan-anh/{report.code}/tep/{image.pk}/anh-nho/").status_code == 200
    # A hidden attachment is neither shown nor served.
    Attachment.objects.filter(pk=image.pk).update(is_hidden=True)
    html = Client().get(f"/phan-anh/{report.code}/").content.decode()
    assert f"/tep/{image.pk}/" not in html
    assert Client().get(f"/phan-anh/{report.code}/tep/{image.pk}/").status_code == 404


def test_a_refused_file_is_reported_on_the_attachment_field(client: Client, demo: None) -> None:
    page = client.get(FORM_URL).content.decode()
    bad = SimpleUploadedFile("virus.exe", b"MZ\x90\x00" + b"\0" * 100, "application/octet-stream")
    response = client.post(FORM_URL, {**form_data(), **solve_captcha(page), "attachments": [bad]})
    assert response.status_code == 400
    html = response.content.decode()
    assert Page(html).text("id_attachments_error")
    assert "chọn lại tệp đính kèm" in html
    assert Report.objects.count() == 0


def test_a_non_public_report_is_shown_to_its_sender_only(client: Client, demo: None) -> None:
    response = send(client, is_public=None)
    assert response.status_code == 303
    report = Report.objects.get()
    assert report.is_public is False
    assert client.get(response["Location"]).status_code == 200
    assert Client().get(response["Location"]).status_code == 404
    assert report.code not in Client().get(LIST_URL).content.decode()


# --- Escaping and privacy ------------------------------------------------------------------------------


def test_script_in_the_title_is_shown_as_text_on_the_detail_and_list_pages(client: Client, demo: None) -> None:
    response = send(client, title="<script>alert(1)</script>", description="<img src=x onerror=alert(2)>")
    assert response.status_code == 303
    report = Report.objects.get()
    for url in (f"/phan-anh/{report.code}/", LIST_URL, f"{LIST_URL}?q=alert"):
        html = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
        assert "<img src=x" not in html, url


def test_detail_and_list_never_show_phone_email_or_id_number(client: Client, demo: None) -> None:
    response = send(client, show_name="on")
    report = Report.objects.get()
    assert report.reporter_phone == PHONE_E164 and report.reporter_id_number == ID_NUMBER
    # The code typed in the look-up opens the report page (tests/incidents/test_lookup_code.py).
    for url in (response["Location"], f"/phan-anh/{report.code}/", LIST_URL, f"{LIST_URL}?q={report.code}"):
        html = client.get(url, follow=True).content.decode()
        assert report.code in html, url
        assert_no_private_details(html)
    html = client.get(LIST_URL, {"sender_phone": PHONE_NATIONAL}).content.decode()
    assert report.code in results(html)
    assert_no_private_details(results(html))
    assert "Nguyễn Văn An" in client.get(f"/phan-anh/{report.code}/").content.decode()


def test_confidential_report_shows_no_name(client: Client, demo: None) -> None:
    response = send(client, confidential="on", reporter_name="Lê Văn Kín")
    assert response.status_code == 303
    report = Report.objects.get()
    for url in (response["Location"], f"/phan-anh/{report.code}/", LIST_URL):
        html = client.get(url).content.decode()
        assert "Lê Văn Kín" not in html
        assert_no_private_details(html)
    assert "giữ bí mật" in client.get(f"/phan-anh/{report.code}/").content.decode()


# --- The list ------------------------------------------------------------------------------------------


def test_list_shows_the_columns_of_a_report(client: Client, demo: None) -> None:
    report = new_report(title="Cây đổ ở Phường 3", description="Một cây lớn đổ chắn đường. " * 20)
    html = client.get(LIST_URL).content.decode()
    page = Page(html)
    item = page.text(f"r-{report.code}")
    assert "Cây đổ ở Phường 3" in item
    assert report.code in html
    assert f"{report.created_at.astimezone(timezone.get_current_timezone()):%d/%m/%Y}" in html
    assert f"{report.deadline:%d/%m/%Y}" in html
    assert "Đã chuyển xử lý" in html
    assert report.ward is not None and report.ward.name in html
    # The excerpt is cut short.
    assert html.count("Một cây lớn đổ chắn đường.") < 20


def test_list_search_ignores_diacritics_and_finds_codes(client: Client, demo: None) -> None:
    wanted = new_report(title="Ngập nước ở Phường 3 sau mưa")
    other = new_report(title="Rác thải bên đường", ward=OTHER_WARD)
    html = client.get(LIST_URL, {"q": "phuong 3"}).content.decode()
    assert wanted.code in html and other.code not in html
    html = client.get(LIST_URL, {"q": "PHƯỜNG 3"}).content.decode()
    assert wanted.code in html and other.code not in html
    # An exact code opens that report.
    html = client.get(LIST_URL, {"q": other.code}, follow=True).content.decode()
    assert other.code in html and wanted.code not in html
    html = client.get(LIST_URL, {"q": "không có gì như thế này"}).content.decode()
    assert "Không có phản ánh nào phù hợp" in html


def test_sender_phone_search_finds_only_that_senders_non_confidential_reports(client: Client, demo: None) -> None:
    mine = new_report(title="Phản ánh công khai của An", reporter={"phone": PHONE_NATIONAL, "confidential": False})
    secret = new_report(title="Phản ánh bí mật của An", reporter={"phone": PHONE_NATIONAL, "confidential": True})
    someone_else = new_report(title="Phản ánh của người khác", reporter={"phone": "0987654321"})
    # A search key for staff only (anyone else's is ignored: tests/incidents/test_public_actions.py).
    client.force_login(staff_make("canbo", "ubnd-d25450", Role.OFFICER))
    for typed in (PHONE_NATIONAL, "912 345 678", PHONE_E164):
        html = client.get(LIST_URL, {"sender_phone": typed}).content.decode()
        assert mine.code in results(html), typed
        assert secret.code not in html and someone_else.code not in html, typed
        assert "0987654321" not in html and "+84987654321" not in html
    html = client.get(LIST_URL).content.decode()
    assert "chỉ tìm đúng người gửi" in html.lower()


def test_advanced_filters_narrow_the_list(client: Client, demo: None) -> None:
    road = new_report(title="Ổ gà", category="giao-thong")
    light = new_report(title="Đèn tắt", category="chieu-sang", ward=OTHER_WARD, kind="idea")
    assert road.ward is not None and light.ward is not None
    html = client.get(LIST_URL, {"category": "chieu-sang"}).content.decode()
    assert light.code in html and road.code not in html
    html = client.get(LIST_URL, {"ward": road.ward.code}).content.decode()
    assert road.code in html and light.code not in html
    html = client.get(LIST_URL, {"kind": "idea"}).content.decode()
    assert light.code in html and road.code not in html
    html = client.get(LIST_URL, {"status": "completed"}).content.decode()
    assert "Không có phản ánh nào phù hợp" in html
    html = client.get(LIST_URL, {"status": "open"}).content.decode()
    assert light.code in html and road.code in html
    today = timezone.localdate()
    html = client.get(LIST_URL, {"date_from": f"{today + timedelta(days=1):%Y-%m-%d}"}).content.decode()
    assert "Không có phản ánh nào phù hợp" in html
    html = client.get(LIST_URL, {"date_from": f"{today:%d/%m/%Y}", "date_to": f"{today:%Y-%m-%d}"}).content.decode()
    assert light.code in html and road.code in html
    html = client.get(LIST_URL, {"sender_name": "tran thi binh"}).content.decode()
    assert light.code in html and road.code in html
    # The advanced part is open when it is used.
    assert '<details class="advanced" open>' in html


def test_bad_dates_give_a_message_not_an_error(client: Client, demo: None) -> None:
    report = new_report()
    response = client.get(LIST_URL, {"date_from": "31/02/2024", "date_to": "hôm qua", "status": "nonsense"})
    assert response.status_code == 200
    html = response.content.decode()
    page = Page(html)
    assert "Ngày không hợp lệ" in page.text("id_date_from_error")
    assert "Ngày không hợp lệ" in page.text("id_date_to_error")
    assert "Trạng thái không hợp lệ" in html
    assert report.code in html
    response = client.get(LIST_URL, {"date_from": "2024-05-02", "date_to": "2024-05-01"})
    assert response.status_code == 200
    assert "phải sau hoặc bằng" in response.content.decode()


def test_list_pages_by_twenty_and_keeps_the_filters_in_page_links(client: Client, demo: None) -> None:
    for number in range(23):
        new_report(title=f"Ổ gà số {number}")
    new_report(title="Cây đổ", description="Cây đổ chắn đường.")
    html = client.get(LIST_URL, {"q": "o ga"}).content.decode()
    assert html.count('class="report-item"') == 20
    assert "Tìm thấy 23 phản ánh" in html
    links = re.findall(r'href="(\?[^"]*)" rel="next"', html)
    assert links == ["?q=o+ga&amp;page=2"]
    html = client.get(LIST_URL, {"q": "o ga", "page": "2"}).content.decode()
    assert html.count('class="report-item"') == 3
    assert 'href="?q=o+ga&amp;page=1" rel="prev"' in html
    # A page number out of range shows the last page rather than an error.
    assert client.get(LIST_URL, {"q": "o ga", "page": "99"}).status_code == 200


def test_detail_shows_map_answer_history_and_keeps_private_reports_private(client: Client, demo: None) -> None:
    report = new_report(title="Cây đổ chắn đường")
    html = client.get(f"/phan-anh/{report.code}/").content.decode()
    page = Page(html)
    (map_box,) = page.find("div", id="report-map")
    assert float(map_box["data-lat"]) == pytest.approx(pin(report)[1])
    assert float(map_box["data-lng"]) == pytest.approx(pin(report)[0])
    assert "Tiếp nhận phản ánh" in html and "Chuyển xử lý" in html
    assert "Chưa có kết quả" in html
    Report.objects.filter(pk=report.pk).update(is_public=False)
    assert client.get(f"/phan-anh/{report.code}/").status_code == 404
    assert client.get("/phan-anh/000000000000/").status_code == 404


# --- Consent: nothing pre-ticked, confidential unless chosen, the choice recorded ----------------------


def _consent_boxes(html: str) -> list[dict[str, str]]:
    page = Page(html)
    return [attrs for tag, attrs in page.elements if tag == "input" and attrs.get("type") == "checkbox"]


@pytest.mark.parametrize("who", ["anonymous", "citizen", "operator"])
def test_no_box_on_the_form_starts_ticked(client: Client, demo: None, who: str) -> None:
    if who == "citizen":
        client.force_login(User.objects.create_user(username="an", password="Mật-khẩu-dài-123"))
    elif who == "operator":
        client.force_login(staff_make("tongdai.kiemthu", "ubnd-d72", Role.OPERATOR))
    html = client.get(FORM_URL).content.decode()
    boxes = _consent_boxes(html)
    assert {box["name"] for box in boxes} >= {"show_name", "is_public"}
    assert not [box["name"] for box in boxes if "checked" in box]
    # Unticked means confidential: the form says so next to the box.
    assert "giữ bí mật" in html.lower()


def test_a_sender_who_ticks_nothing_stays_confidential_and_the_choice_is_recorded(client: Client, demo: None) -> None:
    before = timezone.now()
    response = send(client, is_public=None, reporter_name="Lê Văn Kín")
    assert response.status_code == 303
    report = Report.objects.get()
    assert report.confidential is True and report.is_public is False
    assert (report.consent_name_public, report.consent_report_public, report.consent_channel) == (False, False, "web")
    assert report.consent_at is not None and report.consent_at >= before
    html = client.get(response["Location"]).content.decode()  # the sender still sees it
    assert "Lê Văn Kín" not in html
    assert_no_private_details(html)


def test_a_sender_who_chooses_to_show_the_name_is_shown_and_recorded(client: Client, demo: None) -> None:
    response = send(client, show_name="on", reporter_name="Lê Văn Hiện")
    assert response.status_code == 303
    report = Report.objects.get()
    assert report.confidential is False and report.is_public is True
    assert (report.consent_name_public, report.consent_report_public, report.consent_channel) == (True, True, "web")
    for url in (f"/phan-anh/{report.code}/", f"/api/v1/reports/{report.code}/"):
        html = Client().get(url).content.decode()
        assert "Lê Văn Hiện" in html, url
        assert_no_private_details(html)


def test_a_callers_choice_is_recorded_by_the_operator_and_defaults_to_confidential(client: Client, demo: None) -> None:
    client.force_login(staff_make("tongdai.kiemthu", "ubnd-d72", Role.OPERATOR))
    response = client.post(FORM_URL, form_data(reporter_name="Trần Thị Gọi", reporter_phone="0912345678"))
    assert response.status_code == 303
    report = Report.objects.get()
    assert report.channel == "hotline" and report.confidential is True
    assert (report.consent_name_public, report.consent_channel) == (False, "hotline")
    for url in (f"/phan-anh/{report.code}/", LIST_URL, f"/api/v1/reports/{report.code}/", "/api/v1/reports/"):
        html = Client().get(url).content.decode()
        assert report.code in html, url
        assert "Trần Thị Gọi" not in html, url
        assert_no_private_details(html)
