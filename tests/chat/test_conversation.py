"""The conversation of seed 003 over the Zalo webhook: menu, name, phone, address, any number of messages
until #KT, category, publication choice, one report; #<mã> for its reporter only; #HUY; idle close."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from channels.chat import services
from channels.chat.models import ClosedReason, Conversation, ConversationItem, Stage
from channels.chat.selectors import chat_categories
from incidents.models import Answer, Report
from tests.chat.conftest import follow, image, location, say, text, work
from tests.chat.test_zalo_media import PDF, media, wav
from tests.chat.zalo_server import FakeZalo
from tests.conftest import point_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]

WARD = "D25450"
ADDRESS = "Số 12 đường 30/4, Phường Ninh Sơn, Thành phố Tây Ninh"


def png() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def category_number(code: str) -> str:
    """What a person answers to pick this category from the numbered list."""
    return str([category.code for category in chat_categories()].index(code) + 1)


def last(zalo: FakeZalo, user: str) -> str:
    return zalo.texts_to(user)[-1]


def start_report(client: Client, zalo: FakeZalo, user: str) -> None:
    """Through the menu, name, phone and address to the collecting step."""
    say(client, follow(user))
    assert "1. Phản ánh kiến nghị" in last(zalo, user)
    say(client, text(user, "1"))
    assert "họ và tên" in last(zalo, user)
    say(client, text(user, "Nguyễn Thị Hồng"))
    assert "số điện thoại" in last(zalo, user)
    say(client, text(user, "0912 345 67"))
    assert "chưa đúng" in last(zalo, user)
    say(client, text(user, "0912 345 678"))
    assert "địa chỉ" in last(zalo, user)
    say(client, text(user, ADDRESS))
    assert "#KT" in last(zalo, user)


def test_a_whole_conversation_files_one_report_and_only_its_reporter_looks_it_up(
    client: Client, zalo: FakeZalo
) -> None:
    user = "8001"
    start_report(client, zalo, user)
    say(client, text(user, "Cây lớn đổ chắn ngang đường"))
    say(client, text(user, "Đề nghị cử người dọn giúp."))
    photo = zalo.serve_file("/media/cay-do.png", png(), "image/png")
    say(client, image(user, photo))
    say(client, media(user, "audio", zalo.serve_file("/media/ghi-am.wav", wav(), "audio/wav")))
    say(client, media(user, "file", zalo.serve_file("/media/don.pdf", PDF, "application/pdf"), name="don.pdf"))
    lng, lat = point_in(WARD)
    say(client, location(user, lat, lng, short_names=True))
    assert "vị trí" in last(zalo, user)
    say(client, text(user, "#kt"))
    assert "lĩnh vực" in last(zalo, user)
    say(client, text(user, "99"))
    assert "lĩnh vực" in last(zalo, user)
    say(client, text(user, category_number("cay-xanh")))
    assert "công khai" in last(zalo, user)
    say(client, text(user, "2"))

    assert Report.objects.exists(), zalo.texts_to(user)[-3:]
    [report] = Report.objects.all()
    assert report.code in last(zalo, user)
    assert f"{report.deadline:%d/%m/%Y}" in last(zalo, user)
    assert (report.channel, report.consent_channel, report.reply_address) == ("zalo", "zalo", f"zalo:{user}")
    assert report.category.code == "cay-xanh"
    assert report.title == "Cây lớn đổ chắn ngang đường"
    assert report.description == "Cây lớn đổ chắn ngang đường\nĐề nghị cử người dọn giúp."
    assert (report.reporter_name, report.reporter_phone, report.address) == ("Nguyễn Thị Hồng", "+84912345678", ADDRESS)
    # Asked, and the answer was no: private, and the name never public.
    assert report.is_public is False and report.consent_report_public is False and report.confidential
    # Routed by the shared location, not by the address's ward.
    assert report.ward is not None and report.ward.code == WARD
    # Every file as an attachment; the voice message and the document are not public (personal data).
    kinds = [(item.kind, item.is_public) for item in report.attachments.order_by("id")]
    assert kinds == [("image", True), ("audio", False), ("document", False)]
    conversation = Conversation.objects.get(user_id=user)
    assert (conversation.stage, conversation.closed_reason, conversation.report_code) == (
        Stage.CLOSED,
        ClosedReason.FILED,
        report.code,
    )

    say(client, text(user, f"#{report.code}"))
    assert report.get_status_display() in last(zalo, user)
    Answer.objects.create(report=report, body="Đã dọn cây đổ.", published_at=timezone.now())
    Answer.objects.create(report=report, body="Bản nháp chưa duyệt.")
    say(client, text(user, f"#{report.code}"))
    assert "Kết quả xử lý: Đã dọn cây đổ." in last(zalo, user)
    assert "nháp" not in last(zalo, user)

    say(client, text("8002", f"#{report.code}"))
    assert zalo.texts_to("8002") == [
        f"Không tìm thấy phản ánh mã {report.code} trong các phản ánh bạn đã gửi qua kênh này."
    ]
    assert Report.objects.count() == 1


def test_without_a_shared_location_the_address_routes_and_one_matching_nothing_is_asked_again(
    client: Client, zalo: FakeZalo
) -> None:
    user = "8003"
    say(client, text(user, "Phản ánh kiến nghị"))
    say(client, text(user, "Trần Văn Bình"))
    say(client, text(user, "0987654321"))
    say(client, text(user, "Số 5, phường Không Có Thật, tỉnh Nào Đó"))
    assert "Chưa tìm thấy địa chỉ" in last(zalo, user)
    assert Conversation.objects.get(user_id=user).stage == Stage.ADDRESS
    say(client, text(user, "Khu phố 2, Xã Tân Lập, Huyện Tân Biên"))
    assert "#KT" in last(zalo, user)
    say(client, text(user, "Đèn đường hỏng cả tuần nay"))
    say(client, text(user, "#KT"))
    say(client, text(user, category_number("chieu-sang")))
    say(client, text(user, "1"))

    [report] = Report.objects.all()
    assert report.ward is not None and report.ward.name == "Xã Tân Lập"
    assert report.is_public is True and report.consent_report_public is True


def test_the_categorys_extra_questions_are_asked_and_their_answers_filed(client: Client, zalo: FakeZalo) -> None:
    user = "8006"
    start_report(client, zalo, user)
    say(client, text(user, "Rác đổ trộm ven kênh"))
    say(client, text(user, "#KT"))
    say(client, text(user, category_number("ve-sinh-moi-truong")))
    asked = last(zalo, user)
    assert "Đó là loại rác gì?" in asked and "3. Rác nguy hại" in asked and "bỏ qua" not in asked
    say(client, text(user, "0"))  # required: no skipping
    assert "chưa đúng" in last(zalo, user)
    say(client, text(user, "1, 3"))
    assert "Khoảng bao nhiêu rác?" in last(zalo, user) and "Gửi 0 để bỏ qua" in last(zalo, user)
    say(client, text(user, "0"))
    assert "công khai" in last(zalo, user)
    say(client, text(user, "2"))

    [report] = Report.objects.all()
    assert report.category.code == "ve-sinh-moi-truong"
    assert report.question_answers == {"loai-rac": ["sinh-hoat", "nguy-hai"]}


def test_a_draft_cancelled_or_left_idle_for_a_day_is_closed_and_keeps_what_it_collected(
    client: Client, zalo: FakeZalo
) -> None:
    user, idle = "8004", "8005"
    start_report(client, zalo, user)
    say(client, text(user, "Nội dung chưa xong"))
    say(client, text(user, "#HUY"))

    assert "Đã hủy" in last(zalo, user)
    cancelled = Conversation.objects.get(user_id=user)
    assert (cancelled.stage, cancelled.closed_reason) == (Stage.CLOSED, ClosedReason.CANCELLED)
    assert cancelled.items.count() == 1  # kept as it was
    say(client, text(user, "xin chào"))
    assert "1. Phản ánh kiến nghị" in last(zalo, user)
    assert Conversation.objects.filter(user_id=user).count() == 2
    say(client, text(user, "#HUY"))
    assert last(zalo, user) == "Bạn không có phản ánh nào đang soạn."

    start_report(client, zalo, idle)
    say(client, text(idle, "Rác tồn đọng ở chợ"))
    conversation = Conversation.objects.get(user_id=idle)
    assert services.conversations_close_idle() == 0
    # A day later: the draft is closed with a message; the conversation only at the menu, quietly.
    assert services.conversations_close_idle(now=timezone.now() + timedelta(hours=25)) == 2
    work()

    conversation.refresh_from_db()
    assert (conversation.stage, conversation.closed_reason) == (Stage.CLOSED, ClosedReason.IDLE)
    assert "không có tin nhắn mới" in last(zalo, idle)
    assert "không có tin nhắn mới" not in last(zalo, user)
    assert [item.text for item in ConversationItem.objects.filter(conversation=conversation)] == ["Rác tồn đọng ở chợ"]
    assert (conversation.name, conversation.phone, conversation.address) == ("Nguyễn Thị Hồng", "+84912345678", ADDRESS)
    assert services.conversations_close_idle(now=timezone.now() + timedelta(hours=50)) == 0
    assert not Report.objects.exists()
