"""Reads from a streaming hot standby (REPLICA_DATABASE_URL): the database router and the one switch for it.

A view wrapped in `replica_reads` (the public map and its tiles and clusters, the statistics, the
public report lists) runs its reads on the standby: the ORM through `ReplicaRouter`, raw SQL through
`read_alias()` (common.db.prepared_cursor and read_cursor ask it). Everything else reads and writes
on the primary: writes, staff pages, sign-in, sessions, the cache, a person's own reports.

Read-your-writes: any write (a POST, PUT, PATCH or DELETE) sets a short signed cookie
(`PrimaryPinMiddleware`); while it holds, that browser's reads stay on the primary, so the person who
just filed a report, followed one or rated one sees it at once, whatever the replication lag.

A replica that refuses connections, breaks mid-request or lags more than REPLICA_MAX_LAG_SECONDS is
left alone for REPLICA_RETRY_SECONDS: its reads go to the primary meanwhile, never a 500.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponseBase
from django.template.response import SimpleTemplateResponse

from common.db import DATABASE_UNAVAILABLE, database_reads, read_alias

logger = logging.getLogger(__name__)

REPLICA = "replica"
# The cookie that keeps a browser's reads on the primary for REPLICA_PIN_SECONDS after it wrote.
PIN_COOKIE = "geo_primary"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Models the standby may answer for: the public data. Sessions, users and tokens, the cache (rate
# limits, throttles), captchas, sign-in lockouts and the job queue are state a request may have just
# written: always the primary.
REPLICA_APPS = frozenset({"incidents", "boundaries", "agencies", "maps", "stats", "alerts", "open311"})
# How far behind the standby is, in seconds: 0 when it has replayed all it received (an idle primary
# sends nothing, so the last replayed transaction's age alone would read as lag).
LAG_SQL = """
SELECT CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END
"""


class _Health:
    """Per process: when the standby may be tried again, when its lag is next measured."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down_until = 0.0
        self.lag_due = 0.0


_health = _Health()


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    """DATABASE_ROUTERS when REPLICA_DATABASE_URL is set: public data reads follow read_alias(); every
    write, and every read outside `replica_reads`, on the primary."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        if model._meta.app_label not in REPLICA_APPS:
            return DEFAULT_DB_ALIAS
        return read_alias()

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None


def replica_failed(reason: object) -> None:
    """Leave the standby alone for REPLICA_RETRY_SECONDS; drop this thread's connection to it."""
    with _health.lock:
        first = time.monotonic() >= _health.down_until
        _health.down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
    if first:
        logger.warning("Read replica unusable, reading from the primary meanwhile: %s", reason)
    connection = connections[REPLICA]
    try:
        connection.close()
    except Exception:  # noqa: BLE001 - a dead connection may fail to close; it is dropped all the same
        connection.connection = None


def _replica_usable() -> bool:
    """Whether the standby answers and is recent enough; once a request (Django's health check), its lag
    measured at most every REPLICA_LAG_CHECK_SECONDS."""
    now = time.monotonic()
    if now < _health.down_until:
        return False
    connection = connections[REPLICA]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        if now >= _health.lag_due:
            _health.lag_due = now + settings.REPLICA_LAG_CHECK_SECONDS
            with connection.cursor() as cursor:
                cursor.execute(LAG_SQL)
                row = cursor.fetchone()
            lag = float(row[0]) if row else 0.0
            if lag > settings.REPLICA_MAX_LAG_SECONDS:
                replica_failed(f"{lag:.1f} s behind the primary")
                _health.lag_due = 0.0  # measured again as soon as it is tried again
                return False
    except DATABASE_UNAVAILABLE as exc:
        replica_failed(exc)
        return False
    return True


def primary_pinned(request: HttpRequest) -> bool:
    """Whether this browser wrote within REPLICA_PIN_SECONDS (its signed, time-stamped cookie)."""
    if PIN_COOKIE not in request.COOKIES:
        return False
    pinned = request.get_signed_cookie(PIN_COOKIE, default=None, salt=PIN_COOKIE, max_age=settings.REPLICA_PIN_SECONDS)
    return pinned is not None


ViewT = TypeVar("ViewT", bound=Callable[..., HttpResponseBase])


def replica_reads(view: ViewT) -> ViewT:
    """Run a public, read-only view's reads (GET and HEAD) on the standby, its template rendered there too.

    On the primary instead when no standby is configured, the browser is pinned after a write, or the
    standby is down or behind; a standby failing mid-request is left alone and the view run again on
    the primary (a GET reads only, so running it twice changes nothing).
    """

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if (
            not replica_configured()
            or request.method not in ("GET", "HEAD")
            or primary_pinned(request)
            or not _replica_usable()
        ):
            return view(request, *args, **kwargs)
        token = database_reads.set(REPLICA)
        try:
            response = view(request, *args, **kwargs)
            if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
                response.render()  # a template's lazy querysets read here, not after the switch is off
            return response
        except DATABASE_UNAVAILABLE as exc:
            # The standby broke mid-request (or the primary did: then the second try meets it again).
            replica_failed(exc)
        finally:
            database_reads.reset(token)
        return view(request, *args, **kwargs)

    return wrapped  # type: ignore[return-value]


class PrimaryPinMiddleware:
    """After any write, this browser reads from the primary for REPLICA_PIN_SECONDS (read-your-writes)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.method not in SAFE_METHODS:
            response.set_signed_cookie(
                PIN_COOKIE,
                "1",
                salt=PIN_COOKIE,
                max_age=settings.REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
