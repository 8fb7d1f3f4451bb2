"""One HTTP client per process for the services we call (the SMS gateway, Zalo, Messenger).

A floor module (imports nothing of ours). Building an httpx client builds its TLS context, which cost more
CPU than the request itself when done for every message (`httpx.post`); the shared one also keeps its
connections to those services open. httpx clients are safe to share between a worker's threads.
"""

from __future__ import annotations

import threading

import httpx

_client: httpx.Client | None = None
_lock = threading.Lock()


def http_client() -> httpx.Client:
    """The process's client, made at first use (after any fork of the web server's workers)."""
    global _client
    with _lock:
        if _client is None:
            _client = httpx.Client()
        return _client
