"""SMS backends: print to the log (development) or post to an HTTP gateway."""

from __future__ import annotations

import logging
from typing import Protocol

import httpx
from django.conf import settings
from django.utils.module_loading import import_string

from common.outbound import http_client

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The message was not accepted; sending it again later may work."""


class SmsBackend(Protocol):
    def send(self, *, to: str, text: str, key: str | None = None) -> str | None: ...


class ConsoleBackend:
    """Writes the message to the log instead of sending it."""

    def send(self, *, to: str, text: str, key: str | None = None) -> None:
        logger.info("SMS tới %s: %s", to, text)


class HttpGatewayBackend:
    """Posts ``{"to", "from", "text"}`` as JSON with a bearer token (none when the token is empty); any 2xx is accepted.

    ``key`` goes out as ``Idempotency-Key``: the same message sent again (a worker that died
    after the gateway took it but before recording it) carries the same key, so a gateway that
    honours the header sends it once.
    """

    def __init__(
        self,
        *,
        url: str | None = None,
        token: str | None = None,
        sender: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.url = url if url is not None else settings.SMS_GATEWAY_URL
        self.token = token if token is not None else settings.SMS_GATEWAY_TOKEN
        self.sender = sender if sender is not None else settings.SMS_SENDER
        self.timeout = timeout if timeout is not None else settings.SMS_TIMEOUT

    def send(self, *, to: str, text: str, key: str | None = None) -> str | None:
        """Returns the gateway's message id when it gives one."""
        if not self.url:
            raise SmsError("Chưa cấu hình SMS_GATEWAY_URL.")
        # "Bearer " with nothing after it is an illegal header value: no token, no header.
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if key:
            headers["Idempotency-Key"] = key
        try:
            response = http_client().post(
                self.url,
                json={"to": to, "from": self.sender, "text": text},
                headers=headers,
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise SmsError(f"Không gửi được tới cổng SMS: {type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise SmsError(f"Cổng SMS trả về {response.status_code}: {response.text[:200]}")
        try:
            payload = response.json()
        except ValueError:
            return None
        message_id = payload.get("id") if isinstance(payload, dict) else None
        return str(message_id) if message_id is not None else None


def get_sms_backend() -> SmsBackend:
    """The backend named by SMS_BACKEND: "console", "http" or a dotted path to a class."""
    name = settings.SMS_BACKEND
    if name == "console":
        return ConsoleBackend()
    if name == "http":
        return HttpGatewayBackend()
    backend_class = import_string(name)
    backend: SmsBackend = backend_class()
    return backend
