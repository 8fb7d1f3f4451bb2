"""A real HTTP server on loopback speaking the Zalo OA protocol the adapter uses: the send API, the
OAuth refresh with rotating refresh tokens, and files served as Zalo's CDN serves them."""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.servers import BackgroundServer, QuietHandler

APP_ID = "1234567890"
APP_SECRET = "app-secret-abc"
OA_SECRET_KEY = "oa-secret-key-xyz"
FIRST_REFRESH = "refresh-0"


@dataclass
class _State:
    access_token: str = ""
    refresh_token: str = FIRST_REFRESH
    messages: list[dict[str, Any]] = field(default_factory=list)
    refreshes: int = 0
    fail_next: int = 0
    # Messages taken before the failures of fail_next begin.
    fail_after: int = 0
    # Seconds the refresh takes: two workers refreshing at once overlap.
    refresh_delay: float = 0.0
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(QuietHandler):
    server: _Server

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        state = self.server.state
        with state.lock:
            found = state.files.get(urlsplit(self.path).path)
        if found is None:
            self.send_json(404, {"error": "not found"})
            return
        self.send_body(200, found[0], {"Content-Type": found[1]})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path == "/v3.0/oa/message/cs":
            self._send_message()
        elif path == "/v4/oa/access_token":
            self._refresh()
        else:
            self.send_json(404, {"error": "not found"})

    def _send_message(self) -> None:
        state = self.server.state
        raw = self._body()
        with state.lock:
            if state.fail_next > 0 and state.fail_after > 0:
                state.fail_after -= 1
            elif state.fail_next > 0:
                state.fail_next -= 1
                self.send_json(503, {"error": "unavailable"})
                return
            if not state.access_token or self.headers.get("access_token") != state.access_token:
                # As Zalo answers an invalid or expired token: HTTP 200, the error in the body.
                self.send_json(200, {"error": -216, "message": "Access token is invalid"})
                return
        try:
            body = json.loads(raw)
            user_id, text = body["recipient"]["user_id"], body["message"]["text"]
        except (ValueError, KeyError, TypeError):
            self.send_json(200, {"error": -201, "message": "Parameters are invalid"})
            return
        with state.lock:
            state.messages.append({"user_id": user_id, "text": text})
            message_id = f"m{next(state.counter)}"
        self.send_json(200, {"error": 0, "message": "Success", "data": {"message_id": message_id, "user_id": user_id}})

    def _refresh(self) -> None:
        state = self.server.state
        form = {key: values[0] for key, values in parse_qs(self._body().decode()).items()}
        time.sleep(state.refresh_delay)
        with state.lock:
            if (
                self.headers.get("secret_key") != APP_SECRET
                or form.get("app_id") != APP_ID
                or form.get("grant_type") != "refresh_token"
                or form.get("refresh_token") != state.refresh_token
            ):
                self.send_json(200, {"error": -14014, "error_name": "Invalid refresh token"})
                return
            # Each refresh spends the refresh token and hands out a new one.
            state.refreshes += 1
            state.access_token = f"access-{state.refreshes}"
            state.refresh_token = f"refresh-{state.refreshes}"
            answer = {"access_token": state.access_token, "refresh_token": state.refresh_token, "expires_in": "90000"}
        self.send_json(200, answer)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: _State) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


class FakeZalo(BackgroundServer):
    def __init__(self) -> None:
        self.state = _State()
        super().__init__(_Server(self.state), name="fake-zalo")
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def messages(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return list(self.state.messages)

    def texts_to(self, user_id: str) -> list[str]:
        return [m["text"] for m in self.messages if m["user_id"] == user_id]

    def serve_file(self, path: str, content: bytes, content_type: str) -> str:
        with self.state.lock:
            self.state.files[path] = (content, content_type)
        return self.base + path

    def expire_access_token(self) -> None:
        with self.state.lock:
            self.state.access_token = "revoked"

    def fail_next(self, count: int = 1, *, after: int = 0) -> None:
        """The next `count` messages fail (503), once `after` more have been taken."""
        with self.state.lock:
            self.state.fail_next, self.state.fail_after = count, after

    def settings(self) -> dict[str, str]:
        return {
            "ZALO_APP_ID": APP_ID,
            "ZALO_OA_SECRET_KEY": OA_SECRET_KEY,
            "ZALO_APP_SECRET": APP_SECRET,
            "ZALO_REFRESH_TOKEN": FIRST_REFRESH,
            "ZALO_API_BASE": self.base,
            "ZALO_OAUTH_BASE": self.base,
        }
