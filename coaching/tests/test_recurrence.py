"""Coaching slots follow the team's meeting in London wall-clock time, across the clock changes."""

import datetime as dt

from coaching.recurrence import SlotRequest, propose_slots
from core.dates import LONDON
from programmes.meetings import MeetingPattern

# 2025: clocks go back on Sunday 26 October; 2026: forward on Sunday 29 March.
TUESDAY = 1


def requests(first_due: dt.date, count: int, every_days: int = 14) -> list[SlotRequest]:
    return [SlotRequest(n + 2, first_due + dt.timedelta(days=every_days * n)) for n in range(count)]


def test_weekly_meeting_keeps_0900_across_end_of_british_summer_time():
    weekly = MeetingPattern(TUESDAY, dt.time(9, 0), 1, dt.date(2025, 9, 2))
    slots = propose_slots(weekly, [SlotRequest(2, dt.date(2025, 10, 21)), SlotRequest(3, dt.date(2025, 10, 28))])
    assert [s.start.isoformat() for s in slots] == ["2025-10-21T09:00:00+01:00", "2025-10-28T09:00:00+00:00"]
    assert all(s.start.tzinfo is LONDON for s in slots)
    # Same wall-clock time, different UTC instants: 08:00 UTC in summer, 09:00 UTC in winter.
    assert [s.start.astimezone(dt.UTC).hour for s in slots] == [8, 9]


def test_fortnightly_meeting_keeps_local_time_across_start_of_british_summer_time():
    fortnightly = MeetingPattern(TUESDAY, dt.time(14, 30), 2, dt.date(2026, 3, 17))
    slots = propose_slots(fortnightly, [SlotRequest(2, dt.date(2026, 3, 17)), SlotRequest(3, dt.date(2026, 3, 31))])
    assert [s.start.isoformat() for s in slots] == ["2026-03-17T14:30:00+00:00", "2026-03-31T14:30:00+01:00"]


def test_fortnightly_meeting_only_on_its_own_weeks():
    # Held on 23 September 2025 and every other Tuesday: 7 October, 21 October, 4 November...
    fortnightly = MeetingPattern(TUESDAY, dt.time(10, 0), 2, dt.date(2025, 9, 23))
    assert [d.isoformat() for d, _ in zip(fortnightly.dates_from(dt.date(2025, 9, 24)), range(3), strict=False)] == [
        "2025-10-07",
        "2025-10-21",
        "2025-11-04",
    ]
    slots = propose_slots(fortnightly, [SlotRequest(2, dt.date(2025, 9, 29))])
    assert slots[0].start.date() == dt.date(2025, 10, 7)


def test_four_weekly_meeting_and_first_date_not_on_its_weekday():
    # First date is a Monday; the meeting is on Thursdays, so it counts from Thursday 4 September.
    four_weekly = MeetingPattern(3, dt.time(13, 0), 4, dt.date(2025, 9, 1))
    assert four_weekly.anchor == dt.date(2025, 9, 4)
    assert [d for d, _ in zip(four_weekly.dates_from(dt.date(2025, 9, 5)), range(2), strict=False)] == [
        dt.date(2025, 10, 2),
        dt.date(2025, 10, 30),
    ]


def test_unticked_date_shifts_to_the_next_occurrence():
    fortnightly = MeetingPattern(TUESDAY, dt.time(9, 0), 2, dt.date(2025, 9, 23))
    sessions = requests(dt.date(2025, 9, 29), 3)  # due 29 Sep, 13 Oct, 27 Oct
    plain = propose_slots(fortnightly, sessions)
    assert [s.start.date().isoformat() for s in plain] == ["2025-10-07", "2025-10-21", "2025-11-04"]
    shifted = propose_slots(fortnightly, sessions, unavailable={dt.date(2025, 10, 21)})
    # Session 3 moves to the next meeting; session 4 must then come after it.
    assert [s.start.date().isoformat() for s in shifted] == ["2025-10-07", "2025-11-04", "2025-11-18"]
    assert shifted[1].skipped == (dt.date(2025, 10, 21),)


def test_no_date_within_the_window_leaves_the_session_without_a_slot():
    weekly = MeetingPattern(TUESDAY, dt.time(9, 0), 1, dt.date(2025, 9, 2))
    due = dt.date(2025, 12, 1)
    blocked = {due + dt.timedelta(days=d) for d in range(0, 40)}
    slots = propose_slots(weekly, [SlotRequest(2, due)], unavailable=blocked)
    assert slots[0].start is None
    assert len(slots[0].skipped) == 4  # 2, 9, 16 and 23 December, all unticked; 30 December is past the window


def test_weekly_meeting_keeps_local_time_across_start_of_british_summer_time():
    # Clocks go forward at 01:00 on Sunday 29 March 2026: Monday 08:15 stays 08:15 in London.
    weekly = MeetingPattern(0, dt.time(8, 15), 1, dt.date(2026, 3, 2))
    slots = propose_slots(weekly, [SlotRequest(2, dt.date(2026, 3, 23)), SlotRequest(3, dt.date(2026, 3, 30))])
    assert [s.start.isoformat() for s in slots] == ["2026-03-23T08:15:00+00:00", "2026-03-30T08:15:00+01:00"]


def test_fortnightly_meeting_keeps_local_time_across_end_of_british_summer_time():
    # Clocks go back at 02:00 on Sunday 26 October 2025; Thursday 16:00 every other week.
    fortnightly = MeetingPattern(3, dt.time(16, 0), 2, dt.date(2025, 10, 16))
    slots = propose_slots(fortnightly, [SlotRequest(2, dt.date(2025, 10, 13)), SlotRequest(3, dt.date(2025, 10, 27))])
    assert [s.start.isoformat() for s in slots] == ["2025-10-16T16:00:00+01:00", "2025-10-30T16:00:00+00:00"]
    assert [s.start.astimezone(dt.UTC).hour for s in slots] == [15, 16]


def test_not_before_skips_meeting_dates_already_gone():
    weekly = MeetingPattern(TUESDAY, dt.time(9, 0), 1, dt.date(2025, 9, 2))
    # Agreed late, on Thursday 9 October: session 2 was due 29 September.
    slots = propose_slots(
        weekly,
        [SlotRequest(2, dt.date(2025, 9, 29)), SlotRequest(3, dt.date(2025, 10, 13))],
        not_before=dt.date(2025, 10, 9),
    )
    assert [s.start.date() for s in slots] == [dt.date(2025, 10, 14), dt.date(2025, 10, 21)]


def test_window_counts_from_not_before_for_a_late_agreement():
    weekly = MeetingPattern(TUESDAY, dt.time(9, 0), 1, dt.date(2025, 9, 2))
    # Due 29 September, agreed 10 November: more than four weeks late, still given the next Tuesday.
    slots = propose_slots(weekly, [SlotRequest(2, dt.date(2025, 9, 29))], not_before=dt.date(2025, 11, 10))
    assert slots[0].start.date() == dt.date(2025, 11, 11)


def test_unticked_dates_do_not_stretch_a_later_sessions_window():
    weekly = MeetingPattern(TUESDAY, dt.time(9, 0), 1, dt.date(2025, 9, 2))
    due = dt.date(2025, 10, 13)
    # Every Tuesday from 14 October to 11 November unticked: session 2 has no date within four weeks.
    blocked = {dt.date(2025, 10, 14) + dt.timedelta(weeks=n) for n in range(5)}
    slots = propose_slots(weekly, [SlotRequest(2, due)], unavailable=blocked)
    assert (slots[0].start, slots[0].skipped) == (None, tuple(sorted(blocked))[:4])
