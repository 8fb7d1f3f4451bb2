"""Zalo's events as the engine's messages, and the files people send: fetched from Zalo's URL with the
intake's size and type limits, kept until #KT."""

from __future__ import annotations

import io
import wave
from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from channels.chat.models import Conversation, ItemKind, Stage
from channels.chat.zalo import messages_parse
from tests.chat.conftest import event, location, say, text
from tests.chat.zalo_server import FakeZalo


def media(user: str, kind: str, url: str, **extra: str) -> dict[str, Any]:
    return event(user, f"user_send_{kind}", {"attachments": [{"type": kind, "payload": {"url": url, **extra}}]})


def test_zalo_events_become_the_engines_messages() -> None:
    [spoken] = messages_parse(text("42", "Xin chào"))
    assert (spoken.platform, spoken.user_id, spoken.kind, spoken.text) == ("zalo", "42", "text", "Xin chào")
    assert spoken.at is not None
    for short in (False, True):
        [place] = messages_parse(location("42", 11.3101, 106.0987, short_names=short))
        assert (place.kind, place.lat, place.lng) == ("location", 11.3101, 106.0987)
    [document] = messages_parse(media("42", "file", "https://f.zalo.me/x", name="don.pdf", size="1200"))
    assert (document.kind, document.media_url, document.media_name) == ("file", "https://f.zalo.me/x", "don.pdf")
    [voice] = messages_parse(media("42", "audio", "https://f.zalo.me/a.aac"))
    assert voice.kind == "audio"
    # Coordinates that are not numbers, stickers and unknown events are nothing to the conversation.
    broken = location("42", 0, 0)
    broken["message"]["attachments"][0]["payload"]["coordinates"] = {"latitude": "north", "longitude": "1"}
    assert messages_parse(broken) == []
    assert messages_parse(media("42", "sticker", "https://f.zalo.me/s")) == []
    assert messages_parse({"event_name": "user_send_text"}) == []


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\x00\x00" * 800)
    return buffer.getvalue()


@pytest.mark.django_db
def test_files_are_fetched_within_the_limits_and_refused_with_a_reason(
    client: Client, zalo: FakeZalo, settings: SettingsWrapper
) -> None:
    user = "6001"
    Conversation.objects.create(platform="zalo", user_id=user, stage=Stage.COLLECT, name="An", phone="+84912345678")
    settings.ATTACHMENT_MAX_BYTES = 4096

    say(client, media(user, "audio", zalo.serve_file("/a/ghi-am.wav", wav(), "audio/wav")))
    say(client, media(user, "file", zalo.serve_file("/f/don.pdf", PDF, "application/pdf"), name="don.pdf"))
    say(client, media(user, "file", zalo.serve_file("/f/chay.exe", b"MZ\x90\x00" * 64, "application/octet-stream")))
    say(client, media(user, "file", zalo.serve_file("/f/lon.pdf", PDF + b"0" * 5000, "application/pdf")))
    say(client, media(user, "image", zalo.base + "/khong-co.jpg"))

    conversation = Conversation.objects.get(user_id=user)
    kept = [(item.kind, item.file_name, item.content_type) for item in conversation.items.all()]
    assert kept == [(ItemKind.AUDIO, "ghi-am.wav", "audio/wav"), (ItemKind.FILE, "don.pdf", "application/pdf")]
    assert all(item.file.size > 0 for item in conversation.items.all())
    refusals = [sent for sent in zalo.texts_to(user) if sent.startswith("Không nhận được tệp")]
    assert len(refusals) == 3, zalo.texts_to(user)
    assert "chay.exe" in refusals[0]
    assert "quá lớn" in refusals[1]
    assert "404" in refusals[2]


@pytest.mark.django_db
def test_the_oa_menus_keyword_starts_a_report_and_a_lookup_needs_a_code(client: Client, zalo: FakeZalo) -> None:
    # An OA menu button sends its keyword as text: "#PAKN" is the report, not a report code to look up.
    say(client, text("6002", "#PAKN"))
    assert zalo.texts_to("6002") == ["Bạn muốn gửi phản ánh kiến nghị. Vui lòng cho biết họ và tên của bạn."]
    say(client, text("6003", "Tra cứu"))
    assert zalo.texts_to("6003")[-1].startswith("Để tra cứu, soạn # và mã phản ánh")
    say(client, text("6003", "#202601010001"))
    assert zalo.texts_to("6003")[-1] == (
        "Không tìm thấy phản ánh mã 202601010001 trong các phản ánh bạn đã gửi qua kênh này."
    )
