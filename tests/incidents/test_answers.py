"""The officer's answer goes back the way the report came: with its files (the official reply as PDF, an
"after" photo), on the report's own channel, with the reporter's link to rate or reopen it."""

from __future__ import annotations

import html
import io
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image
from pytest_django.fixtures import Settings

from accounts.models import User
from agencies.models import Agency
from incidents import services
from incidents.models import Answer, Attachment, Report, ReportEvent, ReportStatus
from notifications.models import Notification
from notifications.services import notification_deliver
from tests.factories import report_input
from tests.servers import FakeSmsGateway, SmtpServer

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03" + bytes(59) + b"This program cannot be run in DOS mode." + bytes(200)
ANSWER = "UBND phường đã cắt và dọn cây đổ; đường đã thông xe."


@pytest.fixture(autouse=True)
def media(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 160, 60)).save(buffer, "PNG")
    return buffer.getvalue()


def _report(sender: services.Sender, *, phone: str = "", email: str = "") -> Report:
    data = report_input(name="Lê Văn Cường", phone=phone, email=email)
    return services.report_create(data=data, sender=sender)


def _files() -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile("cong-van.pdf", PDF), SimpleUploadedFile("sau-xu-ly.png", _photo())]


def test_the_answer_with_its_reply_and_after_photo_is_published_as_staff_chose(demo: None, leader: User) -> None:
    report = _report(services.WEB, phone="0912345678")
    staff = Client()
    staff.force_login(leader)
    url = f"/can-bo/phan-anh/{report.code}/tra-loi/"
    # Files are checked like the intake's: an .exe named .pdf is refused and nothing is stored.
    refused = staff.post(url, {"body": ANSWER, "attachments": [SimpleUploadedFile("cong-van.pdf", EXE)]})
    assert refused.status_code == 400
    assert "Tệp “cong-van.pdf” không được chấp nhận: chỉ nhận ảnh" in refused.content.decode()
    assert not Answer.objects.exists() and not report.attachments.exists()

    # The official reply names the reporter: not published unless staff tick it (they did not here).
    sent = staff.post(url, {"body": ANSWER, "attachments": _files()})
    assert sent.status_code == 303
    answer = Answer.objects.get(report=report)
    reply, photo = answer.attachments.order_by("id")
    assert (reply.kind, reply.is_public, photo.kind, photo.is_public) == ("document", False, "image", True)
    page = Client().get(f"/phan-anh/{report.code}/").content.decode()
    answer_html = page[page.index('<div class="answer">') :]
    answer_html = answer_html[: answer_html.index("</div>")]
    assert f"/phan-anh/{report.code}/tep/{photo.pk}/anh-nho/" in answer_html
    assert f"/tep/{reply.pk}/" not in page
    # The answer's files are not listed among the report's own.
    assert page.count(f"/tep/{photo.pk}/") == 2  # the link and its thumbnail, in the answer only
    assert Client().get(f"/phan-anh/{report.code}/tep/{reply.pk}/").status_code == 404
    token = services.reporter_token(report)
    assert Client().get(f"/phan-anh/{report.code}/tep/{reply.pk}/?t={token}").status_code == 200
    api = Client().get(f"/api/v1/reports/{report.code}/").json()
    assert [item["id"] for item in api["answer"]["attachments"]] == [photo.pk]
    # Staff see both on their page, each marked as published or not.
    staff_page = staff.get(f"/can-bo/phan-anh/{report.code}/").content.decode()
    assert "chỉ người gửi và cán bộ xem" in staff_page and "công bố cùng kết quả" in staff_page

    # Ticked: the reply is published with the answer.
    other = _report(services.WEB, phone="0912345678")
    cleared = services.report_answer(report=other, actor=leader, body=ANSWER, files=_files(), publish_documents=True)
    reply = cleared.attachments.get(kind="document")
    assert reply.is_public
    page = Client().get(f"/phan-anh/{other.code}/").content.decode()
    assert f'href="/phan-anh/{other.code}/tep/{reply.pk}/">Văn bản trả lời</a>' in page
    assert Client().get(f"/phan-anh/{other.code}/tep/{reply.pk}/").status_code == 200


