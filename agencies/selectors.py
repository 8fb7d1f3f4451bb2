"""Who may act for which agencies: the role selectors every page, API and admin asks."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from boundaries.models import Level
from common.phones import PhoneError, phone_normalize

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


def agency_duty_contacts(*, agency: Agency) -> list[tuple[str, str]]:
    """(phone, e-mail) of whom to tell at once of an urgent report for `agency`: the staff marked on duty
    there (StaffRole.on_duty); with nobody on duty, the agency's own contact and its leaders. Blank parts
    are left blank; the same person is listed once."""
    roles = StaffRole.objects.filter(agency=agency, user__is_active=True).select_related("user")
    on_duty = [role.user for role in roles if role.on_duty]
    people = on_duty or [role.user for role in roles if role.role == Role.LEADER]
    contacts: list[tuple[str, str]] = [] if on_duty else [(_sms_number(agency.phone), agency.email)]
    contacts += [(getattr(user, "phone", None) or "", user.email or "") for user in people]
    seen: set[tuple[str, str]] = set()
    unique = []
    for contact in contacts:
        if any(contact) and contact not in seen:
            seen.add(contact)
            unique.append(contact)
    return unique


def _sms_number(raw: str) -> str:
    # The agency's phone is typed by hand in the admin; only a number an SMS can reach is used.
    try:
        return phone_normalize(raw) if raw else ""
    except PhoneError:
        return ""


# Who may be put on duty: those who handle the agency's reports.
DUTY_ROLES = (Role.OFFICER, Role.LEADER)


def duty_agencies_for(user: AbstractBaseUser | AnonymousUser) -> list[Agency]:
    """The agencies whose on-duty staff this user sets: as their leader or their 1022 operator (with the
    agencies below), every agency for an administrator; by level, then name."""
    agencies = Agency.objects.order_by("level", "name")
    if is_administrator(user):
        return list(agencies)
    return list(agencies.filter(pk__in=agency_ids_for(user, [Role.LEADER, Role.OPERATOR])))


def agency_duty_roles(*, agency: Agency) -> list[StaffRole]:
    """The staff who may be on duty for `agency` (its officers and leaders, active accounts), by name."""
    return list(
        StaffRole.objects.filter(agency=agency, role__in=DUTY_ROLES, user__is_active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username", "role")
    )
