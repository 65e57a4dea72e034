"""Bank holidays and working days, England and Wales, from the holidays package."""

import datetime as dt

import pytest

from core.dates import bank_holiday_name, is_bank_holiday, non_working_reason


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (dt.date(2026, 12, 1), None),  # a Tuesday
        (dt.date(2026, 12, 5), "a Saturday"),
        (dt.date(2026, 12, 25), "a bank holiday (Christmas Day)"),
        (dt.date(2026, 12, 26), "a Saturday (Boxing Day)"),
        (dt.date(2026, 12, 28), "a bank holiday (Boxing Day (observed))"),  # the substitute day
        (dt.date(2026, 5, 25), "a bank holiday (Spring Bank Holiday)"),
        (dt.date(2027, 3, 26), "a bank holiday (Good Friday)"),
    ],
)
def test_non_working_reason_in_words(day, reason):
    assert non_working_reason(day) == reason


def test_scottish_and_northern_irish_holidays_are_not_english_ones():
    assert bank_holiday_name(dt.date(2026, 1, 2)) is None  # Scotland only
    assert not is_bank_holiday(dt.date(2026, 3, 17))  # St Patrick's Day: Northern Ireland only
    assert is_bank_holiday(dt.date(2026, 8, 31))  # England and Wales' late summer bank holiday
