"""Overdue reports: the scheduled flag (what "overdue" means is incidents.filters.overdue_q)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ..filters import overdue_q
from ..models import Report
from .base import Action, _transition


def reports_flag_overdue() -> int:
    """Mark open reports past their deadline; run by the worker on a schedule."""
    today = timezone.localdate()
    flagged = 0
    with transaction.atomic():
        reports = list(
            Report.objects.select_for_update(skip_locked=True).filter(overdue_q(today), is_overdue=False)[:1000]
        )
        for report in reports:
            report.is_overdue = True
            _transition(report, action=Action.OVERDUE, to_status=None, actor=None, is_public=False)
        Report.objects.bulk_update(reports, ["is_overdue"])
        flagged += len(reports)
    return flagged
