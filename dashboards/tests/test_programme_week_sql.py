"""The programme week in SQL (programme_week_expression) against the same rule in Python
(programme_week_on), on random session 1 dates and days: before session 1, on it, on every edge of
a week, across the clock changes and a leap day."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db.models import F

from dashboards.selectors import programme_week_expression, programme_week_on
from programmes.models import EnrolmentStatus, Session
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_week_in_sql_is_the_python_week():
    rng = random.Random(11)
    expected = {}
    for start in (dt.date(2026, 3, 23), dt.date(2026, 10, 19), dt.date(2028, 2, 21)):
        enrolment = factories.EnrolmentFactory(session1_date=start, status=EnrolmentStatus.ACTIVE)
        for session in factories.make_sessions(enrolment):
            offset = rng.choice([-8, -1, 0, 6, 7, 13, 14, rng.randint(-30, 200)])
            held_on = start + dt.timedelta(days=offset)
            Session.objects.filter(pk=session.pk).update(held_on=held_on)
            expected[session.pk] = programme_week_on(status=enrolment.status, session1_date=start, today=held_on)
    week, has_week = programme_week_expression(day=F("held_on"), session1_date="enrolment__session1_date")
    stored = dict(Session.objects.filter(has_week).annotate(week=week).values_list("pk", "week"))
    assert stored == {pk: w for pk, w in expected.items() if w is not None}
    assert None in expected.values() and len(set(expected.values())) > 5
