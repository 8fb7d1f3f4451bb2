"""A fake Web Push service on loopback: keeps each encrypted POST; paths ending in /gone answer 410,
in /fail 500, in /redirect a 307 to /push/elsewhere."""

from __future__ import annotations

import base64
import os
import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.servers import BackgroundServer, QuietHandler


@dataclass
class PushRequest:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class _State:
    requests: list[PushRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(QuietHandler):
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.state.lock:
            self.server.state.requests.append(
                PushRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
        status = 201
        if self.path.endswith("/gone"):
            status = 410
        elif self.path.endswith("/fail"):
            status = 500
        elif self.path.endswith("/redirect"):
            status = 307
        self.send_body(status, b"", {"Location": "/push/elsewhere"} if status == 307 else None)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: _State) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class BrowserKeys:
    """What a browser's PushSubscription holds: a P-256 key pair and an auth secret."""

    def __init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        point = self.private_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        self.p256dh = b64(point)
        self.auth_b64 = b64(self.auth)

    def decrypt(self, body: bytes) -> bytes:
        plain: bytes = http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm")
        return plain


class FakePushService(BackgroundServer):
    def __init__(self) -> None:
        self._state = _State()
        super().__init__(_Server(self._state), name="fake-push")
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def requests(self) -> list[PushRequest]:
        with self._state.lock:
            return list(self._state.requests)
