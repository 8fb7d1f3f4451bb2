"""Real local servers for tests and benchmarks, all on 127.0.0.1: the site under its production web
server (scripts/web.sh), an SMTP server and a fake SMS gateway.

None depends on pytest; the fixtures that use them live beside the tests.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

# aiosmtpd logs every SMTP command at INFO, which buries a failing test's output.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def database_url(settings_dict: Mapping[str, Any]) -> str:
    """A DATABASE_URL for a child process (a worker) that must use this database, e.g. the test one."""
    user = quote(str(settings_dict.get("USER") or ""), safe="")
    password = quote(str(settings_dict.get("PASSWORD") or ""), safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgis://{credentials}{host}:{port}/{quote(str(settings_dict['NAME']), safe='')}"


def wait_until(condition: Callable[[], bool], timeout: float, what: str, *, interval: float = 0.02) -> None:
    """Polls `condition` every `interval` seconds until it holds; TimeoutError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


BASE_DIR = Path(__file__).resolve().parent.parent


@contextmanager
def web_server(
    database: str,
    *,
    workers: int = 2,
    env: Mapping[str, str] | None = None,
    probe_headers: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """The site served by scripts/web.sh (as `make run` serves it) on a free port, on the database at
    the URL `database`; yields its base URL once /healthz answers (asked with `probe_headers`, e.g. the
    Host and X-Forwarded-Proto a production proxy sends), stops it on exit."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database,
        "HTTPS": "0",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "WEB_LOG_LEVEL": "warning",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        **(env or {}),
    }
    server = subprocess.Popen(
        ["bash", str(BASE_DIR / "scripts" / "web.sh")],
        cwd=BASE_DIR,
        env=environment,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if server.poll() is not None:
            raise RuntimeError(f"the web server exited with {server.returncode}")
        try:
            return httpx.get(f"{base}/healthz", headers=probe_headers, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(answers, 60, "the web server")
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


@dataclass
class Balancer:
    """nginx started by scripts/balancer.sh: its URL, and what its access log says about each request."""

    url: str
    folder: Path

    def log(self) -> list[dict[str, str]]:
        """One entry a request, oldest first: "request" ("GET /path HTTP/1.1"), "status", "upstream" (the app
        server(s) tried, "a, b" when the first failed; "-" for none) and "cache" (HIT for a kept static file)."""
        path = self.folder / "access.log"
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        return [_balancer_entry(line) for line in lines]

    def served(self, since: int, count: int) -> list[dict[str, str]]:
        """The `count` log entries after the first `since`, once nginx has written them (it logs a request
        just after answering it)."""
        wait_until(lambda: len(self.log()) >= since + count, 10, f"{count} request(s) in the balancer's log")
        return self.log()[since : since + count]


def _balancer_entry(line: str) -> dict[str, str]:
    # The `balancer` log_format of deploy/nginx/balancer.conf.template.
    request = line.split('"')[1]
    status = line.split('"')[2].split()[0]
    tail = "upstream=" + line.split(" upstream=", 1)[1]
    fields = dict(part.split("=", 1) for part in tail.replace(", ", ",").split())
    return {"request": request, "status": status, "upstream": fields["upstream"], "cache": fields["cache"]}


@contextmanager
def balancer(servers: list[str], *, env: Mapping[str, str] | None = None) -> Iterator[Balancer]:
    """nginx (scripts/balancer.sh, round robin) on a free loopback port in front of `servers` (base URLs or
    "host:port", optionally with nginx server parameters: "127.0.0.1:8001 backup"), `env` for the script
    (BALANCER_*); stopped and its state folder removed on exit."""
    port = free_port()
    # Not under pytest's tmp_path: as root, nginx's workers (www-data) must reach the folder.
    folder = Path(tempfile.mkdtemp(prefix="geo-balancer-"))
    upstreams = [server.removeprefix("http://") for server in servers]
    process = subprocess.Popen(
        ["bash", str(BASE_DIR / "scripts" / "balancer.sh"), f"127.0.0.1:{port}", *upstreams],
        cwd=BASE_DIR,
        env={**os.environ, "BALANCER_DIR": str(folder), "BALANCER_WORKERS": "2", **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )

    def listening() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}: see {folder}/error.log")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    try:
        wait_until(listening, 30, "the balancer")
        yield Balancer(url=f"http://127.0.0.1:{port}", folder=folder)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        # Python folds a long encoded subject onto a continuation line
        # ("Subject: \n =?utf-8?b?...?="), which unfolds to a leading space
        # that mail clients do not show.
        return str(self.message["Subject"]).strip()

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None, "no text/plain part"
        content: str = part.get_content()
        return content


class _Collector:
    def __init__(self) -> None:
        self.messages: list[ReceivedMail] = []
        self.lock = threading.Lock()
        # Seconds between keeping a message and answering 250: a sender killed meanwhile never hears back.
        self.delay = 0.0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        # Lines arrive with the wire's CRLF; tests compare with Python strings.
        raw = (envelope.original_content or b"").replace(b"\r\n", b"\n")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(
                ReceivedMail(mail_from=str(envelope.mail_from), rcpt_tos=list(envelope.rcpt_tos), message=message)
            )
            delay = self.delay
        if delay:
            await asyncio.sleep(delay)
        return "250 OK"


class SmtpServer:
    """An aiosmtpd server on a free loopback port that keeps what it receives."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.port = free_port()
        self._collector = _Collector()
        # SMTPUTF8 on: Django sends UTF-8 headers encoded anyway, but a
        # client that does not must not be refused.
        self._controller = Controller(
            self._collector, hostname=self.host, port=self.port, ready_timeout=5, enable_SMTPUTF8=True
        )

    @property
    def messages(self) -> list[ReceivedMail]:
        with self._collector.lock:
            return list(self._collector.messages)

    def django_settings(self) -> dict[str, Any]:
        """Settings that make Django's SMTP backend send here."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": self.port,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_USE_TLS": False,
            "EMAIL_TIMEOUT": 5,
        }

    def environ(self) -> dict[str, str]:
        """Environment for a child process (geo.settings picks the SMTP backend when EMAIL_HOST is set)."""
        return {"EMAIL_HOST": self.host, "EMAIL_PORT": str(self.port), "EMAIL_USE_TLS": "0", "EMAIL_TIMEOUT": "5"}

    def answer_after(self, seconds: float) -> None:
        """Keep each message at once but answer only after ``seconds``."""
        with self._collector.lock:
            self._collector.delay = seconds

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMail]:
        """The messages once at least ``count`` have arrived; TimeoutError otherwise."""
        wait_until(lambda: len(self.messages) >= count, timeout, f"{count} e-mail(s), got {len(self.messages)}")
        return self.messages

    def __enter__(self) -> SmtpServer:
        self._controller.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._controller.stop()


class QuietHandler(BaseHTTPRequestHandler):
    """A fake service's request handler: no access log on stderr; a client gone away is shrugged off."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_body(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (a test killed it or gave up): a real service shrugs it off too

    def send_json(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        self.send_body(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})})


