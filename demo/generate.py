"""Made-up figures the story does not spell out, repeatable from a seeded random generator: dates
counted from today and checklist ratings that rise. No queries here."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable

from checklists.models import RatingValue


def monday(day: dt.date) -> dt.date:
    """The Monday of the day's week."""
    return day - dt.timedelta(days=day.weekday())


def first_on_weekday(day: dt.date, weekday: int) -> dt.date:
    """The first date on or after `day` that falls on `weekday` (0 = Monday)."""
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def rising_levels(*, rng: random.Random, tool_names: Iterable[str], count: int) -> list[dict[str, RatingValue]]:
    """Ratings for `count` checklists in a row with adoption rising: each tool starts low and climbs."""
    names = list(tool_names)
    start = {name: rng.choice((0, 0, 1, 1, 2)) for name in names}
    every = {name: rng.choice((1, 1, 2, 2, 3)) for name in names}
    rows = []
    for k in range(count):
        row = {}
        for name in names:
            level = min(3, start[name] + (k + 1) // every[name])
            row[name] = RatingValue(discussed=level > 0 or rng.random() < 0.5, level=level)
        rows.append(row)
    return rows


def meeting_fields(meeting, *, set_up_from: dt.date) -> dict:
    """A story meeting (demo.story.Meeting) as TeamMeeting fields, first held on the first such
    weekday on or after the day the team is set up from."""
    return {
        "name": meeting.name,
        "weekday": meeting.weekday,
        "start_time": meeting.start_time,
        "duration_minutes": meeting.minutes,
        "every_weeks": meeting.every_weeks,
        "first_date": first_on_weekday(set_up_from, meeting.weekday),
        "location": meeting.location,
        "is_huddle": meeting.huddle,
    }
