"""Huddle rhythm: how often a team's improvement huddle happened, read from its check-ins (the London
dates on which a phone at the board said "huddle held today") against its planned huddle days (the
dates of the meetings marked as its huddle).

Pure functions on dates: no database, and "today" is always an argument. Weeks run Monday to Sunday
on London dates, so a clock change moves nothing: a check-in's date is the London date it was
tapped on, and a weekly huddle keeps its weekday whatever the clocks did.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings

from .meetings import MeetingPattern


def stopped_after_weeks() -> int:
    """Weeks in a row of planned huddles with no check-in after which a team's huddles have stopped
    (QMS_HUDDLE_STOPPED_WEEKS)."""
    return settings.QMS_HUDDLE_STOPPED_WEEKS


def week_of(day: dt.date) -> dt.date:
    """The Monday of the week holding `day`."""
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class HuddleWeek:
    """One week of a team's huddles: the days planned (up to today) and the days checked in."""

    monday: dt.date
    # Planned huddle days of the week gone by: before today, and today once it is checked in (until
    # then today's huddle may still be to come).
    planned: int
    held: int  # days of the week with a check-in (a huddle moved to another day still counts)
    complete: bool  # the week has ended (its Sunday is before today)

    @property
    def pct(self) -> float | None:
        """Planned huddle days held, as a percentage (at most 100); None for a week with none planned."""
        if not self.planned:
            return None
        return 100.0 * min(self.held, self.planned) / self.planned

    @property
    def missed(self) -> bool:
        """Huddles planned in the week, gone by, and not one check-in."""
        return self.planned > 0 and self.held == 0


def huddle_weeks(
    *, patterns: Sequence[MeetingPattern], held_on: Iterable[dt.date], start: dt.date, today: dt.date
) -> list[HuddleWeek]:
    """A row per week, oldest first, from the week holding `start` to the week holding `today`.

    patterns: the recurrences of the team's huddle meetings (none: nothing planned). Planned days
    count from `start` (before it there was no board sheet to check in on) to yesterday, and today
    once it has a check-in; check-ins count from the start of start's week up to today, once per date.
    """
    if start > today:
        return []
    first_monday, last_monday = week_of(start), week_of(today)
    held_days = {day for day in held_on if first_monday <= day <= today}
    planned: dict[dt.date, int] = {}
    for day in {d for pattern in patterns for d in pattern.dates_between(start, today)}:
        if day < today or day in held_days:
            planned[week_of(day)] = planned.get(week_of(day), 0) + 1
    held: dict[dt.date, int] = {}
    for day in held_days:
        held[week_of(day)] = held.get(week_of(day), 0) + 1
    weeks = []
    monday = first_monday
    while monday <= last_monday:
        sunday = monday + dt.timedelta(days=6)
        weeks.append(
            HuddleWeek(monday=monday, planned=planned.get(monday, 0), held=held.get(monday, 0), complete=sunday < today)
        )
        monday += dt.timedelta(days=7)
    return weeks


@dataclass(frozen=True)
class HuddleRhythm:
    """The weeks with a huddle, of the weeks with huddles planned (the team page and dashboard figure)."""

    weeks_held: int
    weeks_planned: int

    @property
    def pct(self) -> float | None:
        return 100.0 * self.weeks_held / self.weeks_planned if self.weeks_planned else None


def huddle_rhythm(weeks: Sequence[HuddleWeek]) -> HuddleRhythm:
    planned = [week for week in weeks if week.planned]
    return HuddleRhythm(weeks_held=sum(1 for week in planned if week.held), weeks_planned=len(planned))


def huddles_stopped_since(weeks: Sequence[HuddleWeek], *, after_weeks: int) -> dt.date | None:
    """The Monday of the first missed week when a team's huddles have stopped, else None.

    Stopped: the latest `after_weeks` weeks with huddles planned (gone by) were all missed (no
    check-in), and some week before them had a check-in (the board was in use). The Monday names
    the stop, so a nudge about it is sent once; huddles that start again and stop again are a new stop.
    """
    planned = [week for week in weeks if week.planned]
    latest = planned[-after_weeks:] if after_weeks > 0 else []
    if len(latest) < after_weeks or not all(week.missed for week in latest):
        return None
    earlier = [week for week in weeks if week.monday < latest[0].monday]
    last_held = next((week for week in reversed(earlier) if week.held), None)
    if last_held is None:
        return None
    # The stop began with the first missed week after the last week with a check-in.
    return next(week.monday for week in planned if week.monday > last_held.monday)