def test_the_answer_goes_back_on_each_reports_own_channel(
    demo: None, leader: User, smtp_server: SmtpServer, sms_gateway: FakeSmsGateway
) -> None:
    zalo = _report(services.Sender(channel="zalo", sms_receipt=False, reply_address="zalo:8412345"), phone="0912345678")
    messenger = _report(
        services.Sender(channel="messenger", sms_receipt=False, reply_address="messenger:99001", phone_required=False)
    )
    thread = "<CAF+don-khieu-nai@mail.example.vn>"
    mail = _report(
        services.Sender(channel="email", reply_address="cuong@example.vn", reply_thread=thread, phone_required=False),
        email="cuong@example.vn",
    )
    hotline = _report(services.Sender(channel="hotline", consent_channel="hotline"), phone="0987654321")
    web = _report(services.WEB, phone="0911222333", email="an@example.vn")
    before = set(Notification.objects.values_list("pk", flat=True))
    for report in (zalo, messenger, mail, hotline, web):
        services.report_answer(report=report, actor=leader, body=ANSWER, files=_files())
    sent = Notification.objects.exclude(pk__in=before).exclude(recipient__endswith="@ubnd.example.vn")
    by_report = {
        report.code: sorted((n.channel, n.recipient) for n in sent if report.code in (n.dedupe_key or ""))
        for report in (zalo, messenger, mail, hotline, web)
    }
    assert by_report == {
        # A chat report is answered in its conversation, not by SMS.
        zalo.code: [("zalo", "zalo:8412345")],
        messenger.code: [("messenger", "messenger:99001")],
        mail.code: [("email", "cuong@example.vn")],
        hotline.code: [("sms", "+84987654321")],
        web.code: [("email", "an@example.vn"), ("sms", "+84911222333")],
    }
    chat = sent.get(channel="zalo")
    assert ANSWER in chat.body
    reply, photo = Answer.objects.get(report=zalo).attachments.order_by("id")
    # The photo is published, the reply opens with the reporter's link; then where to rate or reopen.
    assert f"/phan-anh/{zalo.code}/tep/{photo.pk}/\n" in chat.body
    assert re.search(rf"/phan-anh/{zalo.code}/tep/{reply.pk}/\?t=\S+", chat.body)
    assert re.search(rf"/phan-anh/{zalo.code}/\?t=\S+#danh-gia", chat.body)

    # The e-mail answers in the thread of the e-mail that filed the report, through a real SMTP server.
    notification_deliver(notification_id=sent.get(channel="email", recipient="cuong@example.vn").pk)
    [received] = smtp_server.wait_for(1)
    assert received.message["In-Reply-To"] == thread and received.message["References"] == thread
    assert ANSWER in received.body and "#danh-gia" in received.body
    # The hotline's caller gets an SMS through the gateway.
    notification_deliver(notification_id=sent.get(channel="sms", recipient="+84987654321").pk)
    [sms] = sms_gateway.messages
    assert sms["to"] == "+84987654321" and sms["text"].startswith(f"Phản ánh {hotline.code} đã có kết quả: UBND")

    # Publishing the same answer again sends nothing more.
    count = Notification.objects.count()
    from incidents.services.messages import _notify_answer

    _notify_answer(zalo, Answer.objects.get(report=zalo))
    assert Notification.objects.count() == count


def _link(report: Report) -> str:
    body = Notification.objects.get(channel="zalo", dedupe_key__startswith=f"report:{report.code}:completed").body
    match = re.search(r"https?://[^/\s]+(/phan-anh/\S+)#danh-gia", body)
    assert match is not None, body
    return match.group(1)


def test_the_reporter_rates_and_reopens_through_the_link_without_an_account(
    demo: None, leader: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _report(
        services.Sender(channel="zalo", sms_receipt=False, reply_address="zalo:8412345"), phone="0912345678"
    )
    services.report_answer(report=report, actor=leader, body=ANSWER)
    link = _link(report)
    token = link.split("?t=", 1)[1]
    client = Client()
    page = client.get(link).content.decode()
    assert 'id="danh-gia"' in page and "Bạn có hài lòng với kết quả xử lý?" in page and "Mở lại phản ánh" in page

    # A tampered or expired link: no forms, a way to get a new link, and the actions refused.
    now = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now - 31 * 86400)  # type: ignore[attr-defined]
    expired = services.reporter_token(report)
    monkeypatch.undo()
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), expired):
        page = Client().get(f"/phan-anh/{report.code}/?t={bad}").content.decode()
        assert "Bạn có hài lòng" not in page and "đã hết hạn hoặc không đúng" in page and "/tra-cuu/" in page
        assert Client().post(f"/phan-anh/{report.code}/danh-gia/", {"token": bad, "satisfied": "0"}).status_code == 404
        assert Client().post(f"/phan-anh/{report.code}/mo-lai/", {"token": bad, "reason": "x"}).status_code == 404
    report.refresh_from_db()
    assert (report.satisfied, report.status) == (None, ReportStatus.COMPLETED)

    # The valid link rates through the same service as a signed-in reporter's page.
    assert client.post(f"/phan-anh/{report.code}/danh-gia/", {"token": token, "satisfied": "0"}).status_code == 303
    report.refresh_from_db()
    assert report.satisfied is False and report.events.filter(action=ReportEvent.Action.RATED).count() == 1

    # Reopening only within the workflow's window (settings.REPORT_REOPEN_DAYS).
    Report.objects.filter(pk=report.pk).update(completed_at=timezone.now() - timedelta(days=8))
    page = client.get(link).content.decode()
    assert "Mở lại phản ánh" not in page
    late = client.post(f"/phan-anh/{report.code}/mo-lai/", {"token": token, "reason": "Cây vẫn còn."}, follow=True)
    assert "không thể mở lại" in late.content.decode()
    Report.objects.filter(pk=report.pk).update(completed_at=timezone.now() - timedelta(days=6))
    reopened = client.post(f"/phan-anh/{report.code}/mo-lai/", {"token": token, "reason": "Cây vẫn còn."})
    assert reopened.status_code == 303
    report.refresh_from_db()
    assert (report.status, report.reopen_count) == (ReportStatus.IN_PROGRESS, 1)
    assert report.events.filter(action=ReportEvent.Action.REOPENED).count() == 1


