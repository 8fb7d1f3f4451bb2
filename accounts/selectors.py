"""Who may act for which agencies; which account a sign-in names."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet

from boundaries.models import Level
from common.phones import PhoneError, phone_normalize
from incidents.models import Agency, Answer, Report

from .models import AuditEvent, Role, StaffRole, User


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
    """A superuser, or an administrator of a provincial agency: they manage categories, agencies,
    routing, boundaries and users, and may act on every report. An "admin" role held at a district
    or ward agency grants none of that."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return StaffRole.objects.filter(user=user, role=Role.ADMIN, agency__level=Level.PROVINCE).exists()


def is_staff_member(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and (user.is_superuser or StaffRole.objects.filter(user=user).exists())


def username_for(identifier: str) -> str:
    """The username of the account that `identifier` names: a username, a phone number or an e-mail address.

    Anything that names no single account is returned as typed: authentication then fails
    like a wrong password, so the page never tells whether an account exists.
    """
    text = identifier.strip()
    if not text or User.objects.filter(username=text).exists():
        return text
    if "@" in text:
        matches = list(User.objects.filter(email__iexact=text).values_list("username", flat=True)[:2])
        return matches[0] if len(matches) == 1 else text
    try:
        phone = phone_normalize(text)
    except PhoneError:
        return text
    found = User.objects.filter(phone=phone).values_list("username", flat=True).first()
    return found if found is not None else text


def my_reports(user: User) -> QuerySet[Report]:
    """The citizen's reports, newest first, with their published answers.

    Reports sent without signing in count as theirs too when they came from the phone number the
    account has proven it holds.
    """
    mine = Q(user=user)
    if user.phone and user.phone_verified_at is not None:
        mine |= Q(user__isnull=True, reporter_phone=user.phone)
    return (
        Report.objects.filter(mine)
        .select_related("category", "agency", "ward", "district")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=Answer.objects.filter(published_at__isnull=False)
                .select_related("agency")
                .order_by("published_at", "id"),
                to_attr="published_answers",
            )
        )
        .order_by("-created_at", "-id")
    )


def audit_event_search(
    *, actor: str = "", action: str = "", date_from: date | None = None, date_to: date | None = None
) -> QuerySet[AuditEvent]:
    """Audit events, newest first; `actor` matches the account name typed or held, `action` a prefix
    (e.g. "report." for every workflow action), dates are local days, both ends included."""
    events = AuditEvent.objects.select_related("actor").order_by("-created_at", "-id")
    if actor:
        events = events.filter(Q(actor_label__icontains=actor) | Q(actor__username__icontains=actor))
    if action:
        events = events.filter(action__startswith=action)
    if date_from:
        events = events.filter(created_at__date__gte=date_from)
    if date_to:
        events = events.filter(created_at__date__lte=date_to)
    return events
