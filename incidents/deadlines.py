"""Deadlines in working days: no weekends, no Vietnamese public holidays (lunar Tết included); office hours."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
from django.conf import settings
from django.utils import timezone


@lru_cache(maxsize=32)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=year).keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (the day of receipt does not count)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative when end is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    return sum(1 for offset in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=offset)))


def _office_periods() -> list[tuple[time, time]]:
    """settings.OFFICE_HOURS, e.g. "07:30-11:30,13:30-17:00": the opening periods of a working day."""
    periods = []
    for part in settings.OFFICE_HOURS.split(","):
        start, end = (time.fromisoformat(value.strip()) for value in part.split("-"))
        periods.append((start, end))
    return sorted(periods)


def office_opening(moment: datetime) -> datetime | None:
    """None when `moment` lies within office hours (working days, Vietnam time); otherwise the next opening,
    as an aware local time: when processing of an ordinary report filed then starts."""
    local = timezone.localtime(moment)
    periods = _office_periods()
    day = local.date()
    for _ in range(60):  # Tết and its weekends close at most a couple of weeks.
        if is_working_day(day):
            for start, end in periods:
                opens = timezone.make_aware(datetime.combine(day, start))
                closes = timezone.make_aware(datetime.combine(day, end))
                if opens <= local < closes:
                    return None
                if local < opens:
                    return opens
        day += timedelta(days=1)
    raise ValueError("no office hours within sixty days: check settings.OFFICE_HOURS")
