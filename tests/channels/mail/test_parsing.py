"""What the e-mail channel reads from a message, without a database: map links, HTML bodies, bounces and
auto-replies, the words that name a category."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from imap_tools import MailMessage

from channels.mail.parsing import (
    address_candidates,
    category_guess,
    html_to_text,
    map_point,
    message_key,
    skip_reason,
    subject_title,
    unquoted,
)

OWN = {"no-reply@phananh.example.vn", "tiepnhan@phananh.example.vn"}


def _mail(**headers: str) -> MailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Lê Văn Cường <cuong@example.vn>")
    message["Subject"] = "Ổ gà"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Nội dung")
    parsed: MailMessage = MailMessage.from_bytes(message.as_bytes())
    return parsed


@pytest.mark.parametrize(
    ("text", "point"),
    [
        ("Xem https://www.google.com/maps/@11.3101,106.0987,17z nhé", (106.0987, 11.3101)),
        ("https://maps.google.com/?q=11.31,106.09", (106.09, 11.31)),
        ("https://www.google.com/maps/search/?api=1&query=11.2%2C106.1", (106.1, 11.2)),
        ("https://www.openstreetmap.org/#map=18/11.30500/106.10100", (106.101, 11.305)),
        ("https://www.openstreetmap.org/?mlat=11.3&mlon=106.2#map=17/11.3/106.2", (106.2, 11.3)),
        ("Vị trí: geo:11.25,106.05?z=18", (106.05, 11.25)),
        ("https://example.vn/@11.31,106.09 is not a map", None),
        ("https://www.google.com/maps/@95.0,106.0,17z", None),
        ("Không có liên kết", None),
    ],
)
def test_a_map_link_gives_the_point(text: str, point: tuple[float, float] | None) -> None:
    assert map_point(text) == point


def test_html_becomes_text_without_scripts_and_keeps_link_addresses() -> None:
    html = (
        "<html><head><title>t</title><style>p{color:red}</style><script>alert('x')</script></head><body>"
        "<p>Đèn đường <b>không sáng</b></p><!-- ẩn --><script>document.cookie</script>"
        '<div>Xem <a href="https://www.openstreetmap.org/#map=18/11.3/106.1">bản đồ</a><br>Cảm ơn</div></body></html>'
    )
    text = html_to_text(html)
    assert text == "Đèn đường không sáng\nXem bản đồ (https://www.openstreetmap.org/#map=18/11.3/106.1)\nCảm ơn"
    assert html_to_text("") == ""


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto_Submitted": "auto-replied"}, "Auto-Submitted"),
        ({"Precedence": "bulk"}, "Precedence: bulk"),
        ({"X_Autoreply": "yes"}, "x-autoreply"),
        ({"X_Autorespond": "Out of office"}, "x-autorespond"),
        ({"Return_Path": "<>"}, "Return-Path rỗng"),
        ({"From": "MAILER-DAEMON@mx.example.vn"}, "mailer-daemon"),
        ({"From": "Phản ánh <no-reply@phananh.example.vn>"}, "chính hệ thống"),
        ({"X_Loop": "tiepnhan@phananh.example.vn"}, "X-Loop"),
    ],
)
def test_machines_and_loops_are_told_apart_from_people(headers: dict[str, str], reason: str) -> None:
    assert reason in skip_reason(_mail(**headers), own_addresses=OWN)


def test_a_person_writing_is_not_skipped() -> None:
    message = _mail(Auto_Submitted="no", X_Loop="someone-else@example.vn", Return_Path="<cuong@example.vn>")
    assert skip_reason(message, own_addresses=OWN) == ""


def test_a_message_without_message_id_has_a_key_from_its_headers() -> None:
    first, again = _mail(Date="Sun, 06 Dec 2026 10:00:00 +0700"), _mail(Date="Sun, 06 Dec 2026 10:00:00 +0700")
    assert message_key(first).startswith("sha256:") and message_key(first) == message_key(again)
    assert message_key(_mail(Message_ID="<abc@example.vn>")) == "<abc@example.vn>"


def test_subject_category_and_address_pieces() -> None:
    assert subject_title("Re: Fwd: TR: Ổ gà đường Lê Lợi") == "Ổ gà đường Lê Lợi"
    active = ["giao-thong", "chieu-sang", "khac"]
    assert category_guess("Ổ GÀ lớn giữa mặt đường", active=active) == "giao-thong"
    assert category_guess("Đèn đường không sáng", active=active) == "chieu-sang"
    assert category_guess("Xin hỏi về lịch tiêm", active=active) == "khac"
    # A category the province does not use is never guessed.
    assert category_guess("Cây đổ", active=active) == "khac"
    pieces = address_candidates("Chào anh chị.\nĐịa chỉ: 12 Lê Lợi, Phường 1\nỞ phường Ninh Sơn có ổ gà.")
    assert pieces[0] == "12 Lê Lợi, Phường 1"
    assert "phường Ninh Sơn" in pieces


def test_a_reply_loses_what_it_quotes() -> None:
    text = "Ở chợ.\n> Địa chỉ: Phường 1\nCảm ơn.\nOn Sun, 6 Dec 2026, A <a@example.vn> wrote:\nĐịa chỉ: Phường 2"
    assert unquoted(text) == "Ở chợ.\nCảm ơn."
    assert unquoted("Từ: Phản ánh <no-reply@phananh.example.vn>\nĐịa chỉ: Phường 1") == ""
    assert unquoted("Địa chỉ: Phường 3") == "Địa chỉ: Phường 3"
