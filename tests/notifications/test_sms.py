"""notifications.sms against a real HTTP server speaking the gateway protocol."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from notifications.sms import ConsoleBackend, HttpGatewayBackend, SmsError, get_sms_backend
from tests.servers import FakeSmsGateway, free_port

TEXT = "Phản ánh #42 đã được tiếp nhận. Cảm ơn bạn!"


def test_sends_json_with_bearer_token(sms_gateway: FakeSmsGateway, settings: SettingsWrapper) -> None:
    settings.SMS_SENDER = "PHANANH"

    message_id = HttpGatewayBackend().send(to="+84912345678", text=TEXT)

    assert message_id == "1"
    assert sms_gateway.messages == [{"to": "+84912345678", "from": "PHANANH", "text": TEXT}]


def test_503_raises_sms_error(sms_gateway: FakeSmsGateway) -> None:
    sms_gateway.fail_next(1)

    with pytest.raises(SmsError, match="503"):
        HttpGatewayBackend().send(to="+84912345678", text=TEXT)

    assert sms_gateway.messages == []


def test_wrong_token_is_refused(sms_gateway: FakeSmsGateway, settings: SettingsWrapper) -> None:
    settings.SMS_GATEWAY_TOKEN = "not-the-token"

    with pytest.raises(SmsError, match="401"):
        HttpGatewayBackend().send(to="+84912345678", text=TEXT)

    assert sms_gateway.messages == []
    assert sms_gateway.requests == 1


def test_unreachable_gateway_raises_sms_error(settings: SettingsWrapper) -> None:
    # A port nothing listens on: the connection is refused at once.
    backend = HttpGatewayBackend(url=f"http://127.0.0.1:{free_port()}/messages", token="t", timeout=2)

    with pytest.raises(SmsError, match="ConnectError"):
        backend.send(to="+84912345678", text=TEXT)


def test_get_sms_backend_follows_the_setting(settings: SettingsWrapper) -> None:
    settings.SMS_BACKEND = "console"
    assert isinstance(get_sms_backend(), ConsoleBackend)
    settings.SMS_BACKEND = "http"
    assert isinstance(get_sms_backend(), HttpGatewayBackend)
    settings.SMS_BACKEND = "notifications.sms.ConsoleBackend"
    assert isinstance(get_sms_backend(), ConsoleBackend)


def test_console_backend_logs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="notifications.sms"):
        ConsoleBackend().send(to="+84912345678", text=TEXT)

    assert TEXT in caplog.text


def test_empty_token_sends_no_authorization_header(settings: SettingsWrapper) -> None:
    # A gateway reached without a token (e.g. one that trusts its network) wants no header at all.
    with FakeSmsGateway(token="") as gateway:
        for name, value in gateway.django_settings().items():
            setattr(settings, name, value)
        assert settings.SMS_GATEWAY_TOKEN == ""

        assert HttpGatewayBackend().send(to="+84912345678", text=TEXT) == "1"

        assert gateway.messages == [{"to": "+84912345678", "from": "PHANANH", "text": TEXT}]


def test_a_repeated_idempotency_key_is_sent_once(sms_gateway: FakeSmsGateway) -> None:
    # What a retry after a worker died mid-send looks like to the gateway.
    first = HttpGatewayBackend().send(to="+84912345678", text=TEXT, key="notification-7")
    again = HttpGatewayBackend().send(to="+84912345678", text=TEXT, key="notification-7")
    other = HttpGatewayBackend().send(to="+84912345678", text=TEXT, key="notification-8")

    assert first == again == "1" and other == "2"
    assert len(sms_gateway.messages) == 2


def test_messages_share_one_http_client(sms_gateway: FakeSmsGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    """A client per message cost a TLS context's CPU each time, the main cost of a warning's SMS."""
    built: list[httpx.Client] = []
    original = httpx.Client.__init__

    def counting(self: httpx.Client, *args: Any, **kwargs: Any) -> None:
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "__init__", counting)
    backend = HttpGatewayBackend()
    for number in range(3):
        backend.send(to=f"+8491234567{number}", text="Cảnh báo mưa lớn")

    assert len(sms_gateway.wait_for(3)) == 3
    assert len(built) <= 1
