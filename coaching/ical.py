"""RFC 5545 calendar feeds of agreed coaching sessions, made with the icalendar package."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from programmes.models import EnrolmentStatus, Session

DEFAULT_LENGTH = dt.timedelta(minutes=60)


def session_uid(session: Session) -> str:
    """Stable for the life of the session, whatever moves."""
    return f"qms-session-{session.pk}@qms-coach"


def build_calendar(*, name: str, sessions: Iterable[Session], now: dt.datetime) -> bytes:
    """One VEVENT per session with an agreed start.

    Each session must carry `move_count` (its SessionChange rows; SEQUENCE rises with each move)
    and have plan, enrolment__team__site and enrolment__agreement__meeting loaded (feed_sessions
    does all of that).
    """
    cal = Calendar()
    cal.add("prodid", "-//QMS Coach//Coaching sessions//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    starts: list[dt.date] = []
    for session in sessions:
        if session.agreed_start is None:
            continue
        enrolment = session.enrolment
        team = enrolment.team
        meeting = getattr(getattr(enrolment, "agreement", None), "meeting", None)
        length = dt.timedelta(minutes=meeting.duration_minutes) if meeting else DEFAULT_LENGTH
        start = timezone.localtime(session.agreed_start)  # Europe/London, so DTSTART carries its TZID
        event = Event()
        event.add("uid", session_uid(session))
        event.add("dtstamp", now)
        event.add("dtstart", start)
        event.add("dtend", start + length)
        event.add("sequence", session.move_count)
        event.add("summary", f"QMS {session.plan.title} – {team.name} ({team.site.code})")
        if meeting and meeting.location:
            event.add("location", meeting.location)
        event.add("description", f"Session {session.number} of the QMS programme for {team.name}.")
        event.add("url", settings.SITE_URL + reverse("programmes:enrolment", args=[enrolment.pk]))
        # A withdrawn team's sessions still to come will not happen.
        called_off = session.cancelled or (enrolment.status == EnrolmentStatus.WITHDRAWN and session.held_on is None)
        event.add("status", "CANCELLED" if called_off else "CONFIRMED")
        cal.add_component(event)
        starts.append(start.date())
    if starts:
        # A VTIMEZONE for Europe/London covering just the feed's years keeps the feed small.
        year = dt.timedelta(days=366)
        cal.add_missing_timezones(first_date=min(starts) - year, last_date=max(starts) + year)
    return cal.to_ical()
