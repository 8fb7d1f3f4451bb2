"""Database helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.db import connection


@contextmanager
def prepared_cursor() -> Iterator[psycopg.Cursor]:
    """A server-side-binding cursor on Django's connection, for hot queries run with prepare=True.

    Django's cursors bind parameters on the client, which rules out prepared
    statements; on the busiest lookups, planning costs as much as running. The
    prepared plans live with the (persistent) connection. Behind a transaction-pooling
    PgBouncer (DATABASE_POOL_MODE=transaction) psycopg prepares nothing, so these
    run unprepared: a server connection there serves other clients between transactions.
    """
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        yield cursor
