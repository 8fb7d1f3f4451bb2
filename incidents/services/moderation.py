"""Moderation: staff redact personal data typed into a report, hide a report or one of its files; every step logged."""

from __future__ import annotations

from django.db import transaction

from agencies.models import Role
from common.text import clean_text

from ..models import Attachment, Report
from .base import Action, User, _audit, _locked, _require, _transition


@transaction.atomic
def report_redact(*, report: Report, actor: User, title: str, description: str, reason: str) -> Report:
    """Replace personal information a person typed into the title or text; the reason is logged."""
    report = _locked(report)
    _require(actor, report, [Role.OFFICER, Role.LEADER])
    why = clean_text(reason, max_length=500, field_label="Lý do")
    report.title = clean_text(title, max_length=200, field_label="Tiêu đề")
    report.description = clean_text(description, max_length=5000, field_label="Nội dung")
    _transition(report, action=Action.REDACTED, to_status=None, actor=actor, note=why, is_public=False)
    report.save(update_fields=["title", "description", "updated_at"])
    # The reason only: the removed text was personal information.
    _audit(actor, "report.redact", report, reason=why)
    return report


@transaction.atomic
def report_set_public(*, report: Report, actor: User, public: bool, reason: str) -> Report:
    """Hide a report from the public (or show it again), with a logged reason."""
    report = _locked(report)
    _require(actor, report, [Role.OFFICER, Role.LEADER])
    why = clean_text(reason, max_length=300, field_label="Lý do")
    report.is_public = public
    report.hidden_reason = "" if public else why
    _transition(
        report, action=Action.SHOWN if public else Action.HIDDEN, to_status=None, actor=actor, note=why, is_public=False
    )
    report.save(update_fields=["is_public", "hidden_reason", "updated_at"])
    _audit(actor, "report.show" if public else "report.hide", report, reason=why)
    return report


@transaction.atomic
def attachment_hide(*, attachment: Attachment, actor: User, reason: str) -> Attachment:
    report = _locked(attachment.report)
    _require(actor, report, [Role.OFFICER, Role.LEADER])
    why = clean_text(reason, max_length=300, field_label="Lý do")
    attachment.is_hidden = True
    attachment.hidden_reason = why
    attachment.save(update_fields=["is_hidden", "hidden_reason"])
    _transition(
        report,
        action=Action.ATTACHMENT_HIDDEN,
        to_status=None,
        actor=actor,
        note=f"Tệp #{attachment.pk}: {why}",
        is_public=False,
    )
    _audit(actor, "attachment.hide", attachment, report=report.code, reason=why)
    return attachment
