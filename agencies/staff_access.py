"""What a staff member may see and do with reports: the one rule every staff page, the report API,
the workflow, the heatmap, the statistics, the CSV export and the admin ask.

Seeing. A staff member sees the reports handled by the agencies they are an officer or a leader of,
and by every agency below those (a district UBND oversees its wards' UBND), wherever the report lies
and whether or not it is public; administrators (superusers and provincial administrators) see every
report. Handling, not jurisdiction, decides: a department's jurisdiction is the whole province, so
jurisdiction would open every report there, with its reporter's name and phone, to people who handle
none of them, while a report handed over from another district is theirs to answer. A hotline
operator, or an "admin" role held below the province, handles no report and sees none as staff.
A report out of sight answers exactly like an unknown code.

The rule is about agencies, so it lives with them and knows no report model: it filters any
queryset of things an agency handles (an `agency` foreign key), and judges any object with an
`agency_id`. The report pages, API, heatmap and statistics hand it their report queryset.

Acting. Starting, answering, rejecting, reassigning, merging, redacting and hiding take the officer
or leader role for the report's agency (or one above it); approving and returning an answer take the
leader role. Acting is therefore always a part of seeing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from .models import Role
from .selectors import agency_ids_for, is_administrator

M = TypeVar("M", bound=Model)


class Handled(Protocol):
    """Anything an agency handles: a report, in practice."""

    @property
    def agency_id(self) -> int | None: ...


@dataclass(frozen=True)
class StaffAccess:
    """A user's reach over reports: everything, or the agencies (with those below) they hold a handling role in."""

    everything: bool = False
    officer_ids: frozenset[int] = frozenset()
    leader_ids: frozenset[int] = frozenset()

    @property
    def agency_ids(self) -> frozenset[int]:
        """The agencies whose reports the user sees (ignored when `everything`)."""
        return self.officer_ids | self.leader_ids

    @property
    def is_leader(self) -> bool:
        return self.everything or bool(self.leader_ids)

    def visible(self, queryset: QuerySet[M]) -> QuerySet[M]:
        """The rows of `queryset` (reports) the user sees."""
        return _handled_by(queryset, self.agency_ids, everything=self.everything)

    def led(self, queryset: QuerySet[M]) -> QuerySet[M]:
        """The rows of `queryset` (reports) whose answers the user approves or returns."""
        return _handled_by(queryset, self.leader_ids, everything=self.everything)

    def sees(self, report: Handled) -> bool:
        return self.everything or (report.agency_id is not None and report.agency_id in self.agency_ids)

    def may_act(self, report: Handled, roles: Iterable[str]) -> bool:
        """Whether the user may act on the report in one of `roles` (officer, leader) for its agency."""
        if self.everything:
            return True
        by_role: dict[str, frozenset[int]] = {Role.OFFICER: self.officer_ids, Role.LEADER: self.leader_ids}
        empty: frozenset[int] = frozenset()
        return report.agency_id is not None and any(report.agency_id in by_role.get(role, empty) for role in roles)

    def leads(self, report: Handled) -> bool:
        return self.may_act(report, [Role.LEADER])


def _handled_by(queryset: QuerySet[M], agency_ids: frozenset[int], *, everything: bool) -> QuerySet[M]:
    if everything:
        return queryset.all()
    if not agency_ids:
        # Matches nothing yet still compiles to SQL (an empty IN list does not), for the raw
        # aggregates that embed the query.
        return queryset.filter(pk__isnull=True)
    return queryset.filter(agency_id__in=sorted(agency_ids))


NO_ACCESS = StaffAccess()


def staff_access_for(user: AbstractBaseUser | AnonymousUser) -> StaffAccess:
    if not user.is_authenticated:
        return NO_ACCESS
    if is_administrator(user):
        return StaffAccess(everything=True)
    return StaffAccess(
        officer_ids=frozenset(agency_ids_for(user, [Role.OFFICER])),
        leader_ids=frozenset(agency_ids_for(user, [Role.LEADER])),
    )


def request_staff_access(request: HttpRequest) -> StaffAccess:
    """staff_access_for the request's user, worked out once per request."""
    cached: StaffAccess | None = getattr(request, "_staff_access", None)
    if cached is None:
        cached = staff_access_for(request.user)
        request._staff_access = cached  # type: ignore[attr-defined]
    return cached


def report_staff_visible(*, user: AbstractBaseUser | AnonymousUser, report: Handled) -> bool:
    return staff_access_for(user).sees(report)


def report_staff_may_act(*, user: AbstractBaseUser | AnonymousUser, report: Handled, roles: Iterable[str]) -> bool:
    return staff_access_for(user).may_act(report, roles)
