"""The shared cache keeps every live count, however many there are: a rate limit never starts again
from nothing because many other devices were counted."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache.backends.base import BaseCache
from django.db import connection
from django.utils.module_loading import import_string

pytestmark = pytest.mark.django_db


def small_cache(max_entries: int) -> BaseCache:
    """The configured cache backend on the same table, made to hold only `max_entries` rows."""
    configured = settings.CACHES["default"]
    backend = import_string(str(configured["BACKEND"]))
    cache: BaseCache = backend(configured["LOCATION"], {**configured, "OPTIONS": {"MAX_ENTRIES": max_entries}})
    return cache


def test_live_counts_stay_when_the_cache_is_full_and_expired_ones_go() -> None:
    cache = small_cache(10)
    cache.clear()
    cache.set("captcha:device:first", [1.0], 3600)
    cache.set("old", [1.0], 3600)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE geo_cache SET expires = now() - interval '1 hour' WHERE cache_key = %s", [cache.make_key("old")]
        )
    # Many other devices counted after it (keys later in order than the first one's).
    for number in range(30):
        cache.set(f"intake:device:{number:02d}", [float(number)], 3600)
    assert cache.get("captcha:device:first") == [1.0]
    assert all(cache.get(f"intake:device:{number:02d}") == [float(number)] for number in range(30))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM geo_cache WHERE cache_key = %s", [cache.make_key("old")])
        assert cursor.fetchone()[0] == 0
