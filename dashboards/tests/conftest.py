"""Dashboard fixtures: a fixed "today" and the personas' two teams with a history.

Today is Wednesday 19 November 2025, week 9 of both teams' programme (session 1 on Monday
22 September). The coach's team (Education support team) held sessions 1-4 and has checklists on
2-4; session 5 (due 10 November) is 9 days overdue. The other coach's team (Pharmacy team) held
session 1 only: session 2 (due 29 September) is 51 days overdue.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from checklists.models import Tool
from programmes.tests.fast_passwords import fast_passwords  # noqa: F401

from .helpers import agree, checklist, feedback, hold, session

TODAY = dt.date(2025, 11, 19)
NOW = dt.datetime(2025, 11, 19, 10, 0, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture
def today():
    with time_machine.travel(NOW, tick=False):
        yield TODAY


@pytest.fixture
def history(personas, today):
    """The two teams' histories (see the module docstring); returns the personas."""
    education, pharmacy = personas.enrolment, personas.other_enrolment
    hold(education, 1, attendees=8)
    hold(education, 2, attendees=6)
    hold(education, 3, attendees=6)
    hold(education, 4, attendees=5)
    agree(education, at_session_1=True)
    tools = list(Tool.objects.active().order_by("order"))
    checklist(session(education, 2), 1)
    checklist(session(education, 3), [3, 3, 3, 3, 1, 1, 1, 1, 1])
    # Latest: tools 1 and 2 "Most of the time" twice running (sustained); adoption 10 / 27 = 37%.
    checklist(session(education, 4), [3, 3, 2, 2, 0, 0, 0, 0, 0])
    feedback(session(education, 1), yes=5, not_sure=1)

    hold(pharmacy, 1, attendees=7)
    feedback(session(pharmacy, 1), yes=4, no=1)
    assert len(tools) == 9
    return personas
