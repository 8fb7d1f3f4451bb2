"""What request input the database can hold: one definition for the request guard, parsers and filters.

PostgreSQL text cannot hold NUL (U+0000), and a lone surrogate (U+D800..U+DFFF, from a JSON
escape such as "\\ud800") cannot be encoded as UTF-8: either one reaching a query is a 500.
Dates and integers are bounded to what a query can compute with (a day's Vietnam-time start,
a bigint), so a far date or a huge number is a 400, not an overflow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")
# Dates a filter may name: older or later ones are typing errors, and date.max + 1 day overflows.
DAY_MIN = date(2000, 1, 1)
DAY_MAX = date(2100, 12, 31)
# PostgreSQL bigint: the widest integer column (ids, counts).
INT_MAX = 2**63 - 1
# Deeper JSON than this is refused before it is parsed: no request of ours nests more than a few levels
# (a MultiPolygon's coordinates are 4 deep inside an object).
JSON_MAX_DEPTH = 32
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")


class InputError(ValueError):
    """Input the service cannot take; the message is for a person (Vietnamese)."""


def is_storable(text: str) -> bool:
    return UNSTORABLE_TEXT.search(text) is None


def unstorable_message(name: str) -> str:
    return f"{name} chứa ký tự không hợp lệ (ký tự NUL hoặc mã Unicode lỗi)."


def texts_of(value: Any) -> Iterable[str]:
    """Every string in parsed JSON (keys included), without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def json_depth(text: str) -> int:
    """How deeply the JSON text nests arrays and objects (brackets inside strings do not count)."""
    depth = deepest = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def parse_day(raw: str, name: str, formats: tuple[str, ...] = ("%Y-%m-%d",)) -> date | None:
    """A calendar day between DAY_MIN and DAY_MAX, or None when empty; InputError otherwise."""
    raw = raw.strip()
    if not raw:
        return None
    for fmt in formats:
        try:
            day = datetime.strptime(raw, fmt).date()  # noqa: DTZ007 (a calendar day, no time)
        except ValueError:
            continue
        if not DAY_MIN <= day <= DAY_MAX:
            raise InputError(f"{name}: ngày phải nằm trong khoảng năm {DAY_MIN.year} đến {DAY_MAX.year}.")
        return day
    raise InputError(f"{name} phải có dạng YYYY-MM-DD.")


# Real time zones lie within UTC-12..UTC+14; PostgreSQL refuses offsets much beyond that.
MAX_UTC_OFFSET = timedelta(hours=14)


def parse_moment(raw: str, name: str) -> datetime | None:
    """An ISO 8601 moment (naive: Vietnam time) within the dates a filter may name, or None when empty."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None:
        raise InputError(f"{name} phải là thời điểm ISO 8601, ví dụ 2025-06-01T08:00:00+07:00.")
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise InputError(f"{name}: múi giờ phải trong khoảng -12:00 đến +14:00.")
    if not DAY_MIN <= value.date() <= DAY_MAX:
        raise InputError(f"{name}: thời điểm phải nằm trong khoảng năm {DAY_MIN.year} đến {DAY_MAX.year}.")
    return timezone.make_aware(value) if timezone.is_naive(value) else value
