"""The on-time rule in SQL (on_time_anchor_expression, past_last_on_time_day, held_by_last_on_time_day)
against the same rule in Python (on_time_anchor, last_on_time_day), on random sessions: due dates,
agreed starts near London midnight and across both clock changes, held days on every edge of the
grace days, and several days."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from programmes.models import (
    LONDON,
    Session,
    grace_days,
    held_by_last_on_time_day,
    last_on_time_day,
    on_time_anchor,
    on_time_anchor_expression,
    past_last_on_time_day,
)
from tests import factories

pytestmark = pytest.mark.django_db

# The Sundays the clocks change in 2026: back on 25 October, forward on 29 March.
DAYS = [dt.date(2026, 10, 25), dt.date(2026, 3, 29)]
TIMES = [dt.time(0, 0), dt.time(0, 30), dt.time(1, 30), dt.time(10, 0), dt.time(23, 30), dt.time(23, 59)]


def _agreed_start(rng: random.Random, due: dt.date) -> dt.datetime | None:
    if rng.random() < 0.3:
        return None
    day = rng.choice([*DAYS, due]) + dt.timedelta(days=rng.randint(-3, 3))
    return dt.datetime.combine(day, rng.choice(TIMES), tzinfo=LONDON)


@pytest.fixture
def sessions() -> list[Session]:
    rng = random.Random(13)
    made = []
    for _ in range(4):
        made += factories.make_sessions(factories.EnrolmentFactory())
    for session in made:
        session.due_date = rng.choice(DAYS) + dt.timedelta(days=rng.randint(-10, 10))
        session.agreed_start = _agreed_start(rng, session.due_date)
        anchor = on_time_anchor(session.due_date, session.agreed_start)
        edge = rng.choice([0, 1, -1, grace_days(), grace_days() + 1, rng.randint(-20, 30)])
        session.held_on = None if rng.random() < 0.3 else anchor + dt.timedelta(days=edge)
        Session.objects.filter(pk=session.pk).update(
            due_date=session.due_date, agreed_start=session.agreed_start, held_on=session.held_on
        )
    return made


def test_the_anchor_in_sql_is_the_python_anchor(sessions):
    stored = dict(Session.objects.annotate(anchor=on_time_anchor_expression()).values_list("pk", "anchor"))
    assert stored == {s.pk: on_time_anchor(s.due_date, s.agreed_start) for s in sessions}


def test_held_on_time_in_sql_is_the_python_rule(sessions):
    held = set(Session.objects.filter(held_by_last_on_time_day()).values_list("pk", flat=True))
    expected = {
        s.pk
        for s in sessions
        if s.held_on is not None and s.held_on <= last_on_time_day(due_date=s.due_date, agreed_start=s.agreed_start)
    }
    assert held == expected
    assert 0 < len(expected) < len(sessions)


@pytest.mark.parametrize("offset", [-14, -3, 0, 1, 3, 7, 8, 14])
def test_past_the_last_on_time_day_in_sql_is_the_python_rule(sessions, offset):
    for today in (day + dt.timedelta(days=offset) for day in DAYS):
        past = set(Session.objects.filter(past_last_on_time_day(today)).values_list("pk", flat=True))
        expected = {
            s.pk for s in sessions if last_on_time_day(due_date=s.due_date, agreed_start=s.agreed_start) < today
        }
        assert past == expected
