"""The staff pages with Django's test client: the worklist, the report page and every action on it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import User
from agencies.models import Agency, Role, StaffRole
from incidents import services
from incidents.models import AnswerTemplate, Attachment, Report, ReportStatus
from tests.conftest import point_in

pytestmark = pytest.mark.django_db

WARD = "D25450"  # Phường 1, Thành phố Tây Ninh (district D703)
SAME_DISTRICT = "D25456"  # Phường Hiệp Ninh, Thành phố Tây Ninh
OTHER_DISTRICT = "D25470"  # Thị trấn Tân Biên, Huyện Tân Biên (D705)
LIST_URL = "/can-bo/phan-anh/"
LOGIN_URL = "/tai-khoan/dang-nhap/"
PASSWORD = "Mật-khẩu-dài-123"


def new_report(ward: str = WARD, **fields: Any) -> Report:
    lng, lat = point_in(ward)
    data = services.ReportInput(
        kind="feedback",
        category=fields.pop("category", "cay-xanh"),
        title=fields.pop("title", "Cây đổ chắn đường"),
        description=fields.pop("description", "Cây lớn đổ sau mưa, gọi 0987 111 222 để biết thêm."),
        lng=lng,
        lat=lat,
        address="12 đường 30/4",
        reporter=services.ReporterInput(
            name="Nguyễn Văn An", phone="0912345678", email="an@example.vn", id_number="079123456789"
        ),
        **fields,
    )
    return services.report_create(data=data)


def staff(username: str, agency_code: str, role: str) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, first_name=username.title())
    StaffRole.objects.create(user=user, agency=Agency.objects.get(code=agency_code), role=role)
    return user


def detail_url(report: Report, action: str = "") -> str:
    return f"{LIST_URL}{report.code}/{action + '/' if action else ''}"


def html_of(client: Client, url: str, **params: Any) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def officer(demo: None) -> User:
    return staff("canbo", "ubnd-d25450", Role.OFFICER)


@pytest.fixture
def leader(demo: None) -> User:
    return staff("lanhdao.phuong_pheduyet", "ubnd-d25450", Role.LEADER)


@pytest.fixture
def as_officer(client: Client, officer: User) -> Client:
    client.force_login(officer)
    return client


@pytest.fixture
def media(settings: SettingsWrapper, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


# --- Who may open the pages ------------------------------------------------------------------------


def test_anonymous_people_are_sent_to_sign_in(demo: None, client: Client) -> None:
    report = new_report()
    for url in (LIST_URL, detail_url(report)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(f"{LOGIN_URL}?next=/can-bo/phan-anh/")
    response = client.post(detail_url(report, "bat-dau"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN_URL)
    report.refresh_from_db()
    assert report.status == ReportStatus.FORWARDED


def test_a_signed_in_citizen_gets_403_in_vietnamese(demo: None, client: Client) -> None:
    report = new_report()
    client.force_login(User.objects.create_user(username="dan", password=PASSWORD))
    for url in (LIST_URL, detail_url(report)):
        response = client.get(url)
        assert response.status_code == 403
        assert "Không có quyền truy cập" in response.content.decode()
    assert client.post(detail_url(report, "bat-dau")).status_code == 403


def test_the_worklist_shows_only_the_reports_of_the_officers_agency(as_officer: Client) -> None:
    mine = new_report(WARD, title="Cây đổ ở Phường 1")
    neighbour = new_report(SAME_DISTRICT, title="Cây đổ ở Hiệp Ninh")
    elsewhere = new_report(OTHER_DISTRICT, title="Cây đổ ở Tân Biên")
    assert {mine.agency.code, neighbour.agency.code, elsewhere.agency.code} == {  # type: ignore[union-attr]
        "ubnd-d25450",
        "ubnd-d25456",
        "ubnd-d25470",
    }
    html = html_of(as_officer, LIST_URL)
    assert mine.code in html and "Cây đổ ở Phường 1" in html
    assert neighbour.code not in html and elsewhere.code not in html
    assert "1 phản ánh" in html


def test_a_district_officer_sees_the_reports_of_its_wards(demo: None, client: Client) -> None:
    mine = new_report(WARD)
    neighbour = new_report(SAME_DISTRICT)
    elsewhere = new_report(OTHER_DISTRICT)
    client.force_login(staff("quan", "ubnd-d703", Role.OFFICER))
    html = html_of(client, LIST_URL)
    assert mine.code in html and neighbour.code in html
    assert elsewhere.code not in html
    # ... and may open and act on them.
    assert client.get(detail_url(neighbour)).status_code == 200
    assert client.get(detail_url(elsewhere)).status_code == 404


def test_an_administrator_sees_every_report(demo: None, client: Client) -> None:
    reports = [new_report(WARD), new_report(OTHER_DISTRICT)]
    client.force_login(staff("quantri.kiemthu", "so-gtvt", Role.ADMIN))
    html = html_of(client, LIST_URL)
    assert all(report.code in html for report in reports)


def test_the_report_of_another_agency_is_not_found_like_an_unknown_code(as_officer: Client) -> None:
    elsewhere = new_report(OTHER_DISTRICT)
    foreign = as_officer.get(detail_url(elsewhere))
    unknown = as_officer.get(f"{LIST_URL}209901010001/")
    assert foreign.status_code == unknown.status_code == 404
    assert "Không tìm thấy phản ánh" in foreign.content.decode()
    assert elsewhere.title not in foreign.content.decode()
    # Actions on it are refused the same way, and change nothing.
    assert as_officer.post(detail_url(elsewhere, "bat-dau")).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.status == ReportStatus.FORWARDED


# --- The worklist ----------------------------------------------------------------------------------


def test_the_worklist_lists_open_reports_by_deadline_with_days_left(as_officer: Client, leader: User) -> None:
    today = timezone.localdate()
    late = new_report(title="Quá hạn rồi")
    soon = new_report(title="Sắp hết hạn")
    later = new_report(title="Còn lâu", category="cap-thoat-nuoc")
    done = new_report(title="Đã xong")
    Report.objects.filter(pk=late.pk).update(deadline=today - timedelta(days=3))
    Report.objects.filter(pk=soon.pk).update(deadline=today + timedelta(days=1))
    Report.objects.filter(pk=later.pk).update(deadline=today + timedelta(days=9))
    services.report_answer(report=done, actor=leader, body="Đã dọn.")

    html = html_of(as_officer, LIST_URL)
    assert done.code not in html
    assert html.index(late.code) < html.index(soon.code) < html.index(later.code)
    assert "quá hạn 3 ngày" in html and "còn 1 ngày" in html and "còn 9 ngày" in html
    assert "row-overdue" in html

    assert done.code in html_of(as_officer, LIST_URL, status="completed")
    assert done.code in html_of(as_officer, LIST_URL, status="all")
    overdue = html_of(as_officer, LIST_URL, overdue="on")
    assert late.code in overdue and soon.code not in overdue
    water = html_of(as_officer, LIST_URL, category="cap-thoat-nuoc")
    assert later.code in water and late.code not in water
    found = html_of(as_officer, LIST_URL, q="sap het han")  # without diacritics
    assert soon.code in found and late.code not in found
    assert late.code in html_of(as_officer, LIST_URL, q=late.code)
    # A filter value nobody offered is ignored, not an error.
    assert late.code in html_of(as_officer, LIST_URL, status="bogus", category="khong-co")


def test_the_worklist_is_paginated(as_officer: Client) -> None:
    report = new_report()
    for _ in range(25):
        report.pk = None
        report.code = f"{int(report.code) + 1}"
        report.save()
    first = html_of(as_officer, LIST_URL)
    assert "26 phản ánh" in first and "Trang 1 / 2" in first and 'rel="next"' in first
    assert "Trang 2 / 2" in html_of(as_officer, LIST_URL, page=2)


def test_a_leader_has_a_tab_of_answers_awaiting_approval(officer: User, leader: User, client: Client) -> None:
    waiting = new_report(title="Chờ lãnh đạo duyệt")
    other = new_report(title="Chưa trả lời")
    services.report_start(report=waiting, actor=officer)
    services.report_answer(report=waiting, actor=officer, body="Đã dọn.")
    client.force_login(leader)
    html = html_of(client, LIST_URL)
    assert 'href="/can-bo/phan-anh/?tab=cho-duyet"' in html
    tab = html_of(client, LIST_URL, tab="cho-duyet")
    assert waiting.code in tab and other.code not in tab
    assert 'aria-current="page">Chờ duyệt' in tab
    # Officers have no such tab; the address shows them their usual list.
    client.force_login(officer)
    plain = html_of(client, LIST_URL, tab="cho-duyet")
    assert 'href="/can-bo/phan-anh/?tab=cho-duyet"' not in plain and other.code in plain


# --- The report page -------------------------------------------------------------------------------


def test_the_report_page_shows_contact_details_attachments_and_the_whole_history(
    as_officer: Client, officer: User, media: None
) -> None:
    report = new_report()
    kept = Attachment.objects.create(
        report=report, kind="document", content_type="application/pdf", size=8, original_name="bien-ban.pdf"
    )
    kept.file.save("a.pdf", ContentFile(b"%PDF-1.4"))
    hidden = Attachment.objects.create(
        report=report, kind="document", content_type="application/pdf", size=8, original_name="cmnd.pdf"
    )
    hidden.file.save("b.pdf", ContentFile(b"%PDF-1.4"))
    services.attachment_hide(attachment=hidden, actor=officer, reason="Có ảnh giấy tờ tùy thân")
    html = html_of(as_officer, detail_url(report))
    # The reporter's details are for staff.
    assert "0912 345 678" in html and 'href="tel:+84912345678"' in html
    assert "an@example.vn" in html and "079123456789" in html
    # Both files, the hidden one marked with its reason; staff may still open it.
    assert "bien-ban.pdf" in html and "cmnd.pdf" in html
    assert "Đã ẩn</strong>: Có ảnh giấy tờ tùy thân" in html
    assert as_officer.get(f"/phan-anh/{report.code}/tep/{hidden.pk}/").status_code == 200
    # The internal history too, marked as such.
    assert "Ẩn tệp đính kèm" in html and "nội bộ" in html
    assert "Tự động chuyển theo vị trí" in html
    # A small map of the pin.
    assert 'id="report-map"' in html and "data-lat=" in html
    public = html_of(Client(), f"/phan-anh/{report.code}/")
    assert "0912 345 678" not in public and "cmnd.pdf" not in public


def test_answer_templates_of_the_category_are_offered(as_officer: Client) -> None:
    report = new_report()
    AnswerTemplate.objects.create(
        category=report.category, title="Đã dọn cây", body="Đội cây xanh đã dọn cây đổ <ngay> trong ngày."
    )
    html = html_of(as_officer, detail_url(report))
    assert '<option value="' in html and "Đã dọn cây</option>" in html
    assert 'id="answer-templates"' in html
    assert "<ngay>" not in html  # the template's text is escaped, in the list and in the script data


def test_the_full_flow_through_the_pages_ends_with_the_answer_in_public(
    as_officer: Client, leader: User, client: Client
) -> None:
    report = new_report()
    page = html_of(as_officer, detail_url(report))
    assert "Bắt đầu xử lý</button>" in page

    response = as_officer.post(detail_url(report, "bat-dau"))
    assert response.status_code == 303 and response["Location"] == detail_url(report)
    page = html_of(as_officer, detail_url(report))
    assert f"Đã bắt đầu xử lý phản ánh {report.code}." in page
    assert "Đang xử lý" in page and "Gửi kết quả</button>" in page

    body = "Đội cây xanh đã cắt và dọn cây đổ, đường đã thông."
    response = as_officer.post(detail_url(report, "tra-loi"), {"body": body})
    assert response.status_code == 303
    page = html_of(as_officer, detail_url(report))
    assert "đang chờ lãnh đạo duyệt" in page and "Chờ lãnh đạo duyệt, chưa công bố" in page
    assert body not in html_of(Client(), f"/phan-anh/{report.code}/")

    # The officer may not approve: a Vietnamese 403 page, nothing changes.
    refused = as_officer.post(detail_url(report, "duyet"))
    assert refused.status_code == 403
    assert "Bạn không có quyền thực hiện thao tác này" in refused.content.decode()

    leader_client = Client()
    leader_client.force_login(leader)
    assert report.code in html_of(leader_client, LIST_URL, tab="cho-duyet")
    page = html_of(leader_client, detail_url(report))
    assert "Duyệt và công bố</button>" in page and body in page
    response = leader_client.post(detail_url(report, "duyet"))
    assert response.status_code == 303
    assert "Đã duyệt và công bố kết quả" in html_of(leader_client, detail_url(report))

    report.refresh_from_db()
    assert report.status == ReportStatus.COMPLETED
    public = html_of(Client(), f"/phan-anh/{report.code}/")
    assert "Hoàn thành" in public and body in public


def test_a_leader_returns_an_answer_with_a_reason(officer: User, leader: User, client: Client) -> None:
    report = new_report()
    services.report_answer(report=report, actor=officer, body="Đã dọn.")
    client.force_login(leader)
    response = client.post(detail_url(report, "tra-lai"), {"note": "  "})
    assert response.status_code == 400
    assert "Hãy nhập lý do trả lại." in response.content.decode()
    response = client.post(detail_url(report, "tra-lai"), {"note": "Ghi rõ thời gian dọn xong."})
    assert response.status_code == 303
    report.refresh_from_db()
    assert report.status == ReportStatus.IN_PROGRESS
    assert "Ghi rõ thời gian dọn xong." in html_of(client, detail_url(report))


def test_rejecting_without_a_reason_is_refused_with_a_message(as_officer: Client) -> None:
    report = new_report()
    response = as_officer.post(detail_url(report, "tu-choi"), {"note": "Không rõ"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Hãy chọn lý do từ chối." in html
    assert 'id="error-summary"' in html and 'href="#reject-reason_0"' in html
    assert '<details class="action-details" id="reject" open>' in html
    report.refresh_from_db()
    assert report.status == ReportStatus.FORWARDED

    response = as_officer.post(detail_url(report, "tu-choi"), {"reason": "out_of_scope", "note": "Thuộc điện lực."})
    assert response.status_code == 303
    report.refresh_from_db()
    assert report.status == ReportStatus.REJECTED and report.rejection_reason == "out_of_scope"


def test_a_service_refusal_is_shown_on_the_page_with_400(as_officer: Client) -> None:
    report = new_report()
    assert as_officer.post(detail_url(report, "bat-dau")).status_code == 303
    again = as_officer.post(detail_url(report, "bat-dau"))
    assert again.status_code == 400
    assert "Không thể bắt đầu xử lý" in again.content.decode()


def test_a_redaction_replaces_the_text_and_logs_the_reason(as_officer: Client) -> None:
    report = new_report()
    response = as_officer.post(
        detail_url(report, "sua-noi-dung"),
        {
            "title": "Cây đổ chắn đường",
            "description": "Cây lớn đổ sau mưa, gọi [đã ẩn] để biết thêm.",
            "reason": "Số điện thoại của người khác",
        },
    )
    assert response.status_code == 303
    report.refresh_from_db()
    assert report.description == "Cây lớn đổ sau mưa, gọi [đã ẩn] để biết thêm."
    event = report.events.get(action="redacted")
    assert event.note == "Số điện thoại của người khác" and not event.is_public
    staff_page = html_of(as_officer, detail_url(report))
    assert "Số điện thoại của người khác" in staff_page and "0987 111 222" not in staff_page
    public = html_of(Client(), f"/phan-anh/{report.code}/")
    assert "0987 111 222" not in public and "Số điện thoại của người khác" not in public

    missing = as_officer.post(detail_url(report, "sua-noi-dung"), {"title": "", "description": "x", "reason": ""})
    assert missing.status_code == 400
    assert (
        "Hãy nhập tiêu đề." in missing.content.decode() and "Hãy nhập lý do che thông tin." in missing.content.decode()
    )


def test_hiding_a_report_and_showing_it_again(as_officer: Client) -> None:
    report = new_report()
    assert as_officer.post(detail_url(report, "cong-khai"), {"public": "0", "reason": ""}).status_code == 400
    assert as_officer.post(detail_url(report, "cong-khai"), {"public": "0", "reason": "Xúc phạm"}).status_code == 303
    assert Client().get(f"/phan-anh/{report.code}/").status_code == 404
    page = html_of(as_officer, detail_url(report))
    assert "Không công khai" in page and "Công khai lại</button>" in page
    assert as_officer.post(detail_url(report, "cong-khai"), {"public": "1", "reason": "Đã sửa"}).status_code == 303
    assert Client().get(f"/phan-anh/{report.code}/").status_code == 200


def test_hiding_an_attachment_needs_a_reason(as_officer: Client, media: None) -> None:
    report = new_report()
    attachment = Attachment.objects.create(report=report, kind="document", content_type="application/pdf", size=8)
    attachment.file.save("a.pdf", ContentFile(b"%PDF-1.4"))
    url = detail_url(report, f"tep/{attachment.pk}/an")
    refused = as_officer.post(url, {"reason": ""})
    assert refused.status_code == 400 and "Hãy nhập lý do ẩn tệp." in refused.content.decode()
    assert as_officer.post(url, {"reason": "Ảnh có biển số xe"}).status_code == 303
    attachment.refresh_from_db()
    assert attachment.is_hidden and attachment.hidden_reason == "Ảnh có biển số xe"
    assert Client().get(f"/phan-anh/{report.code}/tep/{attachment.pk}/").status_code == 404
    other = new_report()
    assert as_officer.post(detail_url(other, f"tep/{attachment.pk}/an"), {"reason": "x"}).status_code == 404


def test_reassigning_hands_over_and_returns_to_the_worklist(as_officer: Client) -> None:
    report = new_report()
    target = Agency.objects.get(code="so-tnmt")
    assert as_officer.post(detail_url(report, "chuyen"), {"agency": ""}).status_code == 400
    response = as_officer.post(
        detail_url(report, "chuyen"), {"agency": str(target.pk), "note": "Thuộc lĩnh vực môi trường"}
    )
    assert response.status_code == 303 and response["Location"] == LIST_URL
    assert "Đã chuyển phản ánh" in html_of(as_officer, LIST_URL)
    report.refresh_from_db()
    assert report.agency == target
    assert as_officer.get(detail_url(report)).status_code == 404


def test_merging_into_another_report_by_code(as_officer: Client) -> None:
    original = new_report()
    duplicate = new_report()
    unknown = as_officer.post(detail_url(duplicate, "gop"), {"into": "209901010001"})
    assert unknown.status_code == 400 and "Không tìm thấy phản ánh mã “209901010001”" in unknown.content.decode()
    itself = as_officer.post(detail_url(duplicate, "gop"), {"into": duplicate.code})
    assert itself.status_code == 400 and "Chỉ gộp được vào" in itself.content.decode()
    assert as_officer.post(detail_url(duplicate, "gop"), {"into": f" {original.code} "}).status_code == 303
    duplicate.refresh_from_db()
    assert duplicate.merged_into == original and duplicate.status == ReportStatus.REJECTED
    assert f'href="{detail_url(original)}"' in html_of(as_officer, detail_url(duplicate))


def test_script_in_a_title_is_escaped(as_officer: Client) -> None:
    report = new_report(title='<script>alert("x")</script> Cây đổ', description="<img src=x onerror=alert(1)>")
    for url in (LIST_URL, detail_url(report)):
        html = html_of(as_officer, url)
        assert '<script>alert("x")' not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Cây đổ" in html


def test_actions_are_post_only_and_csrf_protected(officer: User) -> None:
    report = new_report()
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    assert client.get(detail_url(report, "bat-dau")).status_code == 405
    assert client.post(detail_url(report, "bat-dau")).status_code == 403
    report.refresh_from_db()
    assert report.status == ReportStatus.FORWARDED
    page = client.get(detail_url(report))
    token = page.cookies["csrftoken"].value
    response = client.post(detail_url(report, "bat-dau"), HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 303


def test_staff_pages_are_not_cached(as_officer: Client) -> None:
    report = new_report()
    for url in (LIST_URL, detail_url(report)):
        assert "no-store" in as_officer.get(url)["Cache-Control"]


def test_the_pages_take_a_fixed_number_of_queries(
    demo: None, client: Client, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        new_report()
    client.force_login(staff("quantri.kiemthu", "so-gtvt", Role.ADMIN))
    # One of them asks whether the staff bar links the audit log (administrators only).
    with django_assert_max_num_queries(11):
        html = html_of(client, LIST_URL)
    assert Report.objects.count() == html.count('class="col-code"')
    # The detail's fifteenth: the category's extra questions beside the report's answers; the sixteenth:
    # whether a basemap of our own is imported (geo.context_processors, for the report's map).
    with django_assert_max_num_queries(16):
        html_of(client, detail_url(Report.objects.first()))  # type: ignore[arg-type]
