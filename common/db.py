"""Database helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import psycopg
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.db.backends.utils import CursorWrapper

# Django's wrapped errors, and psycopg's own from prepared_cursor (which bypasses Django's wrapper).
# OperationalError covers refused and dropped connections, an administrator's shutdown, "the database
# system is starting up", too many connections: all worth retrying shortly (or on another server).
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)

# Where this request's reads go: the primary, unless common.replica.replica_reads says the read replica.
database_reads: ContextVar[str] = ContextVar("database_reads", default=DEFAULT_DB_ALIAS)


def read_alias() -> str:
    """The database alias for a read now: the replica only inside common.replica.replica_reads, and never
    inside a transaction on the primary (what is read there may have just been written)."""
    alias = database_reads.get()
    if alias != DEFAULT_DB_ALIAS and connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return alias


@contextmanager
def prepared_cursor() -> Iterator[psycopg.Cursor]:
    """A server-side-binding cursor on Django's connection, for hot queries run with prepare=True.

    Django's cursors bind parameters on the client, which rules out prepared
    statements; on the busiest lookups, planning costs as much as running. The
    prepared plans live with the (persistent) connection. Behind a transaction-pooling
    PgBouncer (DATABASE_POOL_MODE=transaction) psycopg prepares nothing, so these
    run unprepared: a server connection there serves other clients between transactions.
    On the read replica when the request reads there (read_alias).
    """
    connection = connections[read_alias()]
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        yield cursor


def read_cursor() -> CursorWrapper:
    """Django's cursor for raw-SQL reads: on the read replica when the request reads there (read_alias)."""
    return connections[read_alias()].cursor()
