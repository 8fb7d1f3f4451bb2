"""POST /webhooks/zalo: off without its settings, signed deliveries only, each event stored once with
its job, and a redelivery does nothing."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from channels.chat.models import ChatEvent
from tests.chat.conftest import _jobs, follow, post, signature, text, work
from tests.chat.zalo_server import APP_ID, OA_SECRET_KEY, FakeZalo

pytestmark = pytest.mark.django_db


def test_the_webhook_is_off_while_the_app_id_or_secret_key_is_unset(
    client: Client, zalo: FakeZalo, settings: SettingsWrapper
) -> None:
    for name in ("ZALO_APP_ID", "ZALO_OA_SECRET_KEY"):
        value = getattr(settings, name)
        setattr(settings, name, "")
        assert post(client, text("u1", "xin chào")).status_code == 404
        setattr(settings, name, value)
    assert not ChatEvent.objects.exists()


def test_a_delivery_without_or_with_a_wrong_signature_is_refused(client: Client, zalo: FakeZalo) -> None:
    payload = text("u1", "xin chào")
    raw = json.dumps(payload).encode()
    assert post(client, payload, signed=False).status_code == 401
    wrong = client.post(
        "/webhooks/zalo", raw, content_type="application/json", HTTP_X_ZEVENT_SIGNATURE="mac=" + "0" * 64
    )
    assert wrong.status_code == 401
    # Signed, then changed on the way: the body no longer matches its signature.
    tampered = raw.replace(b"xin ch", b"XIN CH")
    changed = client.post(
        "/webhooks/zalo",
        tampered,
        content_type="application/json",
        HTTP_X_ZEVENT_SIGNATURE=signature(raw, payload["timestamp"]),
    )
    assert changed.status_code == 401
    # An HMAC keyed with the secret key (Messenger's way) is not Zalo's signature either.
    keyed = hmac.new(OA_SECRET_KEY.encode(), APP_ID.encode() + raw + payload["timestamp"].encode(), hashlib.sha256)
    hmac_signed = client.post(
        "/webhooks/zalo", raw, content_type="application/json", HTTP_X_ZEVENT_SIGNATURE="mac=" + keyed.hexdigest()
    )
    assert hmac_signed.status_code == 401
    assert not ChatEvent.objects.exists()
    assert _jobs("chat.event_process") == []


def test_a_signed_delivery_is_stored_with_its_job_and_answered_at_once(client: Client, zalo: FakeZalo) -> None:
    payload = text("u1", "xin chào")

    response = post(client, payload)

    assert response.status_code == 200
    [stored] = ChatEvent.objects.all()
    assert (stored.platform, stored.event_id, stored.payload) == ("zalo", payload["message"]["msg_id"], payload)
    assert stored.processed_at is None  # the worker's part
    assert [args for _, args in _jobs("chat.event_process")] == [{"event_pk": stored.pk}]
    assert zalo.messages == []


def test_the_same_delivery_twice_is_one_event_and_one_reply(client: Client, zalo: FakeZalo) -> None:
    payload = text("u2", "xin chào")

    assert post(client, payload).status_code == 200
    assert post(client, payload).status_code == 200
    work()
    assert post(client, payload).status_code == 200
    work()

    assert ChatEvent.objects.count() == 1
    assert len(zalo.texts_to("u2")) == 1


def test_an_event_without_a_message_id_is_keyed_by_its_body(client: Client, zalo: FakeZalo) -> None:
    payload = follow("u3")

    assert post(client, payload).status_code == 200
    assert post(client, payload).status_code == 200
    work()

    [stored] = ChatEvent.objects.all()
    assert stored.event_id.startswith("sha256:")
    [menu] = zalo.texts_to("u3")
    assert "1. Phản ánh kiến nghị" in menu and "2. Tra cứu" in menu


def test_the_domain_check_file_is_served_only_for_the_configured_code(
    client: Client, settings: SettingsWrapper
) -> None:
    settings.ZALO_SITE_VERIFICATION = "Ab12-cd_34"
    served = client.get("/zalo_verifierAb12-cd_34.html")
    assert served.status_code == 200
    assert '<meta property="zalo-platform-site-verification" content="Ab12-cd_34" />' in served.content.decode()
    assert client.get("/zalo-verifierAb12-cd_34.html").status_code == 200
    assert client.get("/zalo_verifierOTHER.html").status_code == 404
    settings.ZALO_SITE_VERIFICATION = ""
    assert client.get("/zalo_verifier.html").status_code == 404
    assert client.get("/zalo_verifierAb12-cd_34.html").status_code == 404
