"""When a team's existing meeting happens: the recurrence of a TeamMeeting, as pure functions on
dates (no database, "today" never read here). Coaching slots ride on it (coaching.recurrence), and
the huddle's planned days come from it (programmes.huddles)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from core.dates import LONDON


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

    def dates_between(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """The meeting dates from start to end, both included."""
        dates = []
        for day in self.dates_from(start):
            if day > end:
                return dates
            dates.append(day)
        return dates

    def local_start(self, day: dt.date) -> dt.datetime:
        """The meeting's start on that day, in London wall-clock time whatever the clocks did."""
        return dt.datetime.combine(day, self.start_time, tzinfo=LONDON)
