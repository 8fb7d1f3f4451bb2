"""A whole conversation over Messenger, from the menu to #KT with a pin dropped on our pin page, and back
with #<code>; a redelivered event handled once."""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from PIL import Image
from pytest_django.fixtures import Settings as SettingsWrapper

from channels.chat.models import ChatEvent, ClosedReason, Conversation, Stage
from channels.chat.selectors import chat_categories
from incidents.models import Report
from tests.chat.conftest import work
from tests.chat.graph_server import FakeGraph
from tests.chat.meta import attachment, delivery, get_started, graph, graph_server, post, text
from tests.conftest import point_in

__all__ = ["graph", "graph_server"]  # fixtures

pytestmark = pytest.mark.django_db

WARD = "D25450"  # Phường 1, Thành phố Tây Ninh (demo)
PSID = "24110987654321"
PIN_LINK = re.compile(r"https?://\S+/chat/ghim/\S+")


def say(client: Client, *events: dict[str, object]) -> None:
    answer = post(client, delivery(*events))
    assert answer.status_code == 200, answer.content
    work()


def png() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.usefixtures("demo")
def test_a_whole_conversation_with_the_pin_page_files_one_report_and_looks_it_up(
    client: Client, graph: FakeGraph
) -> None:
    def last() -> Any:
        return [message["message"] for message in graph.messages if message["recipient"]["id"] == PSID][-1]

    say(client, get_started(PSID))
    assert [reply["payload"] for reply in last()["quick_replies"]] == ["1", "2"]
    say(client, text(PSID, "Phản ánh kiến nghị", quick_reply="1"))
    assert "họ và tên" in last()["text"]
    say(client, text(PSID, "Phạm Thu Hà"))
    say(client, text(PSID, "0987 654 321"))
    asked = last()["text"]
    # Messenger cannot share a location: the bot offers our pin page instead.
    assert "chia sẻ vị trí" not in asked and "chọn vị trí trên bản đồ" in asked
    [link] = PIN_LINK.findall(asked)
    page = urlsplit(link).path

    shown = client.get(page)
    assert shown.status_code == 200 and "Chọn vị trí sự việc" in shown.content.decode()
    assert client.post(page, {"lat": "10.5", "lng": "200"}).status_code == 400
    assert client.post(page, {"lat": "21.03", "lng": "105.85"}).status_code == 400  # Hà Nội: outside our area
    lng, lat = point_in(WARD)
    pin = {"lat": f"{lat:.6f}", "lng": f"{lng:.6f}"}
    sent = client.post(page, pin)
    assert sent.status_code == 303 and sent["Location"].endswith("?sent=1")
    assert client.post(page, pin).status_code == 303  # a double tap: still one message
    work()
    assert ChatEvent.objects.filter(event_id__startswith="pin:").count() == 1
    assert "#KT" in last()["text"]

    say(client, text(PSID, "Cột đèn đổ nghiêng ra lòng đường"))
    photo = graph.serve_file("/v/t1.15752-9/cot-den.png", png(), "image/png")
    say(client, attachment(PSID, "image", photo))
    say(client, text(PSID, "#KT"))
    question = last()
    assert "lĩnh vực" in question["text"]
    codes = [category.code for category in chat_categories()]
    # Every choice as a quick reply when they fit in Messenger's thirteen, else none.
    offered = [reply["payload"] for reply in question.get("quick_replies", [])]
    assert offered == ([str(n) for n in range(1, len(codes) + 1)] if len(codes) <= 13 else [])
    say(client, text(PSID, str(codes.index("cay-xanh") + 1)))
    say(client, text(PSID, "Không công khai", quick_reply="2"))

    [report] = Report.objects.all()
    assert report.code in last()["text"]
    assert (report.channel, report.consent_channel, report.reply_address) == (
        "messenger",
        "messenger",
        f"messenger:{PSID}",
    )
    assert report.category.code == "cay-xanh"
    assert (report.reporter_name, report.reporter_phone) == ("Phạm Thu Hà", "+84987654321")
    assert report.ward is not None and report.ward.code == WARD  # routed by the pin
    assert [item.kind for item in report.attachments.all()] == ["image"]
    assert Conversation.objects.get(user_id=PSID).closed_reason == ClosedReason.FILED
    # The conversation it belonged to is over: the link with it.
    assert client.get(page).status_code == 410

    say(client, text(PSID, f"#{report.code}"))
    assert report.get_status_display() in last()["text"]
    say(client, text("99999", f"#{report.code}"))
    assert "Không tìm thấy" in graph.texts_to("99999")[-1]
    assert all(message["messaging_type"] == "RESPONSE" for message in graph.messages)


def test_a_redelivered_event_is_handled_once(client: Client, graph: FakeGraph) -> None:
    payload = delivery(text("5551", "Tra cứu"))

    for _ in range(2):
        assert post(client, payload).status_code == 200
        work()

    assert len(graph.texts_to("5551")) == 1
    assert Conversation.objects.filter(user_id="5551").count() == 1
    assert Conversation.objects.get(user_id="5551").stage == Stage.MENU


def test_a_pin_link_not_signed_by_us_or_too_old_is_refused(
    client: Client, graph: FakeGraph, settings: SettingsWrapper
) -> None:
    assert client.get("/chat/ghim/not-a-token").status_code == 404
    say(client, text("5552", "1"))
    say(client, text("5552", "Ngô Minh"))
    say(client, text("5552", "0912345678"))
    [link] = PIN_LINK.findall(graph.texts_to("5552")[-1])
    page = urlsplit(link).path
    shown = client.get(page).content.decode()
    assert "Chọn vị trí sự việc" in shown and "Gửi vị trí này" in shown
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    shown = client.get(page).content.decode()
    assert "Choose where it happened" in shown and "Send this location" in shown
    assert "Tap the map to place the pin" in shown  # the script's texts, from json_script
    assert client.get(page[:-2] + ("AA" if not page.endswith("AA") else "BB")).status_code == 404
    settings.CHAT_IDLE_HOURS = 0
    assert client.get(page).status_code == 410
