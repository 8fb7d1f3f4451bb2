"""Who may act for which agencies."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.db import connection

from incidents.models import Agency

from .models import Role, StaffRole, User


def agency_ids_for(user: User | AnonymousUser, roles: Iterable[str]) -> set[int]:
    """The agencies the user acts for in any of `roles`, with all their descendant agencies."""
    if not user.is_authenticated:
        return set()
    roots = list(StaffRole.objects.filter(user=user, role__in=list(roles)).values_list("agency_id", flat=True))
    if not roots:
        return set()
    table = Agency._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE tree(id) AS (
                SELECT unnest(%s::bigint[])
                UNION
                SELECT a.id FROM {table} a JOIN tree ON a.parent_id = tree.id
            ) SELECT id FROM tree
            """,  # noqa: S608 (table name from model metadata)
            [roots],
        )
        return {row[0] for row in cursor.fetchall()}


def is_administrator(user: User | AnonymousUser) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return StaffRole.objects.filter(user=user, role=Role.ADMIN).exists()


def is_staff_member(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and (user.is_superuser or StaffRole.objects.filter(user=user).exists())
