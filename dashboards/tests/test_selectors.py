"""The dashboards' reads: each team's checklist standing agrees with the checklists app's summary,
the aim's measures on hand-built teams and on the source document's story, the run chart's data."""

from __future__ import annotations

import datetime as dt

import pytest

from checklists.models import Tool
from checklists.selectors import checklist_standings, team_checklist_summary
from checklists.sustainment import Sustainment
from dashboards.measures import cohort_page
from dashboards.selectors import dashboard_page
from programmes.models import Enrolment, EnrolmentStatus, Session
from tests import factories

from .helpers import agree, checklist, feedback, hold, session

pytestmark = pytest.mark.django_db


def tools() -> list[Tool]:
    return list(Tool.objects.active().order_by("order"))


def team(cohort=None, **kwargs) -> Enrolment:
    enrolment = factories.EnrolmentFactory(cohort=cohort or factories.CohortFactory(), **kwargs)
    factories.make_sessions(enrolment)
    return enrolment


# --- Checklist standings: the same figures as the team's own checklist summary ----------------------


def histories() -> list[Enrolment]:
    """Teams with awkward histories: held out of number order, a tool missing from the latest
    checklist, a retired tool, a checklist on a cancelled session, one checklist only, none."""
    nine = tools()
    a = team()
    for number, held in ((2, "2025-10-01"), (3, "2025-10-20"), (4, "2025-10-10")):  # 4 held before 3
        hold(a, number, dt.date.fromisoformat(held))
    checklist(session(a, 2), 3)
    checklist(session(a, 4), [3, 3, 3, 2, 2, 1, 0, 0, 3])
    checklist(session(a, 3), [3, 2, 3, 3, 3, 3, 3, 3, 1])  # the latest, by the day held

    b = team()
    for number in (2, 3, 4):
        hold(b, number)
    checklist(session(b, 2), 3)
    checklist(session(b, 3), 3)
    retired = factories.ToolFactory(name="Retired tool", active=False)
    # The latest checklist leaves out the first tool and rates the retired one.
    checklist(session(b, 4), {**{t.pk: 3 for t in nine[1:]}, retired.pk: 2})

    c = team()
    hold(c, 2)
    checklist(session(c, 2), [0, 1, 2, 3, 0, 1, 2, 3, 0])
    cancelled = session(c, 3)
    cancelled.cancelled = True
    cancelled.save()
    checklist(cancelled, 3)  # a checklist on a cancelled session still counts, as on the team page

    d = team()  # no checklist
    return [a, b, c, d]


@pytest.mark.parametrize("run_length", [1, 2, 3])
def test_checklist_standings_match_the_team_summary(run_length):
    teams = histories()
    standings = checklist_standings(enrolments=Enrolment.objects.all(), run_length=run_length)
    assert set(standings) == {e.pk for e in teams[:3]}
    for enrolment in teams[:3]:
        summary = team_checklist_summary(enrolment=enrolment, run_length=run_length)
        standing = standings[enrolment.pk]
        latest = summary.latest_column
        assert (standing.session_id, standing.adoption_score, standing.sustained_count, standing.tool_count) == (
            latest.session.pk,
            latest.adoption_score,
            latest.sustained_count,
            latest.tool_count,
        )
        assert {tool_id: s.status for tool_id, s in standing.tools.items()} == {
            row.tool.pk: row.status for row in summary.rows if row.latest is not None
        }
        assert {tool_id: s.level for tool_id, s in standing.tools.items()} == {
            row.tool.pk: row.latest.level for row in summary.rows if row.latest is not None
        }


def test_checklist_standings_exact_figures():
    a, b, c, _ = histories()
    standings = checklist_standings(enrolments=Enrolment.objects.all(), run_length=2)
    # a: latest is session 3 (held 20 Oct), after session 4 (10 Oct): 3,2,3,3,3,3,3,3,1 -> 24 / 27.
    assert round(standings[a.pk].adoption_score, 2) == 88.89
    assert standings[a.pk].session_number == 3
    # Sustained: tools at 3 on both of the latest two (session 4 then 3): tools 1, 3 only.
    assert standings[a.pk].sustained_count == 2
    # b: the latest rates 8 active tools at 3 and the retired one at 2; sustained: the 8.
    assert (standings[b.pk].sustained_count, standings[b.pk].tool_count) == (8, 9)
    assert standings[b.pk].tools[tools()[0].pk].status == Sustainment.SUSTAINED  # 3, 3 before it was left out
    # c: the cancelled session's checklist is the latest.
    assert (standings[c.pk].session_number, standings[c.pk].adoption_score) == (3, 100.0)


