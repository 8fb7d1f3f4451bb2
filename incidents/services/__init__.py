"""Writes for reports, one module per concern:

- intake: a new report from any channel (report_create, its Sender and input);
- questions: the answers to a category's extra questions, cleaned at intake;
- workflow: the processing steps of staff, the reporter's rating and reopening, "me too", look-up;
- following: following a public report and stopping by the messages' link;
- areas: area subscriptions (confirm, digest, unsubscribe);
- moderation: redacting and hiding;
- locate: staff set a report's pin (one filed without a place) and it is routed again;
- messages: what each event tells the reporter, the followers and the agency;
- overdue: the scheduled overdue flag.

Routing is incidents.routing. Callers import from here (`from incidents import services`); the names
below are the package's surface.
"""

from __future__ import annotations

from ..routing import OUTSIDE_MESSAGE, Routing, agency_for, report_route, reports_relocate, route_report
from ..tokens import area_token_valid, follower_from_token, reporter_token, reporter_token_valid
from .areas import area_confirm, area_digests_send, area_feed_url, area_subscribe, area_unsubscribe, subscription_area
from .following import report_follow, report_follow_push, report_unfollow
from .intake import (
    IDEMPOTENCY_KEY_MAX,
    SCREEN_CHANNELS,
    WEB,
    CleanReport,
    IdempotencyConflict,
    ReporterInput,
    ReportInput,
    Sender,
    report_clean,
    report_create,
    report_replay,
    sender_for,
)
from .locate import report_add_location, report_set_location
from .messages import report_receipt
from .moderation import attachment_hide, report_redact, report_set_public
from .overdue import reports_flag_overdue
from .questions import question_answer_errors, question_answers_clean
from .urgency import report_set_urgent
from .workflow import (
    report_answer,
    report_approve_answer,
    report_can_reopen,
    report_lookup,
    report_merge,
    report_rate,
    report_reassign,
    report_reject,
    report_reopen,
    report_return_answer,
    report_start,
    report_support,
)

__all__ = [
    "area_confirm",
    "area_digests_send",
    "area_feed_url",
    "area_subscribe",
    "area_token_valid",
    "area_unsubscribe",
    "subscription_area",
    "IDEMPOTENCY_KEY_MAX",
    "OUTSIDE_MESSAGE",
    "SCREEN_CHANNELS",
    "WEB",
    "CleanReport",
    "IdempotencyConflict",
    "ReportInput",
    "ReporterInput",
    "Routing",
    "Sender",
    "agency_for",
    "follower_from_token",
    "question_answer_errors",
    "question_answers_clean",
    "attachment_hide",
    "report_add_location",
    "report_answer",
    "report_approve_answer",
    "report_can_reopen",
    "report_clean",
    "report_create",
    "report_follow",
    "report_follow_push",
    "report_lookup",
    "report_merge",
    "report_reassign",
    "report_receipt",
    "report_redact",
    "report_reject",
    "report_rate",
    "report_reopen",
    "report_replay",
    "report_return_answer",
    "report_route",
    "report_set_location",
    "report_set_public",
    "report_set_urgent",
    "report_start",
    "report_support",
    "report_unfollow",
    "reporter_token",
    "reporter_token_valid",
    "reports_flag_overdue",
    "reports_relocate",
    "route_report",
    "sender_for",
]
