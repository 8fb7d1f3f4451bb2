"""A real IMAP server on loopback for the e-mail channel's tests: pymap (in-memory "dict" backend) in its own
process, on a free port, with one mailbox user. Tests put mail in it the way a mail server would deliver it
(IMAP APPEND) and read its flags back over IMAP.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from types import TracebackType
from typing import Any

from imap_tools import AND, MailBoxUnencrypted

from tests.servers import free_port, wait_until

# pymap's own entry point (pymap.main), with one change for tests: its password hash takes 1,000 PBKDF2
# rounds rather than 500,000, which cost some 0.6 s of CPU on every login.
LAUNCH = (
    "import pysasl.hashing as hashing; hashing.BuiltinHash.__init__.__kwdefaults__['rounds'] = 1000; "
    "from pymap.main import main; main()"
)


class ImapServer:
    host = "127.0.0.1"
    user = "tiepnhan@phananh.example.vn"
    password = "mat-khau-hop-thu"

    def __init__(self) -> None:
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def django_settings(self) -> dict[str, Any]:
        """Settings that turn the e-mail channel on and point it here."""
        return {
            "INTAKE_IMAP_HOST": self.host,
            "INTAKE_IMAP_PORT": self.port,
            "INTAKE_IMAP_USER": self.user,
            "INTAKE_IMAP_PASSWORD": self.password,
            "INTAKE_IMAP_SSL": False,
        }

    def _answers(self) -> bool:
        if self._process is not None and self._process.poll() is not None:
            raise RuntimeError(f"pymap exited with {self._process.returncode}")
        try:
            with socket.create_connection((self.host, self.port), timeout=1):
                return True
        except OSError:
            return False

    def start(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, "--host", self.host, "--port", str(self.port), "--no-tls", "dict"]
            + ["--demo-user", self.user, "--demo-password", self.password],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, 30, "the IMAP server")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def _box(self) -> MailBoxUnencrypted:
        return MailBoxUnencrypted(self.host, self.port, timeout=10)

    def deliver(self, raw: bytes) -> None:
        """Put a message into the inbox, unread, as a mail server delivers it."""
        with self._box().login(self.user, self.password) as box:
            box.append(raw, "INBOX", dt=None, flag_set=())

    def unread(self) -> int:
        with self._box().login(self.user, self.password) as box:
            return len(list(box.uids(AND(seen=False))))

    def clear(self) -> None:
        with self._box().login(self.user, self.password) as box:
            uids = box.uids("ALL")
            if uids:
                box.delete(uids)

    def __enter__(self) -> ImapServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
