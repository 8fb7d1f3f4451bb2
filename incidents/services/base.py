"""What every write on a report shares: who acts, the row lock, the history entry, the audit record."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import User as Account
from agencies.models import Agency
from agencies.staff_access import report_staff_may_act
from audit.services import audit_record
from common.gis import CoordinateError
from common.phones import PhoneError

from ..models import Attachment, Report, ReportEvent

User = Account | AnonymousUser
Action = ReportEvent.Action


def _collect(errors: dict[str, list[str]], name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except (ValidationError, PhoneError, CoordinateError) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        errors.setdefault(name, []).extend(messages)
        return None


def _account(user: User | None) -> Account | None:
    """The signed-in account, or None for anonymous people."""
    return user if isinstance(user, Account) else None


def _require(actor: User, report: Report, roles: Sequence[str]) -> None:
    """Raise PermissionDenied unless the actor holds one of `roles` for the report's agency (staff_access)."""
    if not report_staff_may_act(user=actor, report=report, roles=roles):
        raise PermissionDenied("Bạn không có quyền thực hiện thao tác này với phản ánh này.")


def _locked(report: Report) -> Report:
    return Report.objects.select_for_update(of=("self",)).select_related("agency", "category").get(pk=report.pk)


def _transition(
    report: Report,
    *,
    action: str,
    to_status: str | None,
    actor: User | None,
    note: str = "",
    is_public: bool = True,
    agency: Agency | None = None,
    ip_address: str | None = None,
) -> ReportEvent:
    from_status = report.status
    if to_status is not None:
        report.status = to_status
    return ReportEvent.objects.create(
        report=report,
        action=action,
        from_status=from_status,
        to_status=report.status,
        actor=_account(actor),
        agency=agency,
        note=note,
        is_public=is_public,
        ip_address=ip_address,
    )


def _expect(report: Report, statuses: Sequence[str], doing: str) -> None:
    if report.status not in statuses:
        raise ValidationError(f"Không thể {doing}: phản ánh đang ở trạng thái “{report.get_status_display()}”.")


def _audit(actor: User, action: str, obj: Report | Attachment, **details: Any) -> None:
    # In the caller's transaction: the action and its audit record commit together.
    audit_record(actor, action, obj=obj, details=details)
