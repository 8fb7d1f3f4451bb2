"""Who may act for which agencies: the role selectors every page, API and admin asks."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from boundaries.models import Level

from .models import Agency, Role, StaffRole


def agency_ids_for(user: AbstractBaseUser | AnonymousUser, roles: Iterable[str]) -> set[int]:
    """The agencies the user acts for in any of `roles`, with all their descendant agencies."""
    if not user.is_authenticated:
        return set()
    roots = list(StaffRole.objects.filter(user_id=user.pk, role__in=list(roles)).values_list("agency_id", flat=True))
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


def is_administrator(user: AbstractBaseUser | AnonymousUser) -> bool:
    """A superuser, or an administrator of a provincial agency: they manage categories, agencies,
    routing, boundaries and users, and may act on every report. An "admin" role held at a district
    or ward agency grants none of that."""
    if not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return StaffRole.objects.filter(user_id=user.pk, role=Role.ADMIN, agency__level=Level.PROVINCE).exists()


def is_staff_member(user: AbstractBaseUser | AnonymousUser) -> bool:
    return user.is_authenticated and (
        bool(getattr(user, "is_superuser", False)) or StaffRole.objects.filter(user_id=user.pk).exists()
    )
