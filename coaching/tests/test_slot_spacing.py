"""Proposed coaching slots keep their spacing, skip bank holidays and say when they fall after the
cohort's end.

The default template's plan weeks after session 1: 0, 1, 3, 5, 7, 9, 11 (12-week review), then
the sustain checks at 15, 19 and 24. With session 1 on Monday 22 September 2025 the review is due
8 December, the sustain checks 5 January, 2 February and 9 March 2026.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from coaching.recurrence import SlotAnchor, SlotRequest, min_gap_weeks, propose_slots
from coaching.services import agreement_confirm, agreement_propose
from programmes.meetings import MeetingPattern
from programmes.models import Session
from programmes.services.scheduling import enrolment_create
from tests import factories

LONDON = ZoneInfo("Europe/London")
MONDAY, TUESDAY, THURSDAY = 0, 1, 3
SESSION_1 = dt.date(2025, 9, 22)
PLAN_WEEKS = {2: 1, 3: 3, 4: 5, 5: 7, 6: 9, 7: 11, 8: 15, 9: 19, 10: 24}


def plan_requests(session1: dt.date = SESSION_1, numbers=range(2, 11)) -> list[SlotRequest]:
    return [SlotRequest(n, session1 + dt.timedelta(weeks=PLAN_WEEKS[n]), PLAN_WEEKS[n]) for n in numbers]


def days(slots) -> list[dt.date | None]:
    return [s.start.date() if s.start else None for s in slots]


def weeks_apart(slots) -> list[float]:
    starts = days(slots)
    return [(b - a).days / 7 for a, b in zip(starts, starts[1:], strict=False)]


# --- The minimum gap -------------------------------------------------------------------------------


def test_min_gap_is_the_plans_gap_less_the_setting_never_under_a_week():
    assert [min_gap_weeks(gap) for gap in (0, 1, 2, 4, 5)] == [1, 1, 1, 3, 4]
    assert [min_gap_weeks(gap, 0) for gap in (1, 2, 4, 5)] == [1, 2, 4, 5]
    assert [min_gap_weeks(gap, 3) for gap in (2, 4, 5)] == [1, 1, 2]
    assert min_gap_weeks(4, -2) == 4  # a negative setting is no slack, not extra weeks


def test_sustain_checks_agreed_late_are_not_proposed_a_week_apart():
    weekly = MeetingPattern(TUESDAY, dt.time(9, 0), 1, dt.date(2025, 9, 2))
    # Agreed on Monday 16 February 2026: the review and the first two sustain checks are all past due.
    slots = propose_slots(weekly, plan_requests(numbers=[7, 8, 9, 10]), not_before=dt.date(2026, 2, 16))
    # Before, each took the next Tuesday: 17 Feb, 24 Feb, 3 Mar, 10 Mar.
    assert days(slots) == [dt.date(2026, 2, 17), dt.date(2026, 3, 10), dt.date(2026, 3, 31), dt.date(2026, 4, 28)]
    assert weeks_apart(slots) == [3, 3, 4]  # the plan's 4, 4 and 5 weeks less one


def test_every_consecutive_pair_keeps_at_least_the_minimum_gap_from_a_late_agreement():
    weekly = MeetingPattern(THURSDAY, dt.time(14, 0), 1, dt.date(2025, 9, 25))
    slots = propose_slots(weekly, plan_requests(), not_before=dt.date(2025, 12, 1))
    assert None not in days(slots)
    plan_gaps = [PLAN_WEEKS[b] - PLAN_WEEKS[a] for a, b in zip(range(2, 10), range(3, 11), strict=True)]
    assert all(apart >= min_gap_weeks(gap) for apart, gap in zip(weeks_apart(slots), plan_gaps, strict=True))


def test_unticking_a_date_does_not_squash_the_next_session_against_it():
    fortnightly = MeetingPattern(TUESDAY, dt.time(9, 0), 2, dt.date(2025, 9, 23))
    requests = plan_requests(numbers=[7, 8, 9, 10])
    plain = propose_slots(fortnightly, requests)
    assert days(plain) == [dt.date(2025, 12, 16), dt.date(2026, 1, 13), dt.date(2026, 2, 10), dt.date(2026, 3, 10)]
    # The review cannot be on 16 December: it moves to 30 December. The 30-day check, due 5 January,
    # would have stayed on 13 January, two weeks after the review: it moves to 27 January instead.
    unticked = propose_slots(fortnightly, requests, unavailable={dt.date(2025, 12, 16)})
    assert days(unticked) == [dt.date(2025, 12, 30), dt.date(2026, 1, 27), dt.date(2026, 2, 24), dt.date(2026, 3, 24)]
    assert unticked[0].skipped == (dt.date(2025, 12, 16),)
    assert weeks_apart(unticked) == [4, 4, 4]  # at least 3, 3 and 4


def test_spacing_counts_from_the_session_held_just_before():
    weekly = MeetingPattern(TUESDAY, dt.time(9, 0), 1, dt.date(2025, 9, 2))
    # The review (week 11) was held late, on Tuesday 30 December: the 30-day check (week 15, due
    # 5 January) must come at least three weeks after it.
    anchor = SlotAnchor(dt.date(2025, 12, 30), 11, dt.date(2025, 12, 8))
    slots = propose_slots(weekly, plan_requests(numbers=[8]), after=anchor)
    assert days(slots) == [dt.date(2026, 1, 20)]
    assert days(propose_slots(weekly, plan_requests(numbers=[8]))) == [dt.date(2026, 1, 6)]


def test_spacing_without_plan_weeks_counts_from_the_due_dates():
    weekly = MeetingPattern(TUESDAY, dt.time(9, 0), 1, dt.date(2025, 9, 2))
    requests = [SlotRequest(8, dt.date(2026, 1, 5)), SlotRequest(9, dt.date(2026, 2, 2))]  # four weeks apart
    slots = propose_slots(weekly, requests, not_before=dt.date(2026, 2, 2))
    assert weeks_apart(slots) == [3]


# --- Bank holidays ----------------------------------------------------------------------------------


def test_monday_meeting_skips_the_may_bank_holidays_and_says_so():
    weekly = MeetingPattern(MONDAY, dt.time(10, 0), 1, dt.date(2026, 4, 6))
    requests = [SlotRequest(2, dt.date(2026, 5, 4), 1), SlotRequest(3, dt.date(2026, 5, 25), 4)]
    slots = propose_slots(weekly, requests)
    assert days(slots) == [dt.date(2026, 5, 11), dt.date(2026, 6, 1)]
    assert slots[0].bank_holidays == ((dt.date(2026, 5, 4), "May Day"),)
    assert slots[1].bank_holidays == ((dt.date(2026, 5, 25), "Spring Bank Holiday"),)
    assert slots[1].skipped == ()  # not a date the coach unticked


def test_thursday_meeting_skips_christmas_day_and_new_years_day():
    weekly = MeetingPattern(THURSDAY, dt.time(14, 0), 1, dt.date(2025, 9, 25))
    slots = propose_slots(weekly, [SlotRequest(8, dt.date(2025, 12, 22), 15)])
    assert days(slots) == [dt.date(2026, 1, 8)]
    assert slots[0].bank_holidays == (
        (dt.date(2025, 12, 25), "Christmas Day"),
        (dt.date(2026, 1, 1), "New Year's Day"),
    )


def test_substitute_boxing_day_is_skipped_too():
    weekly = MeetingPattern(MONDAY, dt.time(10, 0), 1, dt.date(2026, 1, 5))
    slots = propose_slots(weekly, [SlotRequest(8, dt.date(2026, 12, 28), 15)])
    assert days(slots) == [dt.date(2027, 1, 4)]
    assert [name for _, name in slots[0].bank_holidays] == ["Boxing Day (observed)"]


# --- After the cohort's end ---------------------------------------------------------------------------


def test_a_slot_after_the_cohorts_end_is_proposed_and_flagged():
    fortnightly = MeetingPattern(TUESDAY, dt.time(9, 0), 2, dt.date(2025, 9, 23))
    slots = propose_slots(fortnightly, plan_requests(numbers=[8, 9, 10]), ends_on=dt.date(2026, 2, 28))
    assert days(slots) == [dt.date(2026, 1, 13), dt.date(2026, 2, 10), dt.date(2026, 3, 10)]
    assert [s.after_end for s in slots] == [False, False, True]


# --- Through the service and the agreement page ---------------------------------------------------------


@pytest.fixture
def enrolment(db):
    cohort = factories.CohortFactory(start_date=dt.date(2025, 9, 1), target_end_date=dt.date(2026, 2, 28))
    enrolment = enrolment_create(
        cohort=cohort, team=factories.TeamFactory(), coach=factories.CoachFactory(), session1_date=SESSION_1
    )
    Session.objects.filter(enrolment=enrolment, number=1).update(held_on=SESSION_1)
    return enrolment


def test_agreement_propose_reads_the_min_gap_setting(enrolment, fortnightly, settings):
    unavailable = [dt.date(2025, 12, 16)]
    spaced = agreement_propose(enrolment=enrolment, meeting=fortnightly, unavailable=unavailable)
    assert {p.number: p.start.date() for p in spaced}[8] == dt.date(2026, 1, 27)
    settings.QMS_SLOT_MIN_GAP_WEEKS_LESS = 2  # the 30-day check may come two weeks after the review
    closer = agreement_propose(enrolment=enrolment, meeting=fortnightly, unavailable=unavailable)
    assert {p.number: p.start.date() for p in closer}[8] == dt.date(2026, 1, 13)


def test_agreement_confirm_keeps_the_spacing_and_flags_nothing_in_the_database(enrolment, fortnightly):
    agreement_confirm(
        enrolment=enrolment,
        meeting=fortnightly,
        unavailable=[dt.date(2025, 12, 16)],
        user=enrolment.coach,
        now=dt.datetime(2025, 9, 22, 15, 0, tzinfo=LONDON),
    )
    starts = dict(enrolment.sessions.filter(number__gte=7).values_list("number", "agreed_start"))
    assert {n: s.astimezone(LONDON).date() for n, s in starts.items()} == {
        7: dt.date(2025, 12, 30),
        8: dt.date(2026, 1, 27),
        9: dt.date(2026, 2, 24),
        10: dt.date(2026, 3, 24),
    }


@pytest.mark.usefixtures("fortnightly")
def test_agreement_page_flags_the_slots_after_the_cohorts_end(client, enrolment, time_machine):
    time_machine.move_to(dt.datetime(2025, 9, 22, 15, 0, tzinfo=LONDON), tick=False)
    client.force_login(enrolment.coach)
    response = client.get(reverse("coaching:agreement", args=[enrolment.pk]))
    # The cohort ends on 28 February 2026: only the 90-day check (Tuesday 10 March) falls after it,
    # and it is still proposed, ticked, for the coach to see.
    assertContains(response, "Session 10 falls")
    assertContains(response, '<time datetime="2026-02-28">Sat 28 Feb 2026</time>')
    assertContains(response, "After the cohort ends on Sat 28 Feb 2026", count=1)
    assertContains(response, 'value="2026-03-10" id="date-2026-03-10" checked')
    assertNotContains(response, "Skipped ")


def test_agreement_page_says_which_bank_holiday_was_skipped(db, client, time_machine):
    time_machine.move_to(dt.datetime(2026, 4, 20, 15, 0, tzinfo=LONDON), tick=False)
    cohort = factories.CohortFactory(start_date=dt.date(2026, 4, 1), target_end_date=dt.date(2026, 12, 31))
    enrolment = enrolment_create(
        cohort=cohort, team=factories.TeamFactory(), coach=factories.CoachFactory(), session1_date=dt.date(2026, 4, 20)
    )
    factories.TeamMeetingFactory(
        team=enrolment.team, weekday=MONDAY, start_time=dt.time(10, 0), every_weeks=1, first_date=dt.date(2026, 4, 6)
    )
    client.force_login(enrolment.coach)
    response = client.get(reverse("coaching:agreement", args=[enrolment.pk]))
    # Session 4 (week 5) is due on Monday 25 May 2026, the Spring Bank Holiday: it takes 1 June.
    assertContains(response, "Skipped Monday 25 May 2026: Spring Bank Holiday", count=1)
    assertContains(response, '<time datetime="2026-06-01T10:00:00+01:00">Mon 1 Jun 2026, 10:00</time>')
    assertNotContains(response, 'value="2026-05-25"')  # not offered as a date to tick
    assertNotContains(response, "After the cohort ends")
