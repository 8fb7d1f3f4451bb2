"""Reading the audit log."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from .models import AuditEvent


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
