"""Calendar facts every app shares: England and Wales bank holidays and working days.

Bank holidays come from the `holidays` package (kept up to date with each year's
proclamations, substitute days included), not from a hand-kept list.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

# The Trust's time zone (settings.TIME_ZONE): wall-clock times and "today" are London's.
LONDON = ZoneInfo("Europe/London")

# England and Wales share one list of bank holidays (Scotland and Northern Ireland differ).
_COUNTRY, _SUBDIVISION = "GB", "ENG"


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> dict[dt.date, str]:
    return dict(holidays.country_holidays(_COUNTRY, subdiv=_SUBDIVISION, years=[year]).items())


def bank_holiday_name(day: dt.date) -> str | None:
    """The bank holiday's name ("Christmas Day") when `day` is one in England and Wales, else None."""
    return _holidays_of(day.year).get(day)


def is_bank_holiday(day: dt.date) -> bool:
    return bank_holiday_name(day) is not None


def is_weekend(day: dt.date) -> bool:
    return day.weekday() >= 5


def non_working_reason(day: dt.date) -> str | None:
    """Why `day` is not a working day, in words ("a Saturday", "a bank holiday (Christmas Day)"), or None."""
    name = bank_holiday_name(day)
    if is_weekend(day):
        return f"a {day:%A} ({name})" if name else f"a {day:%A}"
    if name:
        return f"a bank holiday ({name})"
    return None
