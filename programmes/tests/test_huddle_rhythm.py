"""Huddle rhythm (programmes.huddles): the weeks with a huddle out of the weeks with huddles planned,
each week's share of planned days held, and when a team's huddles stopped; built by hand across
the clock changes of 2026 (forward on Sunday 29 March, back on Sunday 25 October). Then the same
read from the database (programmes.selectors.huddles)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from core.dates import LONDON
from programmes.huddles import (
    HuddleWeek,
    huddle_rhythm,
    huddle_weeks,
    huddles_stopped_since,
    stopped_after_weeks,
    week_of,
)
from programmes.meetings import MeetingPattern
from programmes.models import HuddleBoard, HuddleCheckIn, ImprovementBoard, Team
from programmes.selectors.huddles import team_huddles
from tests import factories

D = dt.date
MONDAY_HUDDLE = MeetingPattern(weekday=0, start_time=dt.time(9, 0), every_weeks=1, first_date=D(2026, 3, 2))


def test_weeks_across_the_spring_clock_change():
    # Week of 2 March: two check-ins (Monday and Tuesday) for one planned day: held 2, 100%.
    # Week of 16 March: none. Week of 23 March: a check-in on Sunday 29 March, the day the clocks
    # went forward, counts for that week. Week of 30 March: none. Week of 6 April: the Monday.
    check_ins = [D(2026, 3, 2), D(2026, 3, 3), D(2026, 3, 9), D(2026, 3, 29), D(2026, 4, 6), D(2026, 4, 6)]
    weeks = huddle_weeks(patterns=[MONDAY_HUDDLE], held_on=check_ins, start=D(2026, 3, 2), today=D(2026, 4, 8))
    assert [w.monday for w in weeks] == [D(2026, 3, 2) + dt.timedelta(weeks=n) for n in range(6)]
    assert [w.planned for w in weeks] == [1, 1, 1, 1, 1, 1]
    assert [w.held for w in weeks] == [2, 1, 0, 1, 0, 1]  # a date tapped twice counts once
    assert [w.pct for w in weeks] == [100.0, 100.0, 0.0, 100.0, 0.0, 100.0]
    assert [w.complete for w in weeks] == [True] * 5 + [False]
    rhythm = huddle_rhythm(weeks)
    assert (rhythm.weeks_held, rhythm.weeks_planned, round(rhythm.pct, 1)) == (4, 6, 66.7)


def test_a_fortnightly_huddle_across_the_autumn_clock_change():
    # Thursdays every two weeks from 15 October 2026: 15 and 29 October, 12 November.
    thursday = MeetingPattern(weekday=3, start_time=dt.time(13, 30), every_weeks=2, first_date=D(2026, 10, 15))
    weeks = huddle_weeks(
        patterns=[thursday], held_on=[D(2026, 10, 15), D(2026, 10, 29)], start=D(2026, 10, 12), today=D(2026, 11, 15)
    )
    assert [(w.monday, w.planned, w.held) for w in weeks] == [
        (D(2026, 10, 12), 1, 1),
        (D(2026, 10, 19), 0, 0),
        (D(2026, 10, 26), 1, 1),  # the week the clocks went back
        (D(2026, 11, 2), 0, 0),
        (D(2026, 11, 9), 1, 0),
    ]
    assert [w.pct for w in weeks] == [100.0, None, 100.0, None, 0.0]
    assert huddle_rhythm(weeks) == huddle_rhythm([w for w in weeks if w.planned])
    assert (huddle_rhythm(weeks).weeks_held, huddle_rhythm(weeks).weeks_planned) == (2, 3)


def test_planned_days_count_from_the_start_and_up_to_today():
    # The sheet went up on Wednesday 4 March: that week's Monday was before it, so nothing planned
    # then, but a check-in that week still counts. Today is Monday 16 March before anyone tapped:
    # today's huddle is not planned yet (it may be still to come), and counts once checked in.
    daily = [
        MeetingPattern(weekday=d, start_time=dt.time(8, 30), every_weeks=1, first_date=D(2026, 3, 2)) for d in range(5)
    ]
    weeks = huddle_weeks(
        patterns=daily, held_on=[D(2026, 3, 4), D(2026, 3, 5)], start=D(2026, 3, 4), today=D(2026, 3, 16)
    )
    assert [(w.planned, w.held) for w in weeks] == [(3, 2), (5, 0), (0, 0)]
    assert [w.pct if w.pct is None else round(w.pct, 1) for w in weeks] == [66.7, 0.0, None]
    tapped = huddle_weeks(patterns=daily, held_on=[D(2026, 3, 16)], start=D(2026, 3, 4), today=D(2026, 3, 16))
    assert [(w.planned, w.held, w.pct) for w in tapped][-1] == (1, 1, 100.0)
    assert huddle_weeks(patterns=daily, held_on=[], start=D(2026, 3, 17), today=D(2026, 3, 16)) == []


def test_no_huddle_meeting_plans_nothing():
    weeks = huddle_weeks(patterns=[], held_on=[D(2026, 3, 3)], start=D(2026, 3, 2), today=D(2026, 3, 20))
    assert [(w.planned, w.held, w.pct) for w in weeks] == [(0, 1, None), (0, 0, None), (0, 0, None)]
    assert huddle_rhythm(weeks).pct is None


def weeks_of(held: list[int], *, planned: list[int] | None = None) -> list:
    """Weekly rows from 2 March 2026: held days per week (the last week not over yet)."""
    planned = planned or [1] * len(held)
    return [
        HuddleWeek(monday=D(2026, 3, 2) + dt.timedelta(weeks=n), planned=p, held=h, complete=n < len(held) - 1)
        for n, (p, h) in enumerate(zip(planned, held, strict=True))
    ]


@pytest.mark.parametrize(
    ("held", "planned", "since"),
    [
        ([1, 1, 0, 0, 0], None, D(2026, 3, 16)),  # three weeks missed (this one's huddle is gone by)
        ([1, 1, 1, 0, 0], None, D(2026, 3, 23)),  # two weeks missed, the second this week
        ([1, 1, 1, 1, 0], None, None),  # one week missed
        ([0, 0, 0, 0, 0], None, None),  # never checked in: the board was not in use, nothing stopped
        ([1, 0, 0, 1, 0, 0, 0], None, D(2026, 3, 30)),  # stopped, started again, stopped again: a new stop
        ([1, 0, 0, 0, 0, 0], [1, 1, 0, 1, 0, 0], D(2026, 3, 9)),  # fortnightly: weeks with none planned pass
        ([1, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0], None),  # one planned week missed, then nothing planned
    ],
)
def test_huddles_stopped_since(held, planned, since):
    assert huddles_stopped_since(weeks_of(held, planned=planned), after_weeks=2) == since


def test_stopped_after_a_setting_number_of_weeks():
    weeks = weeks_of([1, 0, 0, 0])
    assert stopped_after_weeks() == 2
    assert huddles_stopped_since(weeks, after_weeks=3) == D(2026, 3, 9)
    assert huddles_stopped_since(weeks, after_weeks=4) is None  # the first week had a huddle
    with override_settings(QMS_HUDDLE_STOPPED_WEEKS=1):
        assert huddles_stopped_since(weeks, after_weeks=stopped_after_weeks()) == D(2026, 3, 9)


def test_week_of_is_the_monday():
    assert [week_of(D(2026, 3, 29)), week_of(D(2026, 3, 30)), week_of(D(2026, 10, 25))] == [
        D(2026, 3, 23),
        D(2026, 3, 30),
        D(2026, 10, 19),
    ]


# --- Read from the database (programmes.selectors.huddles) -------------------------------------------


SHEET_DAY = D(2026, 11, 2)


def board_team(*, board=ImprovementBoard.PHYSICAL, sheet_on=SHEET_DAY, check_ins=(), huddle=True) -> Team:
    """A team with a Monday huddle from 2 November 2026, its board sheet printed on `sheet_on` (None:
    never), and check-ins on these days."""
    team = factories.TeamFactory(improvement_board=board)
    factories.TeamMeetingFactory(team=team, weekday=0, first_date=D(2026, 11, 2), is_huddle=huddle)
    factories.TeamMeetingFactory(team=team, weekday=2, first_date=D(2026, 11, 4))  # not the huddle
    if sheet_on is not None:
        board_row = HuddleBoard.objects.create(team=team)
        created = dt.datetime.combine(sheet_on, dt.time(0, 30), tzinfo=LONDON)  # 00:30 in London
        HuddleBoard.objects.filter(pk=board_row.pk).update(created_at=created)
    HuddleCheckIn.objects.bulk_create(HuddleCheckIn(team=team, held_on=day) for day in check_ins)
    return team


@pytest.mark.django_db
def test_team_huddles_reads_the_sheet_meetings_and_check_ins():
    stopped = board_team(check_ins=[D(2026, 11, 2), D(2026, 11, 9)])
    going = board_team(check_ins=[D(2026, 11, 2), D(2026, 11, 16), D(2026, 11, 23)])
    virtual = board_team(board=ImprovementBoard.VIRTUAL, check_ins=[D(2026, 11, 2)])
    no_sheet = board_team(sheet_on=None)
    no_huddle = board_team(huddle=False, check_ins=[D(2026, 11, 3)])
    got = team_huddles(team_ids=[t.pk for t in (stopped, going, virtual, no_sheet, no_huddle)], today=D(2026, 11, 26))
    assert [(w.monday, w.planned, w.held) for w in got[stopped.pk].weeks] == [
        (D(2026, 11, 2), 1, 1),
        (D(2026, 11, 9), 1, 1),
        (D(2026, 11, 16), 1, 0),
        (D(2026, 11, 23), 1, 0),
    ]
    assert got[stopped.pk].stopped_since == D(2026, 11, 16)
    assert (got[stopped.pk].recent.weeks_held, got[stopped.pk].recent.weeks_planned) == (2, 4)
    assert got[going.pk].stopped_since is None
    assert (got[going.pk].rhythm.weeks_held, got[going.pk].rhythm.weeks_planned) == (3, 4)
    # A virtual board is not nudged, whatever its check-ins say.
    assert got[virtual.pk].stopped_since is None and not got[virtual.pk].physical
    assert got[virtual.pk].board_label == "Virtual"
    assert (got[no_sheet.pk].sheet_since, got[no_sheet.pk].weeks) == (None, ())
    assert got[no_huddle.pk].patterns == () and got[no_huddle.pk].rhythm.pct is None
    assert got[stopped.pk].sheet_since == D(2026, 11, 2)
    assert team_huddles(team_ids=[], today=D(2026, 11, 26)) == {}


@pytest.mark.django_db
def test_the_sheet_day_is_londons_in_summer():
    # Printed at 00:30 on 1 June 2026 in London: 23:30 on 31 May in UTC. The weeks start on 1 June.
    team = board_team(sheet_on=D(2026, 6, 1))
    got = team_huddles(team_ids=[team.pk], today=D(2026, 6, 10))[team.pk]
    assert got.sheet_since == D(2026, 6, 1)
    assert [w.monday for w in got.weeks] == [D(2026, 6, 1), D(2026, 6, 8)]


@pytest.mark.django_db
def test_team_huddles_costs_three_queries_at_any_size(django_assert_num_queries):
    one = [board_team(check_ins=[D(2026, 11, 2)]).pk]
    with django_assert_num_queries(3):
        team_huddles(team_ids=one, today=D(2026, 11, 26))
    many = one + [board_team(check_ins=[D(2026, 11, 9), D(2026, 11, 16)]).pk for _ in range(4)]
    with django_assert_num_queries(3):
        assert len(team_huddles(team_ids=many, today=D(2026, 11, 26))) == 5


@pytest.mark.django_db
def test_weeks_go_back_half_a_year_at_most():
    # Printed on 2 March 2026, read on 26 November: the weeks start 26 weeks before, not at the sheet.
    old = board_team(sheet_on=D(2026, 3, 2), check_ins=[D(2026, 3, 2), D(2026, 11, 23)])
    new = board_team(check_ins=[D(2026, 11, 2)])
    got = team_huddles(team_ids=[old.pk, new.pk], today=D(2026, 11, 26))
    assert got[old.pk].weeks[0].monday == D(2026, 5, 25)
    assert len(got[old.pk].weeks) == 27
    assert (got[old.pk].since_sheet, got[new.pk].since_sheet) == (False, True)
