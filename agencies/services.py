"""Writes of the organisation chart from the staff side (the rest is the administrators' admin)."""

from __future__ import annotations

from collections.abc import Collection

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from audit.services import audit_record

from .models import Agency, StaffRole
from .selectors import DUTY_ROLES, duty_agencies_for


@transaction.atomic
def agency_duty_set(
    *, actor: AbstractBaseUser | AnonymousUser, agency: Agency, on_duty: Collection[int]
) -> list[StaffRole]:
    """Put exactly the staff roles `on_duty` (ids of the agency's officers and leaders) on duty for `agency`
    and take everyone else there off: none, one or several (StaffRole.on_duty; with nobody on duty the
    agency's contact and leaders are told of urgent reports). Its leader, its 1022 operator or an
    administrator may; recorded in the audit log with who came on and went off. The roles on duty now."""
    if agency.pk not in {item.pk for item in duty_agencies_for(actor)}:
        raise PermissionDenied("Chỉ lãnh đạo, tổng đài viên của cơ quan hoặc quản trị viên mới phân công trực.")
    roles = list(
        StaffRole.objects.select_for_update()
        .filter(agency=agency, role__in=DUTY_ROLES, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    wanted = set(on_duty)
    if unknown := wanted - {role.pk for role in roles}:
        raise ValidationError({"on_duty": [f"Không phải cán bộ của {agency.name}: {sorted(unknown)}."]})
    came = [role for role in roles if role.pk in wanted and not role.on_duty]
    went = [role for role in roles if role.pk not in wanted and role.on_duty]
    StaffRole.objects.filter(pk__in=[role.pk for role in came]).update(on_duty=True)
    StaffRole.objects.filter(pk__in=[role.pk for role in went]).update(on_duty=False)
    if came or went:
        audit_record(
            actor,
            "agency.duty",
            obj=agency,
            details={
                "agency": agency.code,
                "on": sorted(role.user.get_username() for role in came),
                "off": sorted(role.user.get_username() for role in went),
            },
        )
    return [role for role in roles if role.pk in wanted]
