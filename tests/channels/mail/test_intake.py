"""The e-mail channel end to end: mail delivered into a real IMAP server (pymap on loopback), polled by the
channel's command, filed through the one intake, the receipt sent through the real SMTP test server."""

from __future__ import annotations

import io
from email.message import EmailMessage
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from PIL import Image
from pytest_django.fixtures import Settings as SettingsWrapper

from channels.mail.models import InboundMail
from channels.mail.services import HOW_TO, mail_poll
from incidents.models import Report
from notifications.models import Notification
from notifications.services import notification_deliver
from tests.conftest import point_in
from tests.imap_server import ImapServer
from tests.servers import SmtpServer

CITIZEN = "cuong@example.vn"


def _mail(
    subject: str,
    text: str | None = None,
    *,
    html: str | None = None,
    message_id: str | None = "<m1@example.vn>",
    sender: str = f"Lê Văn Cường <{CITIZEN}>",
    files: tuple[tuple[str, str, bytes], ...] = (),
    **headers: str,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "tiepnhan@phananh.example.vn"
    message["Subject"] = subject
    message["Date"] = "Sun, 06 Dec 2026 09:00:00 +0700"
    if message_id:
        message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for name, content_type, content in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def _poll() -> str:
    out = StringIO()
    call_command("poll_mailbox", stdout=out)
    return out.getvalue().strip()


def _maps_link(code: str) -> str:
    lng, lat = point_in(code)
    return f"https://www.google.com/maps/@{lat:.6f},{lng:.6f},18z"


def _emails_to(address: str) -> list[Notification]:
    return list(Notification.objects.filter(channel="email", recipient=address))


@pytest.mark.django_db
def test_a_mail_with_a_map_link_is_filed_routed_and_answered_in_its_own_thread(
    demo_once: None, mailbox: ImapServer, smtp_server: SmtpServer
) -> None:
    mailbox.deliver(
        _mail("Re: Ổ gà lớn trước chợ", f"Ổ gà sâu giữa mặt đường, xe máy hay ngã.\nVị trí: {_maps_link('D25450')}")
    )

    assert _poll() == "filed: 1"

    report = Report.objects.select_related("ward", "category", "agency").get()
    assert (report.channel, report.consent_channel, report.title) == ("email", "email", "Ổ gà lớn trước chợ")
    assert report.ward is not None and report.ward.code == "D25450"
    assert report.agency is not None and report.status == "forwarded"
    assert report.category.code == "giao-thong"
    assert (report.reporter_name, report.reporter_email, report.reporter_phone) == ("Lê Văn Cường", CITIZEN, "")
    assert (report.reply_address, report.reply_thread) == (CITIZEN, "<m1@example.vn>")
    # Nobody asked about publication: private, the name confidential.
    assert (report.is_public, report.confidential) == (False, True)
    assert InboundMail.objects.get().outcome == "filed" and mailbox.unread() == 0
    # One message back to the citizen: the intake's receipt, in the thread of their mail.
    [receipt] = _emails_to(CITIZEN)
    notification_deliver(notification_id=receipt.pk)
    [sent] = smtp_server.wait_for(1)
    assert sent.message["In-Reply-To"] == "<m1@example.vn>" and sent.message["References"] == "<m1@example.vn>"
    assert sent.subject == "Re: Ổ gà lớn trước chợ"
    assert report.code in sent.body and f"{report.deadline:%d/%m/%Y}" in sent.body


@pytest.mark.django_db
def test_an_html_only_mail_is_read_as_text_without_its_scripts(demo_once: None, mailbox: ImapServer) -> None:
    lng, lat = point_in("D25450")
    html = (
        "<html><head><script>steal()</script></head><body><p>Đèn đường không sáng cả tuần</p>"
        f'<p><a href="https://www.openstreetmap.org/?mlat={lat}&amp;mlon={lng}">Xem bản đồ</a></p>'
        "<script>document.write('x')</script></body></html>"
    )
    mailbox.deliver(_mail("Đèn hỏng", html=html))

    assert _poll() == "filed: 1"

    report = Report.objects.select_related("category", "ward").get()
    assert report.description.startswith("Đèn đường không sáng cả tuần\nXem bản đồ (https://www.openstreetmap.org/")
    assert "steal" not in report.description and "document" not in report.description
    assert report.category.code == "chieu-sang" and report.ward is not None and report.ward.code == "D25450"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.django_db
def test_attachments_are_kept_and_the_refused_ones_are_named_in_the_receipt(
    demo_once: None, mailbox: ImapServer
) -> None:
    files = (
        ("o-ga.png", "image/png", _png()),
        ("bien-ban.pdf", "application/pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
        ("virus.exe", "application/octet-stream", b"MZ\x90\x00" + b"\x00" * 200),
    )
    mailbox.deliver(_mail("Ổ gà", f"Ảnh kèm theo. {_maps_link('D25450')}", files=files))

    assert _poll() == "filed: 1"

    report = Report.objects.get()
    kept = sorted((a.kind, a.original_name) for a in report.attachments.all())
    assert kept == [("document", "bien-ban.pdf"), ("image", "o-ga.png")]
    [receipt] = _emails_to(CITIZEN)
    assert report.code in receipt.body
    assert "Các tệp đính kèm sau không được nhận:\n- virus.exe:" in receipt.body
    assert "virus.exe" in InboundMail.objects.get().reason


@pytest.mark.django_db
def test_an_address_naming_a_ward_places_the_report_in_that_ward(demo_once: None, mailbox: ImapServer) -> None:
    mailbox.deliver(_mail("Rác thải", "Rác đổ trộm nhiều ngày.\nĐịa chỉ: 15 Trần Hưng Đạo, Phường Ninh Sơn\nCảm ơn."))

    assert _poll() == "filed: 1"

    report = Report.objects.select_related("ward", "category").get()
    assert report.ward is not None and report.ward.name == "Phường Ninh Sơn"
    assert report.address == "15 Trần Hưng Đạo, Phường Ninh Sơn"
    # Waste is the words' category, but it asks a required question a mail cannot answer: the general one.
    assert report.category.code == "khac"


@pytest.mark.django_db
def test_a_mail_without_a_location_is_filed_to_the_desk_and_a_reply_in_its_thread_pins_it(
    demo_once: None, mailbox: ImapServer, smtp_server: SmtpServer
) -> None:
    mailbox.deliver(_mail("Góp ý", "Đề nghị lắp thêm ghế đá.", message_id="<m2@example.vn>"))

    assert _poll() == "filed: 1"

    # Filed once, without a pin, routed by category to the province's general desk; no question asked.
    report = Report.objects.select_related("agency", "province").get()
    assert report.location is None and report.ward is None and report.province.code == "D72"
    assert report.agency is not None and report.agency.code == "ubnd-d72" and report.status == "forwarded"
    assert InboundMail.objects.get().outcome == "filed"
    [receipt] = _emails_to(CITIZEN)
    notification_deliver(notification_id=receipt.pk)
    [sent] = smtp_server.wait_for(1)
    assert sent.message["In-Reply-To"] == "<m2@example.vn>" and sent.subject == "Re: Góp ý"
    assert report.code in sent.body and "trả lời thư này" in sent.body and mailbox.unread() == 0

    # A thank-you in the thread files nothing new; the reply with a map link pins and re-routes the report.
    ours = "<receipt@phananh.example.vn>"
    for message_id, text in (("<m3@example.vn>", "Cảm ơn."), ("<m4@example.vn>", f"Ở đây: {_maps_link('D25450')}")):
        mailbox.deliver(
            _mail("Re: Góp ý", text, message_id=message_id, In_Reply_To=ours, References=f"<m2@example.vn> {ours}")
        )

    assert _poll() == "located: 1, skipped: 1"

    report.refresh_from_db()
    assert report.location is not None and report.ward is not None and report.ward.code == "D25450"
    assert report.agency is not None and report.agency.code == "ubnd-d25450"
    assert InboundMail.objects.get(key="<m4@example.vn>").report == report
    assert list(report.events.values_list("action", flat=True).order_by("pk"))[-2:] == ["located", "reassigned"]
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_a_reply_with_the_location_is_filed_there_and_the_quoted_example_is_not_taken(
    demo_once: None, mailbox: ImapServer
) -> None:
    quote = "\n".join(f"> {line}" for line in HOW_TO.splitlines())
    header = "On Sun, 6 Dec 2026 at 09:05, Phản ánh hiện trường <no-reply@phananh.example.vn> wrote:"
    mailbox.deliver(
        _mail("Re: Góp ý", f"Tôi không biết gửi vị trí.\n\n{header}\n{quote}", message_id="<r1@example.vn>")
    )
    link = _maps_link("D25450")
    mailbox.deliver(_mail("Re: Góp ý", f"Ở đây: {link}\n\n{header}\n{quote}", message_id="<r2@example.vn>"))

    assert _poll() == "filed: 2"

    # Not "Phường 1" of the quoted example: the first is filed without a place.
    first = InboundMail.objects.get(key="<r1@example.vn>").report
    assert first is not None and first.location is None and first.ward is None
    report = Report.objects.select_related("ward").exclude(pk=first.pk).get()
    assert report.ward is not None and report.ward.code == "D25450" and report.title == "Góp ý"


@pytest.mark.django_db
def test_a_message_is_filed_once_however_often_the_mailbox_shows_it(demo_once: None, mailbox: ImapServer) -> None:
    text = f"Cây đổ chắn đường. {_maps_link('D25450')}"
    mailbox.deliver(_mail("Cây đổ", text))
    mailbox.deliver(_mail("Cây đổ", text, message_id=None))
    assert _poll() == "filed: 2"

    # The same two messages appended again (a client's copy, a server's redelivery): taken before.
    mailbox.deliver(_mail("Cây đổ", text))
    mailbox.deliver(_mail("Cây đổ", text, message_id=None))
    assert _poll() == "duplicate: 2"
    assert Report.objects.count() == 2 and mailbox.unread() == 0

    # A crash after the report was stored, before its row and the \Seen flag: the next poll files nothing new.
    mailbox.deliver(_mail("Cây đổ", text, message_id="<m3@example.vn>"))
    from channels.mail import services

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "_record", _crash)
        assert mail_poll() == {"failed": 1}  # left unread for the next poll
    assert Report.objects.count() == 3 and mailbox.unread() == 1
    assert _poll() == "filed: 1"
    assert Report.objects.count() == 3 and mailbox.unread() == 0
    assert InboundMail.objects.get(key="<m3@example.vn>").report == Report.objects.order_by("pk").last()
    assert len(_emails_to(CITIZEN)) == 3  # one receipt per report


def _crash(*args: object, **kwargs: object) -> None:
    raise RuntimeError("the worker died here")


@pytest.mark.django_db
def test_bounces_auto_replies_and_loops_are_recorded_and_not_filed(demo_once: None, mailbox: ImapServer) -> None:
    link = _maps_link("D25450")
    bounce = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.vn>\r\nTo: tiepnhan@phananh.example.vn\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce@mx.example.vn>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type="delivery-status"; boundary="b1"\r\n\r\n'
        f"--b1\r\nContent-Type: text/plain\r\n\r\nKhong gui duoc. {link}\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.vn\r\n\r\n"
        "Final-Recipient: rfc822; x@example.vn\r\nAction: failed\r\nStatus: 5.1.1\r\n--b1--\r\n"
    )
    mailbox.deliver(bounce.encode())
    mailbox.deliver(
        _mail("Vắng mặt", f"Tôi đi vắng. {link}", message_id="<ooo@example.vn>", Auto_Submitted="auto-replied")
    )
    mailbox.deliver(
        _mail("Re: Đã tiếp nhận", link, message_id="<loop@example.vn>", sender="no-reply@phananh.example.vn")
    )
    mailbox.deliver(_mail("Chuyển tiếp", link, message_id="<xloop@example.vn>", X_Loop="tiepnhan@phananh.example.vn"))
    mailbox.deliver(_mail("Ẩn danh", link, message_id="<anon@example.vn>", sender="Không tên <khong-co-dia-chi>"))

    assert _poll() == "skipped: 5"

    assert not Report.objects.exists() and not Notification.objects.exists() and mailbox.unread() == 0
    reasons = dict(InboundMail.objects.values_list("key", "reason"))
    assert "multipart/report; delivery-status" in reasons["<bounce@mx.example.vn>"]
    assert "Auto-Submitted: auto-replied" in reasons["<ooo@example.vn>"]
    assert "chính hệ thống" in reasons["<loop@example.vn>"]
    assert "X-Loop" in reasons["<xloop@example.vn>"]
    assert "địa chỉ người gửi" in reasons["<anon@example.vn>"]  # nobody to answer: not filed


