"""Checklist fixtures."""

from __future__ import annotations

import pytest

from checklists.models import Tool
from programmes.models import Session
from programmes.tests.fast_passwords import fast_passwords  # noqa: F401 (autouse)

from .helpers import hold, session_number


@pytest.fixture
def held_session(personas) -> Session:
    """Session 2 (the first coaching session) of the coach's team, held on its due date."""
    return hold(session_number(personas.enrolment, 2))


@pytest.fixture
def tools(db) -> list[Tool]:
    return list(Tool.objects.active())