def test_an_answer_sent_back_for_changes_leaves_no_files(
    demo: None, officer: User, leader: User, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    Agency.objects.filter(code="ubnd-d25450").update(answer_requires_approval=True)
    report = _report(services.WEB, phone="0912345678")
    answer = services.report_answer(report=report, actor=officer, body=ANSWER, files=_files())
    assert answer.published_at is None and answer.attachments.count() == 2
    reply = answer.attachments.get(kind="document")
    # Waiting for approval: not shown, not served, even a photo.
    page = Client().get(f"/phan-anh/{report.code}/").content.decode()
    assert f"/tep/{reply.pk}/" not in page
    photo = answer.attachments.get(kind="image")
    assert Client().get(f"/phan-anh/{report.code}/tep/{photo.pk}/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        services.report_return_answer(report=report, actor=leader, note="Ghi rõ ngày dọn.")
    assert not Attachment.objects.exists()
    assert not any(path.is_file() for path in media.rglob("*"))


def test_the_api_answer_takes_the_pages_files_checked_the_same_way(
    demo: None, leader: User, settings: Settings, client: Client
) -> None:
    report = _report(services.WEB, phone="0912345678")
    client.force_login(leader)
    url = f"/api/v1/reports/{report.code}/answer"
    # Every other endpoint takes small bodies only: this one takes a report's files.
    settings.REQUEST_MAX_BYTES = 1024
    pdf = SimpleUploadedFile("cong-van.pdf", PDF + bytes(2048))

    # Refused like the page's (an .exe named .pdf; a document over its kind's limit), in the one error shape.
    refused = client.post(url, {"body": ANSWER, "attachments": [SimpleUploadedFile("cong-van.pdf", EXE)]})
    assert refused.status_code == 400
    assert set(refused.json()) == {"detail", "errors"} and set(refused.json()["errors"]) == {"attachments"}
    assert "chỉ nhận ảnh" in refused.json()["errors"]["attachments"][0]
    settings.DOCUMENT_MAX_BYTES = 1024
    too_big = client.post(url, {"body": ANSWER, "attachments": [pdf]})
    assert too_big.status_code == 400 and set(too_big.json()["errors"]) == {"attachments"}
    assert not Answer.objects.exists() and not report.attachments.exists()
    settings.DOCUMENT_MAX_BYTES = 10 * 1024 * 1024

    pdf.seek(0)
    sent = client.post(url, {"body": ANSWER, "attachments": [pdf, _files()[1]], "publish_documents": "true"})
    assert sent.status_code == 200, sent.content
    answer = Answer.objects.get(report=report)
    reply, photo = answer.attachments.order_by("id")
    assert (reply.kind, reply.is_public, photo.kind, photo.is_public) == ("document", True, "image", True)
    assert answer.body == ANSWER and sent.json()["status"] == "completed"

    # The schema says how: multipart with the files and the choice to publish the documents.
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    body = schema["paths"]["/api/v1/reports/{code}/answer"]["post"]["requestBody"]["content"]["multipart/form-data"]
    fields = schema["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[-1]]["properties"]
    assert fields["attachments"]["items"]["format"] == "binary"
    assert fields["publish_documents"]["type"] == "boolean"
    # So do a report's own files.
    intake = schema["paths"]["/api/v1/reports/"]["post"]["requestBody"]["content"]["multipart/form-data"]
    fields = schema["components"]["schemas"][intake["schema"]["$ref"].rsplit("/", 1)[-1]]["properties"]
    assert fields["attachments"]["items"]["format"] == "binary"


def test_the_reporter_sees_the_unpublished_reply_on_the_page_and_earlier_answers_stay(demo: None, leader: User) -> None:
    report = _report(services.WEB, phone="0912345678")
    first = services.report_answer(report=report, actor=leader, body="Lần một: đã dọn.", files=_files())
    reply = first.attachments.get(kind="document")
    token = services.reporter_token(report)
    own = Client().get(f"/phan-anh/{report.code}/", {"t": token}).content.decode()
    link = re.search(rf'href="(/phan-anh/{report.code}/tep/{reply.pk}/\?t=[^"]+)">Văn bản trả lời</a>', own)
    assert link is not None and "không công khai" in own
    assert Client().get(html.unescape(link.group(1))).status_code == 200
    assert f"/tep/{reply.pk}/" not in Client().get(f"/phan-anh/{report.code}/").content.decode()
    services.report_reopen(report=report, reason="Vẫn còn cành cây.", token=token)
    services.report_answer(report=report, actor=leader, body="Lần hai: đã dọn hết.")
    page = Client().get(f"/phan-anh/{report.code}/").content.decode()
    assert (
        page.index("Lần hai: đã dọn hết.")
        < page.index("Kết quả trước khi phản ánh được mở lại")
        < page.index("Lần một: đã dọn.")
    )
