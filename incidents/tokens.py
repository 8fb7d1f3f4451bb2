"""The reporter's token: a signed link that lets whoever sent a report see it, rate it and reopen it."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing

from .models import Report

SALT = "incidents.reporter"
# Where the report's page shows the reporter's rating and reopening: the messages' links point there.
RATE_ANCHOR = "danh-gia"


def reporter_token(report: Report) -> str:
    """A fresh token for the report's sender (signed, with the time it was made)."""
    return signing.dumps({"report": report.code}, salt=SALT)


def reporter_token_valid(report: Report, token: str) -> bool:
    """Whether `token` was made for this report within settings.REPORTER_TOKEN_DAYS.

    A link in a forwarded or leaked message stops working after that time; every message to the
    reporter carries a fresh token (the answer's outlives the reopen window), and a reporter whose
    link has expired gets a new one by code and a one-time code to their phone, or from their account.
    """
    try:
        data = signing.loads(token, salt=SALT, max_age=timedelta(days=settings.REPORTER_TOKEN_DAYS))
    except signing.BadSignature:  # SignatureExpired is one too
        return False
    return isinstance(data, dict) and data.get("report") == report.code


FOLLOWER_SALT = "incidents.unfollow"


def follower_token(*, follower_pk: int, report_code: str) -> str:
    """The signed part of the unfollow link every message to a follower carries.

    It does not expire: the last message someone got must still let them stop the next ones.
    """
    return signing.dumps({"follower": follower_pk, "report": report_code}, salt=FOLLOWER_SALT)


def follower_from_token(token: str) -> tuple[int, str] | None:
    """The follower and report code a link's token was made for, or None when it is not ours."""
    try:
        data = signing.loads(token, salt=FOLLOWER_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    pk, code = data.get("follower"), data.get("report")
    return (pk, code) if isinstance(pk, int) and isinstance(code, str) else None


AREA_SALTS = {"confirm": "incidents.area.confirm", "stop": "incidents.area.stop"}


def area_token(*, subscription_pk: int, purpose: str) -> str:
    """The signed part of an area subscription's confirm link ("confirm") or unsubscribe link ("stop", in
    every digest; it does not expire)."""
    return signing.dumps({"area": subscription_pk}, salt=AREA_SALTS[purpose])


def area_from_token(token: str, *, purpose: str) -> int | None:
    """The subscription a link's token was made for, or None when it is not ours. A confirm link works for
    settings.AREA_CONFIRM_DAYS."""
    max_age = timedelta(days=getattr(settings, "AREA_CONFIRM_DAYS", 7)) if purpose == "confirm" else None
    try:
        data = signing.loads(token, salt=AREA_SALTS[purpose], max_age=max_age)
    except signing.BadSignature:
        return None
    value = data.get("area") if isinstance(data, dict) else None
    return value if isinstance(value, int) else None


def area_token_valid(token: str, *, purpose: str) -> bool:
    return area_from_token(token, purpose=purpose) is not None
