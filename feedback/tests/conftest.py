"""Fixtures for the feedback tests: a held session with an open feedback link."""

from __future__ import annotations

import datetime as dt

import pytest

from feedback.models import FeedbackLink
from programmes.models import Session
from programmes.tests.fast_passwords import fast_passwords  # noqa: F401 (autouse: every feedback test)

SESSION_1_HELD = dt.date(2025, 9, 22)


@pytest.fixture
def session_1(personas) -> Session:
    """The coach's team's session 1, held with 8 attendees recorded."""
    session = personas.enrolment.sessions.get(number=1)
    session.held_on = SESSION_1_HELD
    session.attendees = 8
    session.save()
    return session


@pytest.fixture
def link(session_1) -> FeedbackLink:
    return FeedbackLink.objects.create(session=session_1)


@pytest.fixture
def other_link(personas) -> FeedbackLink:
    """Session 1 of the other coach's team, with its own open link."""
    session = personas.other_enrolment.sessions.get(number=1)
    session.held_on = SESSION_1_HELD
    session.attendees = 6
    session.save()
    return FeedbackLink.objects.create(session=session)
