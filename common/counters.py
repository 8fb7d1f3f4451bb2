"""Rate limits and throttles shared by every app server: their counts live in the cache table (the
database), and each read-then-write of a count runs under a PostgreSQL advisory lock on its key.

Without the lock, two requests on two servers (or two threads of one) read the same history and each
wrote it back with its own request added: one request was lost, and simultaneous requests got past a
limit together. The lock is held to the end of a short transaction, so it also holds through a
transaction-pooling PgBouncer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from rest_framework.throttling import SimpleRateThrottle


@contextmanager
def counters_locked(keys: Iterable[str]) -> Iterator[None]:
    """Holds the lock of each cache key (in one order, so two callers never wait for each other) until
    the block ends; the cache's own reads and writes inside it join its transaction."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            for key in sorted(set(keys)):
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"counter:{key}"])
        yield


class SharedRateThrottle(SimpleRateThrottle):
    """DRF's sliding-window throttle with its history read and written under the key's lock. Put it
    first among the bases (`class X(SharedRateThrottle, UserRateThrottle)`) to keep another's key."""

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        with counters_locked([key]):
            return super().allow_request(request, view)
