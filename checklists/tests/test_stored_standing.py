"""The stored checklist standing (EnrolmentStanding) equals a fresh computation after every kind of
write: the checklist service, the admin's edits and deletes, programmes' scheduling services, deletes
that cascade, a plan row's kind; a rollback leaves it as it was. With run lengths 1 and 2."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction

from checklists.apps import stored_standings_run_length
from checklists.models import Checklist, EnrolmentStanding, Tool, ToolRating
from checklists.selectors import checklist_standings
from checklists.services import rebuild_standings, refresh_standings
from conftest import skip_unless_postgresql
from programmes.models import Enrolment, Session, SessionKind, SessionPlan, TemplateStatus
from programmes.services import enrolment_update, session_cancel, session_record_held
from tests import factories
from tests.helpers import admin_change, admin_delete

from .helpers import save_checklist, session_number

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 2, 2)
FIELDS = [
    "latest_session_id",
    "latest_session_number",
    "latest_date",
    "adoption_score",
    "sustained_count",
    "tool_count",
    "review_sustained_count",
    "review_tool_count",
    "run_length",
]


@pytest.fixture(params=[1, 2], ids=["run1", "run2"])
def run_length(request, settings) -> int:
    settings.QMS_SUSTAINED_RUN_LENGTH = request.param
    return request.param


def fresh(run_length: int) -> dict[int, dict]:
    """What every enrolment's row should hold, from checklist_standings itself: the latest standing,
    and the standing up to the review when it is at the review session (the first, in number order,
    whose plan row is a review)."""
    enrolments = Enrolment.objects.all()
    latest = checklist_standings(enrolments=enrolments, run_length=run_length)
    at_review = checklist_standings(enrolments=enrolments, run_length=run_length, up_to_review=True)
    reviews = {}
    for session in Session.objects.select_related("plan").order_by("number"):
        if session.plan.is_review:
            reviews.setdefault(session.enrolment_id, session.pk)
    expected = {}
    for enrolment_id, standing in latest.items():
        review = at_review.get(enrolment_id)
        counted = review is not None and review.session_id == reviews.get(enrolment_id)
        expected[enrolment_id] = {
            "latest_session_id": standing.session_id,
            "latest_session_number": standing.session_number,
            "latest_date": standing.date,
            "adoption_score": standing.adoption_score,
            "sustained_count": standing.sustained_count,
            "tool_count": standing.tool_count,
            "review_sustained_count": review.sustained_count if counted else None,
            "review_tool_count": review.tool_count if counted else None,
            "run_length": run_length,
        }
    return expected


def stored() -> dict[int, dict]:
    return {row.pop("enrolment_id"): row for row in EnrolmentStanding.objects.values("enrolment_id", *FIELDS)}


def assert_current(run_length: int) -> dict[int, dict]:
    expected = fresh(run_length)
    assert stored() == expected
    return expected


# --- Building histories through the services -----------------------------------------------------------


def held(enrolment: Enrolment, number: int, held_on: dt.date | None = None) -> Session:
    session = session_number(enrolment, number)
    return session_record_held(
        session=session,
        version=session.version,
        held_on=held_on or session.due_date,
        attendees=6,
        notes="",
        today=TODAY,
    )


def by_tool(levels: list[int]) -> dict[int, int]:
    return {tool.pk: level for tool, level in zip(Tool.objects.active(), levels, strict=True)}


@pytest.fixture
def histories(personas, run_length) -> list[Enrolment]:
    """The coach's team: sessions 2-7 held, checklists on 2, 3, 5 and the review (7), sustained tools
    differing at run lengths 1 and 2. The other team: session 2 held with a checklist. A third: none."""
    coach, team = personas.coach, personas.enrolment
    for number in range(1, 8):
        held(team, number)
    save_checklist(session_number(team, 2), coach, by_tool([3, 3, 1, 1, 1, 1, 1, 1, 1]))
    save_checklist(session_number(team, 3), coach, by_tool([3, 2, 3, 1, 2, 1, 1, 1, 1]))
    save_checklist(session_number(team, 5), coach, by_tool([3, 3, 3, 2, 2, 0, 0, 1, 3]))
    save_checklist(session_number(team, 7), coach, by_tool([3, 3, 3, 3, 2, 2, 1, 1, 3]))
    other = personas.other_enrolment
    held(other, 1)
    held(other, 2)
    save_checklist(session_number(other, 2), personas.other_coach, 2)
    third = factories.EnrolmentFactory(cohort=team.cohort)
    factories.make_sessions(third)
    return [team, other, third]


def test_service_writes_keep_the_row_current(personas, histories, run_length):
    team, other, third = histories
    expected = assert_current(run_length)
    assert set(expected) == {team.pk, other.pk}  # no row for the team without a checklist
    assert expected[team.pk]["latest_session_number"] == 7
    assert expected[team.pk]["review_tool_count"] == 9  # the review has a checklist
    assert expected[other.pk]["review_tool_count"] is None  # its review has none
    # The sustained counts differ with the run length: the row follows the setting it was made with.
    assert expected[team.pk]["sustained_count"] == {1: 5, 2: 4}[run_length]

    # Editing a level, then only a comment (no recompute needed, still equal).
    save_checklist(session_number(team, 7), personas.coach, by_tool([1, 1, 1, 1, 1, 1, 1, 1, 1]), version=1)
    assert stored()[team.pk]["adoption_score"] == pytest.approx(100 / 3)
    assert_current(run_length)
    save_checklist(session_number(team, 8 - 1), personas.coach, 1, note="A note", version=2)
    assert_current(run_length)

    # A checklist after the review: the latest moves, the review figures stay.
    held(team, 8)
    save_checklist(session_number(team, 8), personas.coach, 3)
    after = assert_current(run_length)
    assert (after[team.pk]["latest_session_number"], after[team.pk]["review_tool_count"]) == (8, 9)

    # The third team's first checklist makes its row.
    held(third, 1)
    held(third, 2)
    save_checklist(session_number(third, 2), personas.coach, 0)
    assert stored()[third.pk]["adoption_score"] == 0
    assert_current(run_length)


def test_held_on_changes_reorder_the_checklists(personas, histories, run_length):
    team = histories[0]
    # Session 3 recorded again as held after session 5: its checklist becomes the latest before the review.
    session = session_number(team, 3)
    session_record_held(
        session=session, version=session.version, held_on=dt.date(2025, 12, 20), attendees=5, notes="", today=TODAY
    )
    expected = assert_current(run_length)
    assert expected[team.pk]["latest_session_number"] == 3  # held after the review now
    # The review figures count checklists up to the review only.
    assert expected[team.pk]["review_tool_count"] == 9


def test_moving_session_1_moves_due_dates_and_the_row(personas, run_length):
    # A checklist on a session not held (made in the admin, say): its date is its due date.
    enrolment = personas.other_enrolment
    session = session_number(enrolment, 3)
    checklist = factories.ChecklistFactory(session=session, coach=personas.other_coach)
    for tool in Tool.objects.active():
        factories.ToolRatingFactory(checklist=checklist, tool=tool, level=3)
    before = assert_current(run_length)
    assert before[enrolment.pk]["latest_date"] == session.due_date
    enrolment_update(
        enrolment=enrolment, version=enrolment.version, coach=enrolment.coach, session1_date=dt.date(2025, 10, 6)
    )
    after = assert_current(run_length)
    assert after[enrolment.pk]["latest_date"] == session.due_date + dt.timedelta(weeks=2)


def test_cancelling_and_deleting(personas, histories, run_length):
    team, other, _ = histories
    session = session_number(team, 9)
    session_cancel(session=session, version=session.version, reason="Ward closed")
    assert_current(run_length)

    # A session deleted: its checklist and ratings go with it (a cascade), and the row follows once.
    session_number(team, 7).delete()
    after = assert_current(run_length)
    assert (after[team.pk]["latest_session_number"], after[team.pk]["review_tool_count"]) == (5, None)

    # A checklist deleted: the one before it is the latest.
    Checklist.objects.get(session__enrolment=team, session__number=5).delete()
    assert assert_current(run_length)[team.pk]["latest_session_number"] == 3

    # Ratings deleted through a queryset, then the last checklist: the other team has no row.
    kept = Tool.objects.active().first()
    ToolRating.objects.filter(checklist__session__enrolment=other).exclude(tool=kept).delete()
    assert assert_current(run_length)[other.pk]["tool_count"] == 1
    Checklist.objects.filter(session__enrolment=other).delete()
    assert other.pk not in assert_current(run_length)

    # An enrolment deleted: its row goes with it.
    Enrolment.objects.filter(pk=team.pk).delete()
    assert assert_current(run_length) == {}


def test_a_rollback_leaves_the_row_as_it_was(personas, histories, run_length):
    team = histories[0]
    before = assert_current(run_length)
    with pytest.raises(RuntimeError), transaction.atomic():
        save_checklist(session_number(team, 7), personas.coach, 0, version=1)
        assert stored()[team.pk]["adoption_score"] == 0  # written in the transaction
        raise RuntimeError("rolled back")
    assert stored() == before
    assert_current(run_length)


# --- The admin ---------------------------------------------------------------------------------------


def test_admin_edits_and_deletes_of_ratings_and_checklists(personas, histories, superuser, run_length):
    team, other, _ = histories
    client = superuser
    review_checklist = Checklist.objects.get(session__enrolment=team, session__number=7)
    rating = review_checklist.ratings.order_by("tool__order").first()
    admin_change(client, ToolRating, rating.pk, level=0)
    assert stored()[team.pk]["review_sustained_count"] == fresh(run_length)[team.pk]["review_sustained_count"]
    assert_current(run_length)
    admin_change(client, ToolRating, rating.pk, comment="Only a comment")
    assert_current(run_length)

    # The checklist with its ratings inline: a level changed there.
    admin_change(client, Checklist, review_checklist.pk, **{"ratings-1-level": 0, "ratings-2-level": 1})
    assert stored()[team.pk]["adoption_score"] == fresh(run_length)[team.pk]["adoption_score"]
    assert_current(run_length)

    # The checklist moved to another team's session in the admin: both teams' rows follow.
    admin_change(client, Checklist, review_checklist.pk, session=session_number(other, 1).pk)
    moved = assert_current(run_length)
    assert moved[other.pk]["latest_session_number"] == 2  # session 1's new checklist is the older one
    assert moved[team.pk]["review_tool_count"] is None

    admin_delete(client, ToolRating, rating.pk)
    assert_current(run_length)
    admin_delete(client, Checklist, review_checklist.pk)
    assert_current(run_length)


def test_admin_session_edits_and_deletes(personas, histories, superuser, run_length):
    team = histories[0]
    client = superuser
    admin_change(client, Session, session_number(team, 2).pk, held_on="2025-12-30")
    assert assert_current(run_length)[team.pk]["latest_session_number"] == 2
    admin_change(client, Session, session_number(team, 2).pk, notes="A note only")
    assert_current(run_length)
    admin_delete(client, Session, session_number(team, 2).pk)
    assert assert_current(run_length)[team.pk]["latest_session_number"] == 7


def test_admin_plan_kind_change_moves_the_review(personas, superuser, run_length):
    draft = factories.ProgrammeTemplateFactory(status=TemplateStatus.DRAFT, published_on=None)
    kinds = [SessionKind.TAUGHT, SessionKind.COACHING, SessionKind.COACHING, SessionKind.REVIEW]
    plans = [factories.SessionPlanFactory(template=draft, number=n, kind=kind) for n, kind in enumerate(kinds, 1)]
    cohort = factories.CohortFactory(template=draft)
    enrolment = factories.EnrolmentFactory(cohort=cohort)
    factories.make_sessions(enrolment)
    for number in (1, 2, 3):
        held(enrolment, number)
    save_checklist(session_number(enrolment, 2), enrolment.coach, 3)
    save_checklist(session_number(enrolment, 3), enrolment.coach, 1)
    assert assert_current(run_length)[enrolment.pk]["review_tool_count"] is None  # the review (4) has none
    admin_change(superuser, SessionPlan, plans[1].pk, kind=SessionKind.REVIEW)  # session 2 is the review now
    after = assert_current(run_length)
    assert after[enrolment.pk]["review_sustained_count"] == (9 if run_length == 1 else 0)
    admin_change(superuser, SessionPlan, plans[1].pk, title="Renamed only")
    assert_current(run_length)


# --- The command, the check, the migration, the cost -----------------------------------------------------


def test_rebuild_after_the_run_length_changes(personas, histories, settings, run_length):
    assert_current(run_length)
    assert stored_standings_run_length(databases=["default"]) == []
    other = 3 - run_length
    settings.QMS_SUSTAINED_RUN_LENGTH = other
    assert stored() != fresh(other)  # the rows are the old rule's until rebuilt
    warnings = stored_standings_run_length(databases=["default"])
    assert [w.id for w in warnings] == ["checklists.W001"]
    assert f"run length of {run_length}" in warnings[0].msg and "rebuild_standings" in warnings[0].hint
    EnrolmentStanding.objects.filter(enrolment=histories[1]).delete()  # a row lost: rebuilt too
    out = io.StringIO()
    call_command("rebuild_standings", stdout=out)
    assert out.getvalue().strip() == f"Rebuilt 2 checklist standings with a sustained run length of {other}."
    assert_current(other)
    assert stored_standings_run_length(databases=["default"]) == []


def test_the_migration_fills_the_table(personas, histories, run_length):
    expected = assert_current(run_length)
    EnrolmentStanding.objects.all().delete()
    migration = __import__("checklists.migrations.0004_enrolment_standing", fromlist=["fill_standings"])
    migration.fill_standings(apps, connection.schema_editor())
    assert stored() == expected


def _teams_with_checklists(count: int, cohort) -> list[int]:
    ids = []
    for _ in range(count):
        enrolment = factories.EnrolmentFactory(cohort=cohort)
        factories.make_sessions(enrolment)
        for number in (1, 2, 7):
            held(enrolment, number)
        save_checklist(session_number(enrolment, 2), enrolment.coach, 3)
        save_checklist(session_number(enrolment, 7), enrolment.coach, 2)
        ids.append(enrolment.pk)
    return ids


@pytest.mark.parametrize("teams", [1, 6])
def test_refresh_query_count_does_not_grow_with_enrolments(personas, django_assert_num_queries, teams):
    ids = _teams_with_checklists(teams, personas.enrolment.cohort)
    no_checklist = personas.other_enrolment.pk
    EnrolmentStanding.objects.all().delete()
    # The lock (PostgreSQL), latest standings, standings up to the review, review sessions, the delete
    # (of the team with none), the upsert.
    with django_assert_num_queries(5 + (connection.vendor == "postgresql")):
        refresh_standings([*ids, no_checklist])
    assert_current(2)
    assert len(stored()) == teams
    assert rebuild_standings() == teams


# --- Two writers at once (PostgreSQL) --------------------------------------------------------------------

WAIT_SECONDS = 20


@pytest.mark.django_db(transaction=True)
def test_two_edits_of_one_team_at_once_store_what_both_saved(personas):
    """Coach and manager edit two checklists of the same team at once: the second refresh waits for the
    first to commit and then sees its ratings, instead of overwriting the row with figures that miss them."""
    skip_unless_postgresql()
    team = personas.enrolment
    for number in (1, 2, 3):
        held(team, number)
    save_checklist(session_number(team, 2), personas.coach, 3)
    save_checklist(session_number(team, 3), personas.coach, 2)
    first_saved, commit_first = threading.Event(), threading.Event()
    pids: dict[str, int] = {}
    errors: list[BaseException] = []

    def edit(number: int, level: int, *, first: bool) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids["first" if first else "second"] = cursor.fetchone()[0]
            if not first:
                assert first_saved.wait(WAIT_SECONDS)
            with transaction.atomic():
                save_checklist(session_number(team, number), personas.coach, level, version=1)
                if first:
                    first_saved.set()
                    assert commit_first.wait(WAIT_SECONDS)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
            first_saved.set()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=edit, args=(2, 1), kwargs={"first": True}),
        threading.Thread(target=edit, args=(3, 3), kwargs={"first": False}),
    ]
    for thread in threads:
        thread.start()
    assert first_saved.wait(WAIT_SECONDS)
    deadline = time.monotonic() + WAIT_SECONDS
    while "second" not in pids or _waiting([pids["second"]]) < 1:  # the second edit waits on the first
        assert not errors and time.monotonic() < deadline, errors or "the second edit never waited"
        time.sleep(0.01)  # a lock wait between two other connections: nothing to be told of
    commit_first.set()
    for thread in threads:
        thread.join(timeout=WAIT_SECONDS)
    assert errors == []
    expected = assert_current(2)
    assert expected[team.pk]["sustained_count"] == 0  # 1 then 3: not sustained at a run length of 2


def _waiting(pids: list[int]) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted AND pid = ANY(%s)", [pids])
        return cursor.fetchone()[0]