class BackgroundServer:
    """Serves `server` from a daemon thread while used as a context manager."""

    def __init__(self, server: ThreadingHTTPServer, *, name: str) -> None:
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@dataclass
class _GatewayState:
    token: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    fail_next: int = 0
    # Idempotency-Key -> the id answered for it: a repeated key is answered again, not sent again.
    keys: dict[str, str] = field(default_factory=dict)
    # Seconds between taking a message and answering: a sender killed meanwhile never hears back.
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _GatewayHandler(QuietHandler):
    server: _GatewayHTTPServer

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        with state.lock:
            state.requests += 1
            if state.fail_next > 0:
                state.fail_next -= 1
                self.send_json(503, {"error": "temporarily unavailable"})
                return
        # A gateway without a token wants no Authorization header at all.
        if self.headers.get("Authorization") != (f"Bearer {state.token}" if state.token else None):
            self.send_json(401, {"error": "bad token"})
            return
        try:
            message = json.loads(raw)
        except ValueError:
            self.send_json(400, {"error": "body is not JSON"})
            return
        if not isinstance(message, dict) or not {"to", "from", "text"} <= message.keys():
            self.send_json(400, {"error": "to, from and text are required"})
            return
        key = self.headers.get("Idempotency-Key")
        with state.lock:
            if key is not None and key in state.keys:
                message_id = state.keys[key]
            else:
                state.messages.append(message)
                message_id = str(len(state.messages))
                if key is not None:
                    state.keys[key] = message_id
        if state.delay:
            time.sleep(state.delay)
        self.send_json(200, {"id": message_id})


class _GatewayHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: _GatewayState) -> None:
        super().__init__(address, _GatewayHandler)
        self.state = state


GATEWAY_TOKEN = "test-sms-token"


class FakeSmsGateway(BackgroundServer):
    """A real HTTP server speaking the SMS gateway protocol of notifications.sms.HttpGatewayBackend.

    POST JSON ``{"to", "from", "text"}`` with ``Authorization: Bearer <token>`` (no such header
    when the token is empty): 401 for another token, otherwise 200 ``{"id": "<n>"}``; a request
    repeating an ``Idempotency-Key`` gets the first one's id and sends nothing; ``fail_next(n)``
    answers the next n requests with 503 instead.
    """

    host = "127.0.0.1"

    def __init__(self, token: str = GATEWAY_TOKEN) -> None:
        self.token = token
        self._state = _GatewayState(token=token)
        super().__init__(_GatewayHTTPServer((self.host, 0), self._state), name="fake-sms-gateway")
        self.port: int = self._server.server_address[1]
        self.url = f"http://{self.host}:{self.port}/messages"

    @property
    def messages(self) -> list[dict[str, Any]]:
        with self._state.lock:
            return list(self._state.messages)

    @property
    def requests(self) -> int:
        with self._state.lock:
            return self._state.requests

    def fail_next(self, count: int = 1) -> None:
        with self._state.lock:
            self._state.fail_next = count

    def answer_after(self, seconds: float) -> None:
        """Take each message at once but answer only after ``seconds``."""
        with self._state.lock:
            self._state.delay = seconds

    def django_settings(self) -> dict[str, Any]:
        """Settings that make notifications.sms send here."""
        return {
            "SMS_BACKEND": "http",
            "SMS_GATEWAY_URL": self.url,
            "SMS_GATEWAY_TOKEN": self.token,
            "SMS_TIMEOUT": 5.0,
        }

    def environ(self) -> dict[str, str]:
        """Environment for a child process."""
        return {key: str(value) for key, value in self.django_settings().items()}

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The messages once at least ``count`` have been accepted; TimeoutError otherwise."""
        wait_until(lambda: len(self.messages) >= count, timeout, f"{count} SMS, got {len(self.messages)}")
        return self.messages