def test_checklist_standings_up_to_the_review():
    enrolment = team()
    for number in range(2, 9):
        hold(enrolment, number)
    for number in range(2, 7):
        checklist(session(enrolment, number), 1)
    checklist(session(enrolment, 7), [3, 3, 3, 2, 2, 2, 1, 1, 1])  # the 12-week review
    checklist(session(enrolment, 8), 3)  # the 30-day sustain check: after the review, not counted
    at_review = checklist_standings(enrolments=Enrolment.objects.all(), run_length=1, up_to_review=True)
    summary = team_checklist_summary(enrolment=enrolment, run_length=1)
    review_column = next(c for c in summary.columns if c.session.number == 7)
    assert at_review[enrolment.pk].session_number == 7
    assert at_review[enrolment.pk].sustained_count == review_column.sustained_count == 3
    assert at_review[enrolment.pk].adoption_score == review_column.adoption_score
    latest = checklist_standings(enrolments=Enrolment.objects.all(), run_length=1)
    assert (latest[enrolment.pk].session_number, latest[enrolment.pk].sustained_count) == (8, 9)


# --- The aim's measures on hand-built teams ------------------------------------------------------------


def test_measures_on_time_slots_and_sustained(personas):
    today = dt.date(2026, 1, 5)  # the reviews (session 7) were due on 8 December; grace ends 15 December
    cohort = factories.CohortFactory(name="Measured cohort")
    on_time, late, missing, not_due = (team(cohort, coach=personas.coach) for _ in range(4))
    not_due.session1_date = dt.date(2025, 11, 3)
    not_due.save()
    Session.objects.filter(enrolment=not_due, number=7).update(due_date=dt.date(2026, 1, 19))
    for enrolment in (on_time, late, missing, not_due):
        hold(enrolment, 1)
    hold(on_time, 6)
    hold(on_time, 7, dt.date(2025, 12, 15))  # the last day of grace
    hold(late, 6)
    hold(late, 7, dt.date(2025, 12, 16))
    agree(on_time, at_session_1=True)
    agree(late, at_session_1=False)
    nine = tools()
    checklist(session(on_time, 6), [3, 3, 1, 1, 1, 1, 1, 1, 1])
    checklist(session(on_time, 7), [3, 3, 3, 1, 1, 1, 1, 1, 1])  # 2 of 9 sustained at week 12
    checklist(session(late, 6), 3)
    checklist(session(late, 7), 3)  # 9 of 9
    checklist(session(missing, 1), 3, tools=nine)  # no review checklist: left out

    page = cohort_page(cohort=cohort, user=personas.manager, today=today, run_length=2)
    measures = {m.key: m for m in page.measures}
    assert (measures["on_time"].numerator, measures["on_time"].denominator) == (1, 3)
    assert measures["on_time"].figure == "33.3%"
    assert measures["on_time"].detail == (
        "1 of 3 teams held the 12-week review by its due date plus 7 days' grace; 1 team not due yet."
    )
    assert (measures["slots"].numerator, measures["slots"].denominator, measures["slots"].figure) == (1, 4, "25%")
    assert (measures["sustained"].numerator, measures["sustained"].denominator) == (11, 18)
    assert measures["sustained"].figure == "61.1%"
    assert measures["sustained"].detail == (
        "11 of 18 tools sustained on the 12-week review checklists of 2 teams (5.5 tools per team on average)."
    )
    assert measures["positive"].figure == "No responses yet"


def test_progress_rows_withdrawn_and_completed_labels(personas):
    today = dt.date(2025, 11, 19)
    personas.enrolment.status = EnrolmentStatus.WITHDRAWN
    personas.enrolment.save()
    personas.other_enrolment.status = EnrolmentStatus.COMPLETED
    personas.other_enrolment.save()
    rows = dashboard_page(user=personas.manager, today=today).rows
    labels = {r.team_name: (r.week_label, r.progress_weeks, r.next_session) for r in rows}
    assert labels == {
        "Education support team": ("withdrawn in week 9", 9, None),
        "Pharmacy team": ("completed", 12, None),
    }


def test_feedback_in_rows_comes_from_the_feedback_figures(personas):
    hold(personas.enrolment, 1, attendees=10)
    feedback(session(personas.enrolment, 1), yes=3, not_sure=1)
    rows = dashboard_page(user=personas.coach, today=dt.date(2025, 11, 19)).rows
    assert [(r.feedback.responses, r.feedback.attendees, str(r.positive_pct)) for r in rows] == [(4, 10, "75.0")]
