"""Deadlines count working days: no weekends, no Vietnamese public holidays."""

from __future__ import annotations

from datetime import date

from incidents.deadlines import add_working_days, is_working_day, working_days_between


def test_weekends_are_skipped() -> None:
    friday = date(2026, 10, 2)
    assert add_working_days(friday, 1) == date(2026, 10, 5)  # Monday
    assert add_working_days(friday, 5) == date(2026, 10, 9)


def test_lunar_new_year_is_skipped() -> None:
    # Tết Bính Ngọ: 16–20 February 2026 are public holidays, then a weekend.
    assert not is_working_day(date(2026, 2, 17))
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 23)) == 1


def test_national_day_and_reunification_day_are_skipped() -> None:
    assert not is_working_day(date(2026, 9, 2))
    assert not is_working_day(date(2026, 4, 30))
    assert add_working_days(date(2026, 4, 29), 1) == date(2026, 5, 4)  # 30/4, 1/5, then the weekend


def test_zero_days_is_the_same_day() -> None:
    assert add_working_days(date(2026, 11, 23), 0) == date(2026, 11, 23)
