"""The conversation engine's reads: open conversations, a reporter's own reports."""

from __future__ import annotations

import re

from incidents.models import Answer, Category, Report
from incidents.selectors import category_list, report_get

from .models import Conversation, Stage

CODE = re.compile(r"\d{12}")


def conversation_open_for(*, platform: str, user_id: str) -> Conversation | None:
    """The person's open conversation, locked for the caller's transaction."""
    return (
        Conversation.objects.select_for_update().exclude(stage=Stage.CLOSED).filter(platform=platform, user_id=user_id)
    ).first()


def report_of_reporter(*, code: str, reply_address: str) -> Report | None:
    """The report with this code if it was filed from this platform user; None otherwise, the same
    answer as for a code that does not exist."""
    if not CODE.fullmatch(code):
        return None
    report = report_get(code)
    if report is None or not reply_address or report.reply_address != reply_address:
        return None
    return report


def report_answer_published(report: Report) -> Answer | None:
    return report.answers.filter(published_at__isnull=False).order_by("-published_at", "-id").first()


def chat_categories() -> list[Category]:
    """The categories a person picks from, numbered from 1 in this order."""
    return list(category_list().order_by("sort_order", "name"))
