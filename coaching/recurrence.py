"""When a team's existing meeting happens, and which of its occurrences carry the coaching sessions.

Pure functions on dates: no database, "today" never read here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

# How far past a session's due date a slot may fall before the agreement is refused.
SLOT_WINDOW_DAYS = 28


@dataclass(frozen=True)
class MeetingPattern:
    """The recurrence of a TeamMeeting: weekday, local start time, every 1/2/4 weeks from a first date."""

    weekday: int
    start_time: dt.time
    every_weeks: int
    first_date: dt.date

    @classmethod
    def of(cls, meeting) -> MeetingPattern:
        return cls(meeting.weekday, meeting.start_time, meeting.every_weeks, meeting.first_date)

    @property
    def anchor(self) -> dt.date:
        """The first date on or after first_date that falls on the meeting's weekday."""
        return self.first_date + dt.timedelta(days=(self.weekday - self.first_date.weekday()) % 7)

    def dates_from(self, start: dt.date) -> Iterator[dt.date]:
        """Every meeting date on or after start, in order (endless)."""
        step = 7 * self.every_weeks
        anchor = self.anchor
        if start <= anchor:
            current = anchor
        else:
            periods = -(-(start - anchor).days // step)  # ceiling division
            current = anchor + dt.timedelta(days=periods * step)
        while True:
            yield current
            current += dt.timedelta(days=step)

    def local_start(self, day: dt.date) -> dt.datetime:
        """The meeting's start on that day, in London wall-clock time whatever the clocks did."""
        return dt.datetime.combine(day, self.start_time, tzinfo=LONDON)


@dataclass(frozen=True)
class SlotRequest:
    """A session needing a coaching slot: its number and due date."""

    number: int
    due_date: dt.date


@dataclass(frozen=True)
class ProposedSlot:
    number: int
    due_date: dt.date
    start: dt.datetime | None  # None: no meeting date within the window
    skipped: tuple[dt.date, ...] = ()  # unticked dates passed over for this session


def propose_slots(
    pattern: MeetingPattern,
    sessions: Sequence[SlotRequest],
    *,
    unavailable: Iterable[dt.date] = (),
    not_before: dt.date | None = None,
    window_days: int = SLOT_WINDOW_DAYS,
) -> list[ProposedSlot]:
    """One slot per session: the first meeting date on or after its due date (and on or after
    not_before, e.g. today) that is not unavailable and comes after the previous session's slot.
    A session with no such date within window_days of the day it could first happen (its due date,
    or not_before when that is later) gets start=None."""
    unavailable = set(unavailable)
    proposals: list[ProposedSlot] = []
    last_used: dt.date | None = None
    for request in sorted(sessions, key=lambda s: s.number):
        earliest = request.due_date
        if not_before and not_before > earliest:
            earliest = not_before
        # A late agreement may still place an overdue session within the window from today; the
        # previous session's slot does not stretch the window, so unticked dates cannot push a
        # session ever further from when it is due.
        limit = earliest + dt.timedelta(days=window_days)
        if last_used and last_used >= earliest:
            earliest = last_used + dt.timedelta(days=1)
        passed_over: list[dt.date] = []
        chosen: dt.date | None = None
        for day in pattern.dates_from(earliest):
            if day > limit:
                break
            if day in unavailable:
                passed_over.append(day)
                continue
            chosen = day
            break
        if chosen is not None:
            last_used = chosen
        proposals.append(
            ProposedSlot(
                number=request.number,
                due_date=request.due_date,
                start=pattern.local_start(chosen) if chosen else None,
                skipped=tuple(passed_over),
            )
        )
    return proposals
