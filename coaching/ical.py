"""RFC 5545 calendar feeds of agreed coaching sessions, made with the icalendar package."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vText

from programmes.models import EnrolmentStatus, Session

DEFAULT_LENGTH = dt.timedelta(minutes=60)


def meeting_length(meeting) -> dt.timedelta:
    """How long a session riding on this meeting (a TeamMeeting, or None) lasts: DEFAULT_LENGTH without one."""
    return dt.timedelta(minutes=meeting.duration_minutes) if meeting is not None else DEFAULT_LENGTH


LONDON = "Europe/London"


def london_vtimezone() -> Timezone:
    """Europe/London as two yearly rules (the UK's since 1996), not icalendar's lists of dates.

    Some clients (Mozilla's ical.js, so Thunderbird) read only the first date of an RDATE that lists
    several, and would put most winter sessions an hour out; every client reads RRULE observances.
    """
    tz = Timezone()
    tz.add("tzid", LONDON)
    daylight = TimezoneDaylight()  # last Sunday of March, 01:00 GMT -> 02:00 BST
    daylight.add("tzname", "BST")
    daylight.add("tzoffsetfrom", dt.timedelta(0))
    daylight.add("tzoffsetto", dt.timedelta(hours=1))
    daylight.add("dtstart", dt.datetime(1970, 3, 29, 1, 0))  # noqa: DTZ001 - local time of the rule
    daylight.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1SU"})
    standard = TimezoneStandard()  # last Sunday of October, 02:00 BST -> 01:00 GMT
    standard.add("tzname", "GMT")
    standard.add("tzoffsetfrom", dt.timedelta(hours=1))
    standard.add("tzoffsetto", dt.timedelta(0))
    standard.add("dtstart", dt.datetime(1970, 10, 25, 2, 0))  # noqa: DTZ001 - local time of the rule
    standard.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1SU"})
    tz.add_component(daylight)
    tz.add_component(standard)
    return tz


def session_uid(session: Session) -> str:
    """Stable for the life of the session, whatever moves."""
    return f"qms-session-{session.pk}@qms-coach"


def session_sequence(session: Session) -> int:
    """The session's version plus its enrolment's: both are bumped on every save (a move, a
    cancellation, a withdrawal, a reopening, a new coach), so it rises with each change and never
    goes back. Reads session.enrolment."""
    return session.version + session.enrolment.version


def session_called_off(session: Session) -> bool:
    """Cancelled, or still to be held by a team that has withdrawn: it will not happen."""
    enrolment = session.enrolment
    return session.cancelled or (enrolment.status == EnrolmentStatus.WITHDRAWN and session.held_on is None)


def session_event(session: Session, *, now: dt.datetime) -> Event:
    """The one VEVENT of a session with an agreed start, for the feeds and the invitations alike:
    UID, SEQUENCE, times in London with their TZID, summary, place, status.

    The session must have plan, enrolment__team__site and enrolment__agreement__meeting loaded.
    """
    enrolment = session.enrolment
    team = enrolment.team
    meeting = getattr(getattr(enrolment, "agreement", None), "meeting", None)
    length = meeting_length(meeting)
    start = timezone.localtime(session.agreed_start)  # Europe/London, so DTSTART carries its TZID
    event = Event()
    event.add("uid", session_uid(session))
    event.add("dtstamp", now)
    event.add("dtstart", start)
    event.add("dtend", start + length)
    event.add("sequence", session_sequence(session))
    event.add("summary", f"QMS {session.plan.title} – {team.name} ({team.site.code})")
    if session.location or (meeting and meeting.location):
        event.add("location", session.location or meeting.location)
    event.add("description", f"Session {session.number} of the QMS programme for {team.name}.")
    event.add("url", settings.SITE_URL + reverse("programmes:enrolment", args=[enrolment.pk]))
    event.add("status", "CANCELLED" if session_called_off(session) else "CONFIRMED")
    return event


def _calendar(*, method: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//QMS Coach//Coaching sessions//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    return cal


def _add_timezone(cal: Calendar, starts: list[dt.date]) -> None:
    """The VTIMEZONE the events' TZID names, before them."""
    if starts and settings.TIME_ZONE == LONDON:
        cal.subcomponents.insert(0, london_vtimezone())  # before the events that name it
    elif starts:
        # Another zone: icalendar's definition covering just the feed's years keeps the feed small.
        year = dt.timedelta(days=366)
        cal.add_missing_timezones(first_date=min(starts) - year, last_date=max(starts) + year)


def build_calendar(*, name: str, sessions: Iterable[Session], now: dt.datetime) -> bytes:
    """One VEVENT per session with an agreed start (session_event).

    Each session must have plan, enrolment__team__site and enrolment__agreement__meeting loaded
    (feed_sessions does).
    """
    cal = _calendar(method="PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    starts: list[dt.date] = []
    for session in sessions:
        if session.agreed_start is None:
            continue
        cal.add_component(session_event(session, now=now))
        starts.append(timezone.localdate(session.agreed_start))
    _add_timezone(cal, starts)
    return cal.to_ical()


def build_invitation(
    *, session: Session, method: str, organizer: tuple[str, str], attendee: tuple[str, str], now: dt.datetime
) -> bytes:
    """An iMIP message's calendar (RFC 6047): the session's VEVENT (session_event: the feed's UID
    and SEQUENCE) with METHOD REQUEST or CANCEL, its ORGANIZER and one ATTENDEE, each (address,
    name). RSVP=FALSE: the app reads no replies."""
    cal = _calendar(method=method)
    event = session_event(session, now=now)
    if method == "CANCEL":
        event["status"] = "CANCELLED"
    organizer_address = vCalAddress(f"mailto:{organizer[0]}")
    organizer_address.params["cn"] = vText(organizer[1])
    event.add("organizer", organizer_address)
    attendee_address = vCalAddress(f"mailto:{attendee[0]}")
    attendee_address.params["cn"] = vText(attendee[1] or attendee[0])
    attendee_address.params["role"] = vText("REQ-PARTICIPANT")
    attendee_address.params["partstat"] = vText("NEEDS-ACTION")
    attendee_address.params["rsvp"] = vText("FALSE")
    event.add("attendee", attendee_address)
    cal.add_component(event)
    _add_timezone(cal, [timezone.localdate(session.agreed_start)])
    return cal.to_ical()
