"""The wait to first coaching: one rule (programmes.models.first_coaching_wait)."""

import datetime as dt

import pytest

from programmes.models import first_coaching_wait

S1 = dt.date(2025, 9, 22)


def test_none_before_session_1_is_held():
    assert first_coaching_wait(session_1_held_on=None, first_coaching_held_on=None, today=S1) is None


def test_measured_once_the_first_coaching_session_is_held():
    wait = first_coaching_wait(
        session_1_held_on=S1, first_coaching_held_on=dt.date(2025, 10, 6), today=dt.date(2026, 1, 1)
    )
    assert (wait.days, wait.waiting, str(wait)) == (14, False, "14 days")


def test_still_waiting_counts_to_today():
    wait = first_coaching_wait(session_1_held_on=S1, first_coaching_held_on=None, today=dt.date(2025, 9, 23))
    assert (wait.days, wait.waiting, str(wait)) == (1, True, "waiting 1 day")


@pytest.mark.parametrize(("days", "too_long"), [(20, False), (21, False), (22, True)])
def test_too_long_is_over_the_setting(days, too_long, settings):
    settings.QMS_FIRST_COACHING_WAIT_DAYS = 21
    wait = first_coaching_wait(session_1_held_on=S1, first_coaching_held_on=None, today=S1 + dt.timedelta(days=days))
    assert wait.too_long is too_long
    settings.QMS_FIRST_COACHING_WAIT_DAYS = 30
    assert wait.too_long is False
