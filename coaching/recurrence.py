"""Which occurrences of a team's existing meeting carry the coaching sessions (the recurrence itself,
MeetingPattern, is programmes.meetings').

Pure functions on dates: no database, "today" never read here. Bank holidays come from core.dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.dates import bank_holiday_name
from programmes.meetings import MeetingPattern

# How far past a session's due date a slot may fall before the agreement is refused.
SLOT_WINDOW_DAYS = 28
# Consecutive slots keep at least the plan's gap less this many weeks (never under one week); the
# site reads it from QMS_SLOT_MIN_GAP_WEEKS_LESS.
SLOT_MIN_GAP_WEEKS_LESS = 1


@dataclass(frozen=True)
class SlotRequest:
    """A session needing a coaching slot: its number, due date and its plan's week offset from
    session 1 (None: counted from the due dates, which the plan sets)."""

    number: int
    due_date: dt.date
    week: int | None = None


@dataclass(frozen=True)
class SlotAnchor:
    """The session just before the first one to place, already held: its day and plan week."""

    day: dt.date
    week: int | None = None
    due_date: dt.date | None = None


@dataclass(frozen=True)
class ProposedSlot:
    number: int
    due_date: dt.date
    start: dt.datetime | None  # None: no meeting date within the window
    skipped: tuple[dt.date, ...] = ()  # unticked dates passed over for this session
    # Meeting dates passed over because they are bank holidays in England and Wales, with the name.
    bank_holidays: tuple[tuple[dt.date, str], ...] = ()
    after_end: bool = False  # the slot falls after the day given as ends_on (the cohort's end)


def min_gap_weeks(plan_gap_weeks: int, weeks_less: int = SLOT_MIN_GAP_WEEKS_LESS) -> int:
    """The fewest weeks between two consecutive sessions' slots: the plan's gap less weeks_less
    (the setting QMS_SLOT_MIN_GAP_WEEKS_LESS), never less than one week."""
    return max(1, plan_gap_weeks - max(0, weeks_less))


def _gap_weeks(earlier_week: int | None, earlier_due: dt.date | None, later: SlotRequest) -> int:
    if earlier_week is not None and later.week is not None:
        return later.week - earlier_week
    if earlier_due is not None:
        return (later.due_date - earlier_due).days // 7
    return 0


def propose_slots(
    pattern: MeetingPattern,
    sessions: Sequence[SlotRequest],
    *,
    unavailable: Iterable[dt.date] = (),
    not_before: dt.date | None = None,
    window_days: int = SLOT_WINDOW_DAYS,
    min_gap_weeks_less: int = SLOT_MIN_GAP_WEEKS_LESS,
    after: SlotAnchor | None = None,
    ends_on: dt.date | None = None,
) -> list[ProposedSlot]:
    """One slot per session: the first meeting date on or after its due date (and on or after
    not_before, e.g. today) that is not unavailable, not a bank holiday, and at least
    min_gap_weeks() after the previous session's slot (or `after`, the session held just before).
    A session with no such date within window_days of the day it could first happen (its due date,
    not_before when that is later, or the previous slot plus the gap when that is later still) gets
    start=None. A slot after ends_on is still proposed, marked after_end, for the coach to see."""
    unavailable = set(unavailable)
    proposals: list[ProposedSlot] = []
    last_used: dt.date | None = after.day if after else None
    last_week: int | None = after.week if after else None
    last_due: dt.date | None = after.due_date if after else None
    for request in sorted(sessions, key=lambda s: s.number):
        earliest = request.due_date
        if not_before and not_before > earliest:
            earliest = not_before
        # A late agreement may still place an overdue session within the window from today. The
        # spacing from the previous slot moves the window with it (else a late agreement would run
        # out of dates), but unticked dates never stretch a session's own window.
        if last_used is not None:
            gap = min_gap_weeks(_gap_weeks(last_week, last_due, request), min_gap_weeks_less)
            earliest = max(earliest, last_used + dt.timedelta(weeks=gap))
        limit = earliest + dt.timedelta(days=window_days)
        passed_over: list[dt.date] = []
        holidays: list[tuple[dt.date, str]] = []
        chosen: dt.date | None = None
        for day in pattern.dates_from(earliest):
            if day > limit:
                break
            if day in unavailable:
                passed_over.append(day)
                continue
            holiday = bank_holiday_name(day)
            if holiday:
                holidays.append((day, holiday))
                continue
            chosen = day
            break
        if chosen is not None:
            last_used = chosen
            last_week, last_due = request.week, request.due_date
        proposals.append(
            ProposedSlot(
                number=request.number,
                due_date=request.due_date,
                start=pattern.local_start(chosen) if chosen else None,
                skipped=tuple(passed_over),
                bank_holidays=tuple(holidays),
                after_end=bool(chosen and ends_on and chosen > ends_on),
            )
        )
    return proposals
