"""Coaching's answers to the programme's signals (programmes.signals), connected in apps.py."""

from __future__ import annotations

from django.urls import reverse

from .models import SlotsState
from .selectors import enrolment_slots
from .selectors.clashes import session_clashes


def agree_slots_after_session_1(sender, *, session, request, **kwargs) -> tuple[str, str] | None:
    """Session 1 just recorded as held by a team still in the programme, with no coaching slots
    agreed: straight on to agreeing them (the Trust's fix: agree the times during session 1)."""
    enrolment = session.enrolment
    if session.number != 1 or not enrolment.is_current:
        return None
    if enrolment_slots(enrolment, session_1=session).state != SlotsState.NOT_AGREED:
        return None
    return (
        reverse("coaching:agreement", args=[enrolment.pk]),
        "Session 1 is recorded as held. Now agree the coaching slots with the team: choose the meeting "
        "they already hold, untick any dates that will not work, and confirm.",
    )


def clashes_of_move(sender, *, session, start, **kwargs) -> list[str]:
    """A session being moved: what the new time clashes with (coaching.selectors.clashes)."""
    return [clash.message for clash in session_clashes(session=session, start=start)]
