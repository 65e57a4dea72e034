"""Reads: the team's checklist summary, conflict reports, history and the ratings export rows."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checklists.models import Checklist, RatingValue, Tool
from checklists.selectors import (
    checklist_conflict_report,
    checklist_form_data,
    checklist_history,
    ratings_export_rows,
    team_checklist_summary,
)
from checklists.services import checklist_save
from checklists.sustainment import Sustainment
from programmes.models import Session
from tests import factories

from .helpers import SEEDED_TOOLS, hold, save_checklist, session_number

pytestmark = pytest.mark.django_db


def tool(name: str) -> Tool:
    return Tool.objects.get(name=name)


def levels_by_name(**named) -> dict[int, int]:
    """Every active tool at 1 (Oscillatory), except those named (underscores for spaces)."""
    levels = {t.pk: 1 for t in Tool.objects.active()}
    for name, level in named.items():
        levels[tool(name.replace("_", " ")).pk] = level
    return levels


def test_team_checklist_summary_heatmap_columns_rows_and_cells(personas):
    enrolment = personas.enrolment
    s2, s3, s4 = (hold(session_number(enrolment, n)) for n in (2, 3, 4))
    save_checklist(s2, personas.coach, levels_by_name(Metrics_discussed=3), note="Keen")
    save_checklist(s4, personas.coach, levels_by_name(Metrics_discussed=3, Go_and_See=2), discussed=False)

    summary = team_checklist_summary(enrolment=enrolment, run_length=2)

    assert [c.session.number for c in summary.columns] == [2, 3, 4]
    assert [c.checklist is not None for c in summary.columns] == [True, False, True]
    assert [row.tool.name for row in summary.rows] == list(Tool.objects.active().values_list("name", flat=True))
    metrics = next(row for row in summary.rows if row.tool.name == "Metrics discussed")
    assert [cell.rating for cell in metrics.cells] == [RatingValue(True, 3), None, RatingValue(False, 3)]
    assert metrics.status == Sustainment.SUSTAINED
    go_and_see = next(row for row in summary.rows if row.tool.name == "Go and See")
    assert go_and_see.status == Sustainment.EMBEDDING
    huddle = next(row for row in summary.rows if row.tool.name == "Improvement huddle")
    assert huddle.status == Sustainment.NOT_YET
    assert [c.adoption_score for c in summary.columns] == [100 * 11 / 27, None, 100 * 12 / 27]
    assert [(c.sustained_count, c.tool_count) for c in summary.columns] == [(0, 9), (0, 0), (1, 9)]
    assert (summary.sustained_count, summary.tool_count) == (1, 9)
    assert summary.latest_adoption_score == 100 * 12 / 27
    assert [(n.session.number, n.checklist.culture_note) for n in summary.culture_notes] == [(2, "Keen")]
    assert [s.number for s in summary.sessions] == list(range(1, 11))
    assert s3.pk == summary.columns[1].session.pk


def test_team_checklist_summary_orders_sessions_by_day_held(personas):
    """A session held out of number order (PRH held 6 before 5) sits where it happened."""
    enrolment = personas.enrolment
    s5 = hold(session_number(enrolment, 5), dt.date(2025, 12, 20))
    s6 = hold(session_number(enrolment, 6), dt.date(2025, 12, 10))
    save_checklist(s5, personas.coach, 3, note="Later")
    save_checklist(s6, personas.coach, 2, note="Earlier")
    summary = team_checklist_summary(enrolment=enrolment, run_length=2)
    assert [c.session.number for c in summary.columns] == [6, 5]
    assert [n.checklist.culture_note for n in summary.culture_notes] == ["Earlier", "Later"]
    assert {row.status for row in summary.rows} == {Sustainment.EMBEDDING}  # 2 then 3: one "most" only


def test_team_checklist_summary_run_length_is_an_argument(personas):
    enrolment = personas.enrolment
    for number in (2, 3):
        save_checklist(hold(session_number(enrolment, number)), personas.coach, 3)
    assert team_checklist_summary(enrolment=enrolment, run_length=2).sustained_count == 9
    assert team_checklist_summary(enrolment=enrolment, run_length=3).sustained_count == 0


def test_team_checklist_summary_keeps_retired_tools_rated_and_drops_unrated_ones(personas):
    enrolment = personas.enrolment
    save_checklist(hold(session_number(enrolment, 2)), personas.coach, 2)
    Tool.objects.filter(name="Improvement huddle").update(active=False)
    Tool.objects.create(name="Retired before any rating", order=50, active=False)
    Tool.objects.create(name="Visual management", order=60)
    summary = team_checklist_summary(enrolment=enrolment, run_length=2)
    names = [row.tool.name for row in summary.rows]
    assert "Improvement huddle" in names
    assert "Retired before any rating" not in names
    assert names[-1] == "Visual management"
    visual = summary.rows[-1]
    assert ([cell.rating for cell in visual.cells], visual.status) == ([None], Sustainment.NOT_YET)
    assert summary.tool_count == 9  # the latest checklist rated nine tools


def test_team_checklist_summary_no_checklists(personas):
    summary = team_checklist_summary(enrolment=personas.enrolment, run_length=2)
    assert summary.columns == []
    assert summary.latest_column is None
    assert (summary.sustained_count, summary.tool_count, summary.latest_adoption_score) == (0, 9, None)


def build_team(personas, *, checklists: int, extra_tools: int) -> None:
    for n in range(extra_tools):
        Tool.objects.create(name=f"Extra tool {n}", order=20 + n)
    for number in range(2, 2 + checklists):
        save_checklist(hold(session_number(personas.enrolment, number)), personas.coach, 2, note=f"Note {number}")


@pytest.mark.parametrize(("checklists", "extra_tools"), [(1, 0), (8, 12)])
def test_team_checklist_summary_three_queries_whatever_the_size(personas, checklists, extra_tools):
    build_team(personas, checklists=checklists, extra_tools=extra_tools)
    enrolment = personas.enrolment
    with CaptureQueriesContext(connection) as queries:
        summary = team_checklist_summary(enrolment=enrolment, run_length=2)
        # Reading everything the template reads: coaches' names, plan titles.
        for note in summary.culture_notes:
            note.checklist.coach.get_full_name()
        for session in summary.sessions:
            session.plan.title  # noqa: B018
    # 1 sessions with plan rows, checklists and coaches; 2 ratings; 3 tools.
    assert len(queries) == 3
    assert len(summary.columns) == checklists
    assert len(summary.rows) == 9 + extra_tools


def test_checklist_form_data_new_lists_active_tools_and_the_previous_checklist(personas):
    enrolment = personas.enrolment
    save_checklist(hold(session_number(enrolment, 2)), personas.coach, 1)
    save_checklist(hold(session_number(enrolment, 3)), personas.coach, 3)
    Tool.objects.filter(name="Go and See").update(active=False)
    later = Session.objects.select_related("checklist").get(pk=hold(session_number(enrolment, 5)).pk)
    with CaptureQueriesContext(connection) as queries:
        data = checklist_form_data(session=later)
    assert len(queries) == 2  # 1 active tools; 2 the previous checklist's ratings with their session
    assert data.checklist is None
    assert data.version == 0
    assert len(data.tools) == 8
    assert data.previous_session.number == 3
    assert set(data.previous.values()) == {RatingValue(True, 3)}


def test_checklist_form_data_saved_checklist_lists_its_own_tools(personas, held_session):
    save_checklist(held_session, personas.coach, 2)
    Tool.objects.filter(name="Go and See").update(active=False)
    Tool.objects.create(name="Visual management", order=60)
    session = Session.objects.select_related("checklist").get(pk=held_session.pk)
    data = checklist_form_data(session=session)
    assert [t.name for t in data.tools] == SEEDED_TOOLS
    assert data.version == 1
    assert data.previous == {}
    assert data.previous_session is None


def test_checklist_conflict_report_lists_what_others_changed_since_the_opened_version(personas, held_session):
    save_checklist(held_session, personas.coach, 2, note="Start")
    go, huddle = tool("Go and See"), tool("Improvement huddle")
    tools = list(Tool.objects.active())
    ratings = {t.pk: RatingValue(True, 2) for t in tools}
    ratings[go.pk] = RatingValue(True, 3)
    checklist_save(session=held_session, user=personas.manager, version=1, ratings=ratings, culture_note="Start")
    ratings[huddle.pk] = RatingValue(False, 2, "Stopped")
    checklist_save(session=held_session, user=personas.other_coach, version=2, ratings=ratings, culture_note="New")

    report = checklist_conflict_report(session=held_session, version=1)

    assert report.current_version == 3
    assert report.saved_by == ["Mina Manager", "Omar Other"]
    assert report.changes == [
        "Go and See: Sometimes \u2192 Most of the time",
        "Improvement huddle: discussed yes \u2192 no",
        "Improvement huddle: comment \u201c\u201d \u2192 \u201cStopped\u201d",
        "Culture note \u201cStart\u201d \u2192 \u201cNew\u201d",
    ]
    assert report.known
    assert report.current[go.pk] == RatingValue(True, 3)

    # Opened on version 2: only the second save's changes.
    assert checklist_conflict_report(session=held_session, version=2).changes == [
        "Improvement huddle: discussed yes \u2192 no",
        "Improvement huddle: comment \u201c\u201d \u2192 \u201cStopped\u201d",
        "Culture note \u201cStart\u201d \u2192 \u201cNew\u201d",
    ]


def test_checklist_conflict_report_opened_before_it_existed_lists_every_rating(personas, held_session):
    save_checklist(held_session, personas.manager, 3, note="Filled")
    report = checklist_conflict_report(session=held_session, version=0)
    assert report.saved_by == ["Mina Manager"]
    assert report.changes[0] == "Driver diagrams / aims: Most of the time, discussed"
    assert report.changes[-1] == "Culture note \u201c\u201d \u2192 \u201cFilled\u201d"
    assert len(report.changes) == 10


def test_checklist_conflict_report_without_history_says_details_are_unknown(personas):
    checklist = factories.ChecklistFactory(session=hold(session_number(personas.enrolment, 2)))
    Checklist.history.all().delete()
    Checklist.objects.filter(pk=checklist.pk).update(version=3)
    report = checklist_conflict_report(session=checklist.session, version=1)
    assert (report.known, report.changes, report.current_version) == (False, [], 3)


def test_checklist_history_lists_each_save_with_who_and_what(personas, held_session):
    save_checklist(held_session, personas.coach, 2, note="Start")
    go = tool("Go and See")
    ratings = {t.pk: RatingValue(True, 2) for t in Tool.objects.active()}
    ratings[go.pk] = RatingValue(True, 3)
    checklist_save(session=held_session, user=personas.manager, version=1, ratings=ratings, culture_note="Later")
    checklist = Checklist.objects.get()
    with CaptureQueriesContext(connection) as queries:
        saves = checklist_history(checklist=checklist)
    assert len(queries) == 2  # 1 the checklist's history with users; 2 its ratings' history with users and tools
    assert [(s.who, s.version, s.created, s.changes) for s in saves] == [
        (
            "Mina Manager",
            2,
            False,
            [
                "Culture note \u201cStart\u201d \u2192 \u201cLater\u201d",
                "Go and See: Sometimes \u2192 Most of the time",
            ],
        ),
        ("Cara Coach", 1, True, []),
    ]


def test_ratings_export_rows_for_a_coach_are_their_own_teams_only(personas, held_session):
    save_checklist(held_session, personas.coach, 3)
    other = hold(session_number(personas.other_enrolment, 2))
    save_checklist(other, personas.other_coach, 1)
    coach_rows = list(ratings_export_rows(user=personas.coach))
    assert len(coach_rows) == 9
    assert coach_rows[0] == [
        "Education support team",
        personas.enrolment.team.site.code,
        "Autumn cohort",
        "2",
        held_session.held_on.isoformat(),
        "Driver diagrams / aims",
        "yes",
        "Most of the time",
        "",
    ]
    assert {row[0] for row in ratings_export_rows(user=personas.manager)} == {"Education support team", "Pharmacy team"}
    assert len(list(ratings_export_rows(user=personas.lead))) == 18
    assert list(ratings_export_rows(user=personas.no_role)) == []
