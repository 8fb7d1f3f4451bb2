"""The cache every app server shares: Django's database cache (the table geo_cache), which holds the
counts of rate limits and throttles (common/counters.py), the statistics and the home page figures.

Django's database cache makes room, once it holds more than MAX_ENTRIES rows, by deleting the expired
ones and then a third of the live ones, the first keys in order whatever their age: past 300 rows
(300 devices asking for a captcha within the hour) the captcha counts went first, then the intake
counts, and a limit started again from nothing. Here a row leaves only when it has expired; the table
holds at most what the windows of the limits hold, each row a few dozen bytes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.cache.backends.db import DatabaseCache
from django.db import connections


class SharedDatabaseCache(DatabaseCache):
    def _cull(self, db: str, cursor: Any, now: datetime, num: int) -> None:
        connection = connections[db]
        table = connection.ops.quote_name(self._table)  # type: ignore[attr-defined]  # set by DatabaseCache
        cursor.execute(
            f"DELETE FROM {table} WHERE expires < %s",  # noqa: S608 (the configured table's quoted name)
            [connection.ops.adapt_datetimefield_value(now)],
        )
