"""The overdue rule: from the later of the due date and the agreed start, plus the grace days; one
scale for days overdue; "scheduled N days late"; the status and the SQL filter agree every day,
across the clock changes (an agreed start just after midnight in London is the day before in UTC)."""

from __future__ import annotations

import datetime as dt

import pytest

from programmes.models import LONDON, Session, SessionStatus, last_on_time_day
from tests import factories

pytestmark = pytest.mark.django_db

DUE = dt.date(2026, 10, 12)  # a Monday, two weeks before the clocks go back (25 October 2026)


def _session(*, agreed_start=None, due=DUE, **extra) -> Session:
    return factories.SessionFactory(due_date=due, agreed_start=agreed_start, **extra)


def test_agreed_start_past_due_plus_grace_is_scheduled_late_not_overdue_until_its_own_grace_ends():
    # Agreed for Monday 2 November 10:00 (GMT), 21 days after the due date.
    session = _session(agreed_start=dt.datetime(2026, 11, 2, 10, 0, tzinfo=LONDON))
    assert session.days_scheduled_late == 21
    assert last_on_time_day(due_date=DUE, agreed_start=session.agreed_start) == dt.date(2026, 11, 9)
    # Without the agreed time it would be overdue from 20 October; with it, it is not.
    assert session.status(dt.date(2026, 10, 20)) == SessionStatus.SCHEDULED
    assert session.status(dt.date(2026, 11, 9)) == SessionStatus.SCHEDULED
    assert session.status(dt.date(2026, 11, 10)) == SessionStatus.OVERDUE
    assert session.days_overdue(dt.date(2026, 11, 10)) == 1
    assert session.days_overdue(dt.date(2026, 11, 23)) == 14  # the day escalation goes


def test_agreed_within_grace_is_not_late_and_held_or_cancelled_is_never_late():
    assert _session(agreed_start=dt.datetime(2026, 10, 19, 10, tzinfo=LONDON)).days_scheduled_late == 0
    late = dt.datetime(2026, 11, 2, 10, tzinfo=LONDON)
    assert _session(agreed_start=late, held_on=dt.date(2026, 11, 2)).days_scheduled_late == 0
    assert _session(agreed_start=late, cancelled=True, cancelled_reason="Ward closed").days_scheduled_late == 0


@pytest.mark.parametrize(
    "agreed_start",
    [
        None,
        # 00:30 on 26 October in London (GMT, the day after the clocks went back) is 00:30 UTC.
        dt.datetime(2026, 10, 26, 0, 30, tzinfo=LONDON),
        # 00:30 on 25 October in London (still BST until 02:00) is 23:30 UTC on 24 October.
        dt.datetime(2026, 10, 25, 0, 30, tzinfo=LONDON),
        # 00:30 on 29 March 2027 in London (BST from 28 March) is 23:30 UTC on 28 March.
        dt.datetime(2027, 3, 29, 0, 30, tzinfo=LONDON),
        dt.datetime(2026, 10, 13, 23, 59, tzinfo=LONDON),
    ],
)
def test_overdue_filter_and_scheduled_late_filter_agree_with_the_status_every_day(agreed_start):
    session = _session(agreed_start=agreed_start)
    day = DUE - dt.timedelta(days=2)
    while day <= dt.date(2027, 4, 15):
        overdue_by_status = session.status(day) == SessionStatus.OVERDUE
        assert Session.objects.overdue(day).filter(pk=session.pk).exists() is overdue_by_status, day
        day += dt.timedelta(days=1)
    assert Session.objects.scheduled_late().filter(pk=session.pk).exists() is (session.days_scheduled_late > 0)


def test_the_agreed_london_date_decides_across_the_clock_change():
    # Agreed for 00:30 on Sunday 25 October, BST: 23:30 UTC on the 24th. The London date counts.
    session = _session(due=dt.date(2026, 10, 10), agreed_start=dt.datetime(2026, 10, 25, 0, 30, tzinfo=LONDON))
    assert session.days_scheduled_late == 15
    assert session.status(dt.date(2026, 11, 1)) == SessionStatus.SCHEDULED  # 25 Oct + 7
    assert session.status(dt.date(2026, 11, 2)) == SessionStatus.OVERDUE
    assert list(Session.objects.overdue(dt.date(2026, 11, 1))) == []
    assert list(Session.objects.overdue(dt.date(2026, 11, 2))) == [session]
