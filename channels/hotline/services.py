"""Writes of the 1022 desk: only the audit record of a look-up. Reports are entered through
incidents.services.report_create (the report form, with the operator as its sender)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from audit.services import audit_record
from common.phones import phone_normalize
from incidents.models import Report

from .selectors import User, operator_agency_ids, reports_of_caller

LOOKUP_LIMIT = 50


def caller_reports_lookup(*, user: User, phone: str) -> tuple[str, list[Report]]:
    """The caller's earlier reports by the phone they give (normalised; PhoneError when it is no number),
    as (E.164 phone, reports); each look-up is recorded in the audit log with what it found."""
    if not operator_agency_ids(user):
        raise PermissionDenied("Chỉ tổng đài viên mới tra cứu phản ánh theo số điện thoại người gọi.")
    normalised = phone_normalize(phone)
    reports = list(reports_of_caller(user=user, phone=normalised)[:LOOKUP_LIMIT])
    audit_record(
        user,
        "hotline.phone_lookup",
        details={"phone": normalised, "found": [report.code for report in reports]},
    )
    return normalised, reports
