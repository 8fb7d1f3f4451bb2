"""A fake of Meta's Graph API as far as the Messenger Send API goes (and of its CDN for attachments), on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.servers import BackgroundServer, QuietHandler, wait_until

VERSION = "v25.0"
PAGE_TOKEN = "test-page-token"
APP_SECRET = "test-app-secret"


def graph_error(code: int, message: str, subcode: int | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


@dataclass
class _State:
    token: str
    app_secret: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    fail_next: int = 0
    # Messages taken before the failures of fail_next begin.
    fail_after: int = 0
    # People whose 24-hour window is closed: Graph refuses them with code 10 / 2018278.
    closed: set[str] = field(default_factory=set)
    # Path -> (content type, bytes): attachments as Meta's CDN serves them.
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(QuietHandler):
    server: _Server

    def do_GET(self) -> None:
        with self.server.state.lock:
            found = self.server.state.files.get(urlsplit(self.path).path)
        if found is None:
            self.send_json(404, graph_error(100, "Unsupported get request."))
            return
        self.send_body(200, found[1], {"Content-Type": found[0]})

    def do_POST(self) -> None:
        state = self.server.state
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urlsplit(self.path)
        with state.lock:
            state.requests += 1
            if state.fail_next > 0 and state.fail_after > 0:
                state.fail_after -= 1
            elif state.fail_next > 0:
                state.fail_next -= 1
                self.send_json(
                    500, graph_error(2, "An unexpected error has occurred. Please retry your request later.")
                )
                return
        if url.path != f"/{VERSION}/me/messages":
            self.send_json(404, graph_error(803, "Unknown path components"))
            return
        # Graph takes the token as ?access_token= or as an OAuth bearer header.
        token = parse_qs(url.query).get("access_token", [""])[0] or self.headers.get("Authorization", "").removeprefix(
            "Bearer "
        )
        if token != state.token:
            self.send_json(400, graph_error(190, "Invalid OAuth access token."))
            return
        # The app requires the secret: each call proves it with the token's HMAC-SHA256 under it.
        proof = hmac.new(state.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(parse_qs(url.query).get("appsecret_proof", [""])[0], proof):
            self.send_json(400, graph_error(100, "Invalid appsecret_proof provided in the API argument"))
            return
        try:
            body = json.loads(raw)
            psid = body["recipient"]["id"]
            text = body["message"]["text"]
        except (ValueError, KeyError, TypeError):
            self.send_json(400, graph_error(100, "(#100) Invalid parameter"))
            return
        if body.get("messaging_type") not in ("RESPONSE", "UPDATE", "MESSAGE_TAG") or len(text) > 2000:
            self.send_json(400, graph_error(100, "(#100) Invalid parameter"))
            return
        replies = body["message"].get("quick_replies") or []
        if len(replies) > 13 or any(len(reply.get("title", "")) > 20 for reply in replies):
            self.send_json(400, graph_error(100, "(#100) Invalid quick_replies"))
            return
        with state.lock:
            if psid in state.closed:
                self.send_json(
                    400, graph_error(10, "(#10) This message is sent outside of allowed window.", subcode=2018278)
                )
                return
            state.messages.append(body)
            number = len(state.messages)
        self.send_json(200, {"recipient_id": psid, "message_id": f"m_{number}"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: _State) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


class FakeGraph(BackgroundServer):
    """POST /v25.0/me/messages with the page token (query or bearer header) and its appsecret_proof:
    200 {"recipient_id", "message_id"} for a well-formed message; Graph's error bodies for a bad token (190),
    a bad message or proof (100), a person outside the 24-hour window (10 / 2018278, see `close_window`)
    and `fail_next(n)` (500, code 2). GET serves the files of `serve_file`, as Meta's CDN does."""

    def __init__(self, token: str = PAGE_TOKEN, app_secret: str = APP_SECRET) -> None:
        self._state = _State(token=token, app_secret=app_secret)
        super().__init__(_Server(self._state), name="fake-graph")
        self.token = token
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}/{VERSION}"

    @property
    def messages(self) -> list[dict[str, Any]]:
        with self._state.lock:
            return list(self._state.messages)

    def texts_to(self, psid: str) -> list[str]:
        return [message["message"]["text"] for message in self.messages if message["recipient"]["id"] == psid]

    @property
    def requests(self) -> int:
        with self._state.lock:
            return self._state.requests

    def fail_next(self, count: int = 1, *, after: int = 0) -> None:
        """The next `count` calls fail (500, code 2), once `after` more have been taken."""
        with self._state.lock:
            self._state.fail_next, self._state.fail_after = count, after

    def serve_file(self, path: str, content: bytes, content_type: str) -> str:
        """Serve `content` at `path` (as Meta's CDN serves a person's attachment); its URL."""
        with self._state.lock:
            self._state.files[path] = (content_type, content)
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def reset(self) -> None:
        with self._state.lock:
            self._state.messages.clear()
            self._state.closed.clear()
            self._state.files.clear()
            self._state.fail_next = self._state.fail_after = 0

    def close_window(self, psid: str) -> None:
        with self._state.lock:
            self._state.closed.add(psid)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        wait_until(
            lambda: len(self.messages) >= count, timeout, f"{count} Messenger message(s), got {len(self.messages)}"
        )
        return self.messages
