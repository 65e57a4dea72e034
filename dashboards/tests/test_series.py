"""The charted series (dashboards.series) on hand-built data: values, withdrawn teams, the clock
change, PDSA markers, who sees what, and a constant number of queries."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboards import series as series_module
from dashboards.series import ADOPTION, FIRST_COACHING, ON_TIME, Marker, cohort_series, trust_series
from programmes.models import EnrolmentStatus, PdsaDecision
from tests import factories

from .helpers import LONDON, checklist, hold, session

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 11, 19)
UTC = dt.UTC


def _by_key(series):
    return {s.key: s for s in series}


def _points(series):
    return [(p.label, round(p.value, 2), p.count) for p in series.points]


@pytest.fixture
def built(personas):
    """Education (coach): sessions 1-3 held on their due dates, checklists on 2 (100%) and 3 (63%),
    session 4 agreed for 15 November (still within its time). Pharmacy (other coach): session 1
    held, session 2 held late on 10 October (week 3) with a checklist at 0%. A team whose session 1
    fell on Sunday 19 October, nothing held, a checklist on session 2 saved at 00:30 London time on
    Sunday 26 October (23:30 UTC on Saturday, the night the clocks went back), session 3 cancelled.
    A withdrawn team with everything held, left out."""
    cohort = personas.enrolment.cohort
    education, pharmacy = personas.enrolment, personas.other_enrolment
    for number in (1, 2, 3):
        hold(education, number)
    checklist(session(education, 2), 3)
    checklist(session(education, 3), [3, 3, 3, 3, 1, 1, 1, 1, 1])
    s4 = session(education, 4)
    s4.agreed_start = dt.datetime(2025, 11, 15, 10, tzinfo=LONDON)
    s4.save(update_fields=["agreed_start"])
    hold(pharmacy, 1)
    checklist(hold(pharmacy, 2, held_on=dt.date(2025, 10, 10)), 0)

    clock = factories.EnrolmentFactory(cohort=cohort, coach=personas.coach, session1_date=dt.date(2025, 10, 19))
    factories.make_sessions(clock)
    saved = checklist(session(clock, 2), 3)
    saved.completed_at = dt.datetime(2025, 10, 25, 23, 30, tzinfo=UTC)
    saved.save(update_fields=["completed_at"])
    s3 = session(clock, 3)
    s3.cancelled = True
    s3.save(update_fields=["cancelled"])

    withdrawn = factories.EnrolmentFactory(cohort=cohort, coach=personas.coach, status=EnrolmentStatus.WITHDRAWN)
    factories.make_sessions(withdrawn)
    for number in (1, 2, 3):
        hold(withdrawn, number)
    checklist(session(withdrawn, 2), 0)
    factories.PdsaCycleFactory(
        title="Agree slots at session 1",
        cohort=cohort,
        started_on=dt.date(2025, 9, 30),
        decided_on=dt.date(2025, 10, 13),
        decision=PdsaDecision.ADOPT,
    )
    return personas


def test_cohort_series_values(built):
    series = _by_key(cohort_series(cohort=built.enrolment.cohort, user=built.manager, today=TODAY))
    # Week 2: education 100% and the clock-change team 100% (its London day, 26 October, is in its
    # week 2; the UTC day would be week 1); week 3: pharmacy's late checklist; week 4: 17 / 27.
    assert _points(series[ADOPTION]) == [("Week 2", 100.0, 2), ("Week 3", 0.0, 1), ("Week 4", 62.96, 1)]
    # Week 1: education and pharmacy on time, the clock team's not held; week 2: only education's
    # on time (pharmacy's held 11 days late); week 4: education's on time, pharmacy's open and past
    # its time, the clock team's cancelled; week 6: education's agreed for 15 November is still
    # within its time, pharmacy's is late; week 8: both late.
    assert _points(series[ON_TIME]) == [
        ("Week 1", 66.67, 3),
        ("Week 2", 33.33, 3),
        ("Week 4", 50.0, 2),
        ("Week 6", 0.0, 1),
        ("Week 8", 0.0, 2),
    ]
    names = [p.label.split(",")[0] for p in series[FIRST_COACHING].points]
    assert names == ["Education support team", "Pharmacy team"]
    assert series[FIRST_COACHING].values == [7, 18]


def test_pdsa_markers(built):
    series = _by_key(cohort_series(cohort=built.enrolment.cohort, user=built.manager, today=TODAY))
    # Started in week 2 (before the first adoption point: not on the chart); decided in week 4.
    assert series[ADOPTION].markers == (Marker(2, "PDSA adopt: Agree slots at session 1", change=True),)
    assert series[ADOPTION].changes == [2]
    assert series[ON_TIME].markers == (
        Marker(1, "PDSA started: Agree slots at session 1", change=False),
        Marker(2, "PDSA adopt: Agree slots at session 1", change=True),
    )
    assert series[FIRST_COACHING].markers == ()  # both teams had session 1 before the cycle


def test_trust_series_for_a_coach_is_their_own_teams(built):
    other = factories.EnrolmentFactory(coach=built.other_coach, session1_date=dt.date(2025, 9, 22))
    factories.make_sessions(other)
    checklist(hold(other, 2), 2)
    coach = _by_key(trust_series(user=built.coach, today=TODAY))
    # Education and the clock-change team only: pharmacy and the other cohort are the other coach's.
    assert _points(coach[ADOPTION]) == [("Week 2", 100.0, 2), ("Week 4", 62.96, 1)]
    assert coach[FIRST_COACHING].values == [7]
    lead = _by_key(trust_series(user=built.lead, today=TODAY))
    assert _points(lead[ADOPTION]) == [("Week 2", 88.89, 3), ("Week 3", 0.0, 1), ("Week 4", 62.96, 1)]
    assert lead[ADOPTION].markers == ()  # weekly series across cohorts mark no cycles
    assert trust_series(user=built.no_role, today=TODAY)[0].points == ()


def test_two_checklists_in_one_week_count_the_latest(built):
    """Pharmacy's session 3 (due in week 4) held in week 3, the week its late session 2 was held:
    of its two checklists there (0%, then 100%) the week counts the latest."""
    checklist(hold(built.other_enrolment, 3, held_on=dt.date(2025, 10, 11)), 3)
    series = _by_key(cohort_series(cohort=built.enrolment.cohort, user=built.manager, today=TODAY))
    assert _points(series[ADOPTION]) == [("Week 2", 100.0, 2), ("Week 3", 100.0, 1), ("Week 4", 62.96, 1)]


def test_planned_teams_have_no_programme_week(built):
    built.enrolment.status = EnrolmentStatus.PLANNED
    built.enrolment.save(update_fields=["status"])
    series = _by_key(cohort_series(cohort=built.enrolment.cohort, user=built.manager, today=TODAY))
    assert _points(series[ADOPTION]) == [("Week 2", 100.0, 1), ("Week 3", 0.0, 1)]  # the others


def test_trust_first_coaching_shows_the_latest_teams(personas, monkeypatch):
    monkeypatch.setattr(series_module, "TRUST_FIRST_COACHING_TEAMS", 2)
    names = []
    for n in range(3):
        enrolment = factories.EnrolmentFactory(
            cohort=personas.enrolment.cohort, coach=personas.coach, session1_date=dt.date(2025, 9, 1 + 7 * n)
        )
        factories.make_sessions(enrolment)
        hold(enrolment, 1)
        hold(enrolment, 2, held_on=enrolment.session1_date + dt.timedelta(days=n + 3))
        names.append(enrolment.team.name)
    trust = _by_key(trust_series(user=personas.manager, today=TODAY))[FIRST_COACHING]
    assert [p.label.split(",")[0] for p in trust.points] == names[1:]
    assert trust.values == [4, 5]
    assert trust.x_name == "Team, in order of session 1 (the latest 2)"
    cohort = _by_key(cohort_series(cohort=personas.enrolment.cohort, user=personas.manager, today=TODAY))
    assert cohort[FIRST_COACHING].values == [3, 4, 5]


def _grow(personas, teams: int) -> None:
    cohort = personas.enrolment.cohort
    for _ in range(teams):
        enrolment = factories.EnrolmentFactory(cohort=cohort, coach=personas.coach)
        factories.make_sessions(enrolment)
        hold(enrolment, 1)
        checklist(hold(enrolment, 2), 2)
    factories.PdsaCycleFactory(cohort=cohort)


@pytest.mark.parametrize("teams", [1, 6])
def test_queries_do_not_grow(personas, django_assert_num_queries, teams):
    _grow(personas, teams)
    cohort, manager = personas.enrolment.cohort, personas.manager
    manager.groups.all()  # the roles are read once per user: warm them outside the count
    trust_series(user=manager, today=TODAY)
    # The first session 1, the PDSA cycles, the adoption scores by week, the sessions by week, the
    # progress rows.
    with django_assert_num_queries(5):
        series = cohort_series(cohort=cohort, user=manager, today=TODAY)
    assert series[0].points[0].count == teams
    # The PDSA cycles, the adoption scores by week, the sessions by week, the latest teams' progress
    # rows: four whatever the number of teams.
    with django_assert_num_queries(4):
        trust = trust_series(user=manager, today=TODAY)
    assert trust[0].points[0].count == teams


def test_an_adopted_change_the_manager_unticked_is_marked_but_starts_no_new_limits():
    from dashboards.series import _Cycle, _markers

    cycles = [
        _Cycle("Kept as a change", dt.date(2026, 1, 5), dt.date(2026, 1, 19), "adopt"),
        _Cycle("Adopted, work unchanged", dt.date(2026, 1, 5), dt.date(2026, 1, 26), "adopt", new_limits=False),
    ]
    days = {dt.date(2026, 1, 5): 1, dt.date(2026, 1, 19): 3, dt.date(2026, 1, 26): 4}
    markers = _markers(cycles, days.get)
    changes = {m.text: m.change for m in markers if m.text.startswith("PDSA adopt")}
    assert changes == {"PDSA adopt: Kept as a change": True, "PDSA adopt: Adopted, work unchanged": False}
