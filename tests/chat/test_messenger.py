"""Messenger's adapter: the webhook's handshake and signature, Meta's event payloads, storing each event
once, and the Send API against a local server speaking Graph's protocol."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from procrastinate.contrib.django.models import ProcrastinateJob
from pytest_django.fixtures import Settings as SettingsWrapper

from channels.chat import messenger
from channels.chat.conversation import ASK_CONSENT, MENU
from channels.chat.messenger import QuickReply
from channels.chat.models import ChatEvent, Conversation
from channels.chat.services import InboundMessage
from notifications.models import Notification
from notifications.services import notification_deliver, notification_enqueue
from tests.chat.graph_server import APP_SECRET, FakeGraph
from tests.chat.meta import PAGE_ID, VERIFY_TOKEN, delivery, graph, graph_server, post, signed, text

__all__ = ["graph", "graph_server"]  # fixtures

PSID = "6543210987654321"
T0 = 1764990000000  # milliseconds, as Meta sends them


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def event(psid: str = PSID, stamp: int = T0, **fields: object) -> dict[str, object]:
    return {"sender": {"id": psid}, "recipient": {"id": PAGE_ID}, "timestamp": stamp, **fields}


def test_the_signature_is_the_hmac_sha256_of_the_raw_body_under_the_app_secret(graph: FakeGraph) -> None:
    body = json.dumps(delivery(text(PSID, "Đèn đường hỏng")), ensure_ascii=False).encode()

    assert messenger.signature_valid(body=body, header=signed(body))
    # Another secret; the same JSON escaped differently (Meta signs the bytes it sent); SHA-1's old
    # header form; the bare hex; a non-ASCII header; none.
    assert not messenger.signature_valid(body=body, header=signed(body, "another-secret"))
    assert not messenger.signature_valid(body=body.replace("Đ".encode(), b"\\u0110"), header=signed(body))
    assert not messenger.signature_valid(body=body, header="sha1=" + hashlib.sha1(body).hexdigest())  # noqa: S324
    assert not messenger.signature_valid(body=body, header=signed(body).removeprefix("sha256="))
    assert not messenger.signature_valid(body=body, header="sha256=đ")
    assert not messenger.signature_valid(body=body, header=None)


def test_the_handshake_echoes_the_challenge_only_for_our_verify_token(client: Client, graph: FakeGraph) -> None:
    asked = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}

    answer = client.get("/webhooks/messenger", asked)
    assert (answer.status_code, answer.content, answer["Content-Type"]) == (
        200,
        b"1158201444",
        "text/plain; charset=utf-8",
    )
    assert client.get("/webhooks/messenger", {**asked, "hub.verify_token": "guess"}).status_code == 403
    assert client.get("/webhooks/messenger", {**asked, "hub.mode": "unsubscribe"}).status_code == 403
    assert (
        client.get("/webhooks/messenger", {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN}).status_code
        == 403
    )


@pytest.mark.django_db
@pytest.mark.parametrize("unset", ["MESSENGER_APP_SECRET", "MESSENGER_VERIFY_TOKEN", "MESSENGER_PAGE_TOKEN"])
def test_the_channel_is_off_and_its_webhook_404_until_its_three_secrets_are_set(
    client: Client, graph: FakeGraph, settings: SettingsWrapper, unset: str
) -> None:
    setattr(settings, unset, "")
    asked = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"}

    assert client.get("/webhooks/messenger", asked).status_code == 404
    assert post(client, delivery(text(PSID, "Xin chào"))).status_code == 404
    assert not ChatEvent.objects.exists()


@pytest.mark.django_db
def test_a_signed_delivery_stores_each_event_once_and_a_wrong_one_nothing(client: Client, graph: FakeGraph) -> None:
    payload = delivery(
        text(PSID, "Xin chào"),
        text("777", "Phản ánh"),
        event(read={"watermark": T0}),  # a read receipt: nothing to store
    )
    body = json.dumps(payload).encode()

    for wrong in (signed(body, "another-secret"), "", "sha256=" + "0" * 64):
        answer = post(client, payload, signature=wrong)
        assert answer.status_code == 401, wrong
    assert not ChatEvent.objects.exists()
    jobs = ProcrastinateJob.objects.filter(task_name="chat.event_process").count()

    first = post(client, payload)
    again = post(client, payload)  # Meta sends a delivery again when it did not see our 200 in time

    assert (first.status_code, first.content, again.status_code) == (200, b"EVENT_RECEIVED", 200)
    mids = [item["message"]["mid"] for item in payload["entry"][0]["messaging"][:2]]
    assert sorted(ChatEvent.objects.values_list("event_id", flat=True)) == sorted(mids)
    assert ProcrastinateJob.objects.filter(task_name="chat.event_process").count() == jobs + 2
    raw = b"{not json"
    bad = client.post(
        "/webhooks/messenger", data=raw, content_type="application/json", headers={"X-Hub-Signature-256": signed(raw)}
    )
    assert bad.status_code == 400


def test_meta_events_become_the_engines_inbound_messages() -> None:
    photo = "https://scontent.xx.fbcdn.net/v/t1.15752-9/ho%20ga.jpg?_nc_cat=1&oh=abc"
    audio = "https://cdn.fbsbx.com/v/t59/audioclip-1.mp4?x=1"
    payload = delivery(
        event(message={"mid": "m_text", "text": "  Ổ gà trước số 12  "}),
        event(message={"mid": "m_choice", "text": "Phản ánh kiến nghị", "quick_reply": {"payload": "1"}}),
        event(
            message={
                "mid": "m_media",
                "attachments": [
                    {"type": "image", "payload": {"url": photo}},
                    {"type": "audio", "payload": {"url": audio}},
                    {"type": "video", "payload": {"url": "https://video.xx.fbcdn.net/v/clip.mp4"}},
                    {"type": "file", "payload": {"url": "https://cdn.fbsbx.com/v/t59/don.pdf"}},
                    {"type": "template", "payload": {"template_type": "generic"}},
                ],
            }
        ),
        event(
            message={
                "mid": "m_old",
                "attachments": [{"type": "location", "payload": {"coordinates": {"lat": 11.3, "long": 106.1}}}],
            }
        ),
        # Left out: the page's own echo, a sticker, a read receipt, a reaction, no sender.
        event(message={"mid": "m_echo", "text": "Cảm ơn bạn", "is_echo": True, "app_id": 1}),
        event(
            message={
                "mid": "m_like",
                "sticker_id": 369239263222822,
                "attachments": [{"type": "image", "payload": {"url": photo}}],
            }
        ),
        event(read={"watermark": T0}),
        event(reaction={"mid": "m_text", "action": "react", "reaction": "like"}),
        {"recipient": {"id": PAGE_ID}, "timestamp": T0, "message": {"mid": "m_nobody", "text": "?"}},
        event(stamp=T0 + 1, postback={"title": "Bắt đầu", "payload": "GET_STARTED", "mid": "m_start"}),
        event(stamp=T0 + 2, postback={"title": "Tra cứu", "payload": "Tra cứu"}),
        event(stamp=T0 + 3, referral={"ref": "qr", "source": "SHORTLINK", "type": "OPEN_THREAD"}),
    )

    split = messenger.events_split(payload)
    got = [message for _, stored in split for message in messenger.event_parse(stored)]

    m = "messenger"
    assert [key for key, _ in split] == [
        "m_text",
        "m_choice",
        "m_media",
        "m_old",
        "m_start",
        f"postback:{PSID}:{T0 + 2}",
        f"referral:{PSID}:{T0 + 3}",
    ]
    assert got == [
        InboundMessage(m, PSID, "m_text", "text", text="Ổ gà trước số 12", at=at(T0)),
        InboundMessage(m, PSID, "m_choice", "text", text="1", at=at(T0)),
        InboundMessage(m, PSID, "m_media", "image", media_url=photo, media_name="ho ga.jpg", at=at(T0)),
        InboundMessage(m, PSID, "m_media:2", "audio", media_url=audio, media_name="audioclip-1.mp4", at=at(T0)),
        InboundMessage(
            m,
            PSID,
            "m_media:3",
            "file",
            media_url="https://video.xx.fbcdn.net/v/clip.mp4",
            media_name="clip.mp4",
            at=at(T0),
        ),
        InboundMessage(
            m,
            PSID,
            "m_media:4",
            "file",
            media_url="https://cdn.fbsbx.com/v/t59/don.pdf",
            media_name="don.pdf",
            at=at(T0),
        ),
        InboundMessage(m, PSID, "m_old", "location", lat=11.3, lng=106.1, at=at(T0)),
        InboundMessage(m, PSID, "m_start", "follow", at=at(T0 + 1)),
        InboundMessage(m, PSID, f"postback:{PSID}:{T0 + 2}", "text", text="Tra cứu", at=at(T0 + 2)),
        InboundMessage(m, PSID, f"referral:{PSID}:{T0 + 3}", "follow", at=at(T0 + 3)),
    ]
    # Not Messenger's shape: nothing, never an exception.
    junk: Any
    for junk in (
        None,
        [],
        "page",
        {"object": "instagram", "entry": payload["entry"]},
        {"object": "page", "entry": [1, {"messaging": "x"}]},
    ):
        assert messenger.events_split(junk) == []


def test_the_send_api_replies_with_messaging_type_response_in_pieces_of_2000_characters(graph: FakeGraph) -> None:
    long = ("Phản ánh 202612060001 đang được xử lý. " * 80).strip()

    ids = messenger.message_send(psid=PSID, text=long, quick_replies=[QuickReply("Tra cứu", "2")])

    sent = graph.messages
    assert len(ids) == len(sent) == 2
    assert all(message["messaging_type"] == "RESPONSE" and message["recipient"] == {"id": PSID} for message in sent)
    assert all(len(message["message"]["text"]) <= 2000 for message in sent)
    assert " ".join(message["message"]["text"] for message in sent) == long
    # The choices come with the last piece only.
    assert "quick_replies" not in sent[0]["message"]
    assert sent[1]["message"]["quick_replies"] == [{"content_type": "text", "title": "Tra cứu", "payload": "2"}]


def test_a_failed_send_is_retryable_but_a_closed_window_is_not(graph: FakeGraph, settings: SettingsWrapper) -> None:
    graph.fail_next(1)
    with pytest.raises(messenger.MessengerError, match="2/None"):
        messenger.message_send(psid=PSID, text="Xin chào")

    settings.MESSENGER_PAGE_TOKEN = "expired"
    with pytest.raises(messenger.MessengerError, match="190"):
        messenger.message_send(psid=PSID, text="Xin chào")
    settings.MESSENGER_PAGE_TOKEN = graph.token
    settings.MESSENGER_APP_SECRET = "rotated-secret"  # the appsecret_proof no longer matches
    with pytest.raises(messenger.MessengerError, match="appsecret_proof"):
        messenger.message_send(psid=PSID, text="Xin chào")
    settings.MESSENGER_APP_SECRET = APP_SECRET

    graph.close_window("1111")
    with pytest.raises(messenger.MessengerWindowClosed, match="2018278"):
        messenger.message_send(psid="1111", text="Kết quả xử lý phản ánh")

    settings.MESSENGER_API_BASE = "http://127.0.0.1:9/v25.0"  # nothing listens on the discard port
    with pytest.raises(messenger.MessengerError, match="ConnectError"):
        messenger.message_send(psid=PSID, text="Xin chào")
    assert graph.messages == []


@pytest.mark.django_db
def test_a_long_outbox_message_half_sent_is_finished_by_the_retry_each_piece_once(graph: FakeGraph) -> None:
    paragraph = ("Tổ công tác đã kiểm tra hiện trường và xử lý xong. " * 22).strip()
    body = "\n\n".join(f"Đoạn {n}. {paragraph}" for n in range(5))
    message = notification_enqueue(channel="messenger", recipient=f"messenger:{PSID}", body=body)
    graph.fail_next(1, after=2)

    with pytest.raises(messenger.MessengerError):
        notification_deliver(notification_id=message.pk)
    assert len(graph.messages) == 2
    notification_deliver(notification_id=message.pk)

    texts = [sent["message"]["text"] for sent in graph.messages]
    # Cut between paragraphs, in order, each sent once.
    assert "\n\n".join(texts) == body and len(texts) == 5
    message.refresh_from_db()
    assert (message.status, message.parts_sent) == (Notification.Status.SENT, 5)


@pytest.mark.django_db
def test_the_engines_choices_go_as_quick_replies(graph: FakeGraph) -> None:
    question = "Có cản trở xe cộ đi lại không?\n1. Không\n2. Chắn một phần đường\nTrả lời bằng số.\nGửi 0 để bỏ qua."
    many = "Phản ánh thuộc lĩnh vực nào? Trả lời bằng số:\n" + "\n".join(f"{n}. Lĩnh vực {n}" for n in range(1, 15))
    answer = "Kết quả xử lý: đã sửa.\n1. Thay bóng đèn\n2. Sơn lại cột"
    for body in (MENU, ASK_CONSENT, question, many, answer):
        notification = notification_enqueue(channel="messenger", recipient=f"messenger:{PSID}", body=body)
        notification_deliver(notification_id=notification.pk)

    menu, consent, asked, categories, answered = (message["message"] for message in graph.messages)
    assert [reply["title"] for reply in menu["quick_replies"]] == ["Phản ánh kiến nghị", "Tra cứu"]
    assert [reply["payload"] for reply in consent["quick_replies"]] == ["1", "2"]
    assert [(reply["title"], reply["payload"]) for reply in asked["quick_replies"]] == [
        ("1. Không", "1"),
        ("2. Chắn một phần đườ", "2"),  # Messenger shows at most 20 characters
        ("Bỏ qua", "0"),
    ]
    # Fourteen choices do not fit in Messenger's thirteen: none rather than some.
    assert "quick_replies" not in categories
    # An officer's numbered answer is only text.
    assert "quick_replies" not in answered


@pytest.mark.django_db
def test_outside_the_24_hour_window_the_message_fails_for_good_and_goes_by_sms(graph: FakeGraph) -> None:
    Conversation.objects.create(platform="messenger", user_id="2222", name="Lê Văn Tâm", phone="+84912000111")
    graph.close_window("2222")
    graph.close_window("3333")
    body = "Phản ánh 202612060001 đã có kết quả xử lý. Xem tại http://127.0.0.1:8000/phan-anh/202612060001/"
    late = notification_enqueue(channel="messenger", recipient="messenger:2222", body=body)
    unknown = notification_enqueue(channel="messenger", recipient="messenger:3333", body=body)

    notification_deliver(notification_id=late.pk)  # not raised: the job is not retried
    notification_deliver(notification_id=unknown.pk)

    late.refresh_from_db()
    unknown.refresh_from_db()
    assert (late.status, unknown.status) == (Notification.Status.FAILED, Notification.Status.FAILED)
    assert "2018278" in late.last_error
    [sms] = Notification.objects.filter(channel="sms")
    assert (sms.recipient, sms.body, sms.status) == ("+84912000111", body, Notification.Status.QUEUED)
    assert graph.messages == []
