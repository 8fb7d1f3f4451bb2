"""Reads of the 1022 desk: who works it, the reports an operator entered, a caller's earlier reports."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from agencies.models import Role
from agencies.selectors import agency_ids_for, is_administrator
from incidents.models import Channel, Report, ReportEvent

User = AbstractBaseUser | AnonymousUser


def operator_agency_ids(user: User) -> set[int]:
    """The agencies (with those below) the user answers the hotline for; empty for anyone but operators."""
    return agency_ids_for(user, [Role.OPERATOR])


def reports_entered_by(*, operator: User) -> QuerySet[Report]:
    """The reports this operator typed in for callers, newest first: to answer a caller who rings back."""
    return (
        Report.objects.filter(
            channel=Channel.HOTLINE,
            events__action=ReportEvent.Action.CREATED,
            events__actor_id=operator.pk,
        )
        .select_related("category", "agency", "ward")
        .order_by("-created_at", "-id")
    )


def reports_of_caller(*, user: User, phone: str) -> QuerySet[Report]:
    """The reports sent with this phone (E.164) that the user may name to the caller: those handled by the
    agencies the user answers the hotline for (administrators: all), confidential ones included, since the
    caller on the line is their reporter. Newest first; the desk audits each look-up (services)."""
    reports = Report.objects.filter(reporter_phone=phone)
    if not is_administrator(user):
        reports = reports.filter(agency_id__in=operator_agency_ids(user))
    return reports.select_related("category", "agency", "ward").order_by("-created_at", "-id")
