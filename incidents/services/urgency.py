"""Urgency (seed 004): staff who handle a report mark it urgent, or not, after intake.

An operator marks a call urgent at intake (ReportInput.urgent); an urgent report goes first in its
agency's worklist (incidents.selectors.WORKLIST_ORDER) and its on-duty staff are told at once.
"""

from __future__ import annotations

from django.db import transaction

from agencies.models import Role

from ..models import Report
from .base import User, _audit, _locked, _require
from .messages import _notify_on_duty


@transaction.atomic
def report_set_urgent(*, report: Report, urgent: bool, actor: User) -> Report:
    """Mark the report urgent (its agency's on-duty staff are told at once) or ordinary; audited."""
    report = _locked(report)
    _require(actor, report, [Role.OFFICER, Role.LEADER])
    if report.urgent == urgent:
        return report
    report.urgent = urgent
    report.save(update_fields=["urgent", "updated_at"])
    _audit(actor, "report.urgent" if urgent else "report.not_urgent", report)
    _notify_on_duty(report)
    return report