@pytest.mark.django_db
def test_our_own_receipt_coming_back_is_a_loop_by_its_x_loop_not_a_report(
    demo_once: None, mailbox: ImapServer, smtp_server: SmtpServer
) -> None:
    mailbox.deliver(_mail("Đèn hỏng", f"Đèn đường không sáng. {_maps_link('D25450')}"))
    assert _poll() == "filed: 1"
    [receipt] = _emails_to(CITIZEN)
    notification_deliver(notification_id=receipt.pk)
    [sent] = smtp_server.wait_for(1)
    assert sent.message["Auto-Submitted"] == "auto-replied"
    assert sent.message["X-Loop"] == mailbox.user

    # The citizen's mailbox forwards it back to us under its own name, dropping Auto-Submitted: the X-Loop
    # it kept still names our intake.
    echoed = sent.message
    for name in ("From", "Message-ID", "Auto-Submitted", "X-Auto-Response-Suppress"):
        del echoed[name]
    echoed["From"] = f"Lê Văn Cường <{CITIZEN}>"
    echoed["Message-ID"] = "<echo@example.vn>"
    mailbox.deliver(echoed.as_bytes())

    assert _poll() == "skipped: 1"
    assert Report.objects.count() == 1 and len(_emails_to(CITIZEN)) == 1
    assert "X-Loop" in InboundMail.objects.get(key="<echo@example.vn>").reason


@pytest.mark.django_db
def test_the_channel_is_off_without_its_settings(settings: SettingsWrapper) -> None:
    settings.INTAKE_IMAP_HOST = ""
    assert mail_poll() == {}
    with pytest.raises(CommandError, match="INTAKE_IMAP_HOST"):
        call_command("poll_mailbox")
