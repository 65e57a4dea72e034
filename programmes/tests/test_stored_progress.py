"""The stored progress (EnrolmentProgress) equals a fresh computation from the sessions after every
kind of write: enrolling, moving session 1, recording, re-dating, cancelling and moving sessions,
coaching slots agreed in bulk, the admin's edits and deletes, deletes that cascade, a plan row's kind;
a rollback leaves it as it was. The fresh computation here is plain Python over the Session rows,
written apart from the service's code."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from coaching.services import agreement_confirm
from programmes.apps import stored_progress_rows
from programmes.models import (
    Enrolment,
    EnrolmentProgress,
    Session,
    SessionKind,
    SessionPlan,
    TemplateStatus,
    last_on_time_day,
    on_time_anchor,
)
from programmes.services import (
    enrolment_create,
    enrolment_update,
    rebuild_progress,
    refresh_progress,
    session_cancel,
    session_move,
    session_record_held,
)
from tests import factories
from tests.helpers import admin_change, admin_delete

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
TODAY = dt.date(2026, 2, 2)
ON_SESSION_1 = dt.datetime(2025, 9, 22, 15, 0, tzinfo=LONDON)
FIELDS = [
    "session_count",
    "held_count",
    "cancelled_count",
    "next_session_id",
    "next_number",
    "next_due_date",
    "next_agreed_start",
    "next_anchor",
    "session_1_held_on",
    "review_due_date",
    "review_held_on",
    "first_coaching_held_on",
]


def fresh() -> dict[int, dict]:
    """What every enrolment's row should hold, from its Session rows in number order."""
    expected: dict[int, dict] = {}
    reviewed: set[int] = set()
    for s in Session.objects.select_related("plan").order_by("enrolment_id", "number"):
        row = expected.setdefault(
            s.enrolment_id, dict.fromkeys(FIELDS) | {"session_count": 0, "held_count": 0, "cancelled_count": 0}
        )
        row["session_count"] += 1
        row["held_count"] += s.held_on is not None and not s.cancelled
        row["cancelled_count"] += s.cancelled
        if s.held_on is None and not s.cancelled and row["next_session_id"] is None:
            agreed_day = None if s.agreed_start is None else s.agreed_start.astimezone(LONDON).date()
            row |= {
                "next_session_id": s.pk,
                "next_number": s.number,
                "next_due_date": s.due_date,
                "next_agreed_start": s.agreed_start,
                "next_anchor": s.due_date if agreed_day is None or agreed_day < s.due_date else agreed_day,
            }
        if s.number == 1:
            row["session_1_held_on"] = s.held_on
        if s.plan.kind == SessionKind.COACHING and s.held_on and not s.cancelled and not row["first_coaching_held_on"]:
            row["first_coaching_held_on"] = s.held_on
        if s.plan.kind == SessionKind.REVIEW and s.enrolment_id not in reviewed:
            reviewed.add(s.enrolment_id)
            row |= {"review_due_date": s.due_date, "review_held_on": s.held_on}
    return expected


def stored() -> dict[int, dict]:
    return {row.pop("enrolment_id"): row for row in EnrolmentProgress.objects.values("enrolment_id", *FIELDS)}


def assert_current() -> dict[int, dict]:
    expected = fresh()
    assert stored() == expected
    return expected


def session(enrolment: Enrolment, number: int) -> Session:
    return Session.objects.select_related("enrolment").get(enrolment=enrolment, number=number)


def held(enrolment: Enrolment, number: int, held_on: dt.date | None = None) -> Session:
    s = session(enrolment, number)
    return session_record_held(
        session=s, version=s.version, held_on=held_on or s.due_date, attendees=6, notes="", today=TODAY
    )


# --- The services ------------------------------------------------------------------------------------


def test_enrolling_makes_the_row_and_an_enrolment_without_sessions_has_none(personas):
    team = enrolment_create(
        cohort=personas.enrolment.cohort,
        team=factories.TeamFactory(),
        coach=personas.coach,
        session1_date=dt.date(2025, 10, 6),
        session1_start=dt.time(10, 30),
    )
    expected = assert_current()
    bare = factories.EnrolmentFactory(cohort=personas.enrolment.cohort)  # made with no sessions
    assert set(expected) == {personas.enrolment.pk, personas.other_enrolment.pk, team.pk}
    assert bare.pk not in stored()
    row = expected[team.pk]
    assert (row["session_count"], row["held_count"], row["cancelled_count"], row["next_number"]) == (10, 0, 0, 1)
    assert row["next_agreed_start"] == dt.datetime(2025, 10, 6, 10, 30, tzinfo=LONDON)  # session 1's time
    assert (row["review_due_date"], row["review_held_on"]) == (dt.date(2025, 12, 22), None)


def test_moving_session_1_moves_the_due_dates(personas):
    enrolment = personas.enrolment
    before = assert_current()[enrolment.pk]
    enrolment_update(
        enrolment=enrolment, version=enrolment.version, coach=enrolment.coach, session1_date=dt.date(2025, 10, 6)
    )
    after = assert_current()[enrolment.pk]
    assert after["next_due_date"] == before["next_due_date"] + dt.timedelta(weeks=2) == dt.date(2025, 10, 6)
    assert after["review_due_date"] == before["review_due_date"] + dt.timedelta(weeks=2)


def test_held_cancelled_and_moved(personas):
    enrolment = personas.enrolment
    held(enrolment, 1)
    row = assert_current()[enrolment.pk]
    assert (row["held_count"], row["session_1_held_on"], row["next_number"]) == (1, dt.date(2025, 9, 22), 2)

    # Its day changed: recorded again as held on another day.
    held(enrolment, 1, held_on=dt.date(2025, 9, 24))
    assert assert_current()[enrolment.pk]["session_1_held_on"] == dt.date(2025, 9, 24)

    s2 = session(enrolment, 2)
    session_cancel(session=s2, version=s2.version, reason="Ward closed")
    row = assert_current()[enrolment.pk]
    assert (row["cancelled_count"], row["next_number"]) == (1, 3)

    s3 = session(enrolment, 3)
    to_start = dt.datetime(2025, 10, 30, 14, 0, tzinfo=LONDON)  # after its due date (13 October)
    session_move(session=s3, version=s3.version, to_start=to_start, reason="Audit week", user=personas.coach)
    row = assert_current()[enrolment.pk]
    assert (row["next_agreed_start"], row["next_anchor"], row["next_due_date"]) == (
        to_start,
        dt.date(2025, 10, 30),
        dt.date(2025, 10, 13),
    )
    # Moved before its due date: the due date is the anchor.
    s3.refresh_from_db()
    earlier = dt.datetime(2025, 10, 8, 9, 0, tzinfo=LONDON)
    session_move(session=s3, version=s3.version, to_start=earlier, reason="Sooner", user=personas.coach)
    assert assert_current()[enrolment.pk]["next_anchor"] == dt.date(2025, 10, 13)

    # Session 2 (the first coaching session) was cancelled: the first coaching held is session 3's.
    assert assert_current()[enrolment.pk]["first_coaching_held_on"] is None
    # The review held: the next is the first sustain check, and the review's day is stored.
    for number in range(3, 8):
        held(enrolment, number)
    row = assert_current()[enrolment.pk]
    s3.refresh_from_db()
    assert s3.held_on is not None
    assert row["first_coaching_held_on"] == s3.held_on
    assert (row["held_count"], row["next_number"], row["review_held_on"]) == (6, 8, dt.date(2025, 12, 8))


def test_an_agreed_start_after_midnight_in_summer_time_anchors_on_the_london_day(personas):
    """00:30 on Monday 30 March 2026 in London (BST, the day after the clocks go forward) is 23:30 UTC
    on Sunday 29 March: the anchor is the London day, as last_on_time_day() counts it."""
    enrolment = personas.enrolment
    held(enrolment, 1)
    s2 = session(enrolment, 2)
    to_start = dt.datetime(2026, 3, 30, 0, 30, tzinfo=LONDON)
    assert to_start.astimezone(dt.UTC).date() == dt.date(2026, 3, 29)
    session_move(session=s2, version=s2.version, to_start=to_start, reason="Night shift", user=personas.coach)
    row = assert_current()[enrolment.pk]
    assert row["next_anchor"] == dt.date(2026, 3, 30)
    assert last_on_time_day(due_date=s2.due_date, agreed_start=to_start) == row["next_anchor"] + dt.timedelta(days=7)
    stored_start = EnrolmentProgress.objects.get(pk=enrolment.pk).next_agreed_start
    assert stored_start == to_start and on_time_anchor(s2.due_date, stored_start) == dt.date(2026, 3, 30)


def test_coaching_slots_agreed_in_bulk(personas):
    enrolment = personas.enrolment
    held(enrolment, 1)
    meeting = factories.TeamMeetingFactory(
        team=enrolment.team, weekday=1, start_time=dt.time(9, 0), every_weeks=2, first_date=dt.date(2025, 9, 23)
    )
    agreement_confirm(enrolment=enrolment, meeting=meeting, unavailable=[], user=enrolment.coach, now=ON_SESSION_1)
    row = assert_current()[enrolment.pk]
    assert row["next_agreed_start"] == dt.datetime(2025, 10, 7, 9, 0, tzinfo=LONDON)
    assert row["next_anchor"] == dt.date(2025, 10, 7)  # later than its due date (29 September)
    # Re-agreed on another meeting: the agreed starts move again, in bulk.
    weekly = factories.TeamMeetingFactory(
        team=enrolment.team, weekday=3, start_time=dt.time(13, 0), every_weeks=1, first_date=dt.date(2025, 9, 25)
    )
    agreement_confirm(enrolment=enrolment, meeting=weekly, unavailable=[], user=enrolment.coach, now=ON_SESSION_1)
    assert assert_current()[enrolment.pk]["next_agreed_start"] == dt.datetime(2025, 10, 2, 13, 0, tzinfo=LONDON)


def test_a_rollback_leaves_the_row_as_it_was(personas):
    before = assert_current()
    with pytest.raises(RuntimeError), transaction.atomic():
        held(personas.enrolment, 1)
        assert stored()[personas.enrolment.pk]["held_count"] == 1  # written in the transaction
        raise RuntimeError("rolled back")
    assert stored() == before
    assert_current()


# --- Other saves and deletes --------------------------------------------------------------------------


def test_saves_outside_the_services(personas):
    enrolment, other = personas.enrolment, personas.other_enrolment
    # A session made with a plain save (a factory, the shell) makes the row of a team with none.
    bare = factories.EnrolmentFactory(cohort=enrolment.cohort)
    factories.SessionFactory(enrolment=bare)
    assert assert_current()[bare.pk]["session_count"] == 1

    # An agreed start changed with a plain save (the admin shows it read-only).
    held(enrolment, 1)
    s2 = session(enrolment, 2)
    s2.agreed_start = dt.datetime(2025, 10, 9, 11, 0, tzinfo=LONDON)
    s2.save()
    assert assert_current()[enrolment.pk]["next_anchor"] == dt.date(2025, 10, 9)

    # A session moved to another enrolment: both rows follow.
    s10 = session(other, 10)
    s10.enrolment = bare
    s10.number = 2
    s10.save()
    after = assert_current()
    assert (after[other.pk]["session_count"], after[bare.pk]["session_count"]) == (9, 2)

    # A save of what the progress does not read: no recompute.
    s2.notes = "Notes only"
    with CaptureQueriesContext(connection) as queries:
        s2.save()
    assert not [q for q in queries.captured_queries if EnrolmentProgress._meta.db_table in q["sql"]]
    assert_current()


def test_deletes_and_cascades(personas):
    enrolment, other = personas.enrolment, personas.other_enrolment
    held(enrolment, 1)
    # The next session deleted: its row's next is emptied (SET_NULL) and then stored anew.
    session(enrolment, 2).delete()
    row = assert_current()[enrolment.pk]
    assert (row["session_count"], row["next_number"]) == (9, 3)
    # The review deleted through a queryset: no review.
    Session.objects.filter(enrolment=enrolment, number=7).delete()
    assert assert_current()[enrolment.pk]["review_due_date"] is None
    # Every session deleted: no row.
    Session.objects.filter(enrolment=other).delete()
    assert other.pk not in assert_current()
    # An enrolment deleted: its row goes with it.
    Enrolment.objects.filter(pk=enrolment.pk).delete()
    assert assert_current() == {}


# --- The admin ----------------------------------------------------------------------------------------


def test_admin_session_edits_and_deletes(personas, superuser):
    enrolment = personas.enrolment
    client = superuser
    admin_change(client, Session, session(enrolment, 1).pk, held_on="2025-09-23")
    row = assert_current()[enrolment.pk]
    assert (row["session_1_held_on"], row["next_number"]) == (dt.date(2025, 9, 23), 2)
    admin_change(client, Session, session(enrolment, 1).pk, held_on="2025-09-25")
    assert assert_current()[enrolment.pk]["session_1_held_on"] == dt.date(2025, 9, 25)
    admin_change(client, Session, session(enrolment, 2).pk, cancelled="on", cancelled_reason="Ward closed")
    row = assert_current()[enrolment.pk]
    assert (row["cancelled_count"], row["next_number"]) == (1, 3)
    admin_change(client, Session, session(enrolment, 3).pk, notes="A note only")
    assert_current()
    admin_delete(client, Session, session(enrolment, 3).pk)
    row = assert_current()[enrolment.pk]
    assert (row["session_count"], row["next_number"]) == (9, 4)
    admin_delete(client, Enrolment, personas.other_enrolment.pk)
    assert personas.other_enrolment.pk not in assert_current()


def test_admin_plan_kind_change_moves_the_review(personas, superuser):
    draft = factories.ProgrammeTemplateFactory(status=TemplateStatus.DRAFT, published_on=None)
    kinds = [SessionKind.TAUGHT, SessionKind.COACHING, SessionKind.REVIEW, SessionKind.SUSTAIN]
    plans = [factories.SessionPlanFactory(template=draft, number=n, kind=kind) for n, kind in enumerate(kinds, 1)]
    enrolment = factories.EnrolmentFactory(cohort=factories.CohortFactory(template=draft))
    factories.make_sessions(enrolment)
    assert assert_current()[enrolment.pk]["review_due_date"] == session(enrolment, 3).due_date
    admin_change(superuser, SessionPlan, plans[1].pk, kind=SessionKind.REVIEW)  # session 2 comes first
    assert assert_current()[enrolment.pk]["review_due_date"] == session(enrolment, 2).due_date
    admin_change(superuser, SessionPlan, plans[1].pk, title="Renamed only")
    admin_change(superuser, SessionPlan, plans[1].pk, kind=SessionKind.COACHING)
    admin_change(superuser, SessionPlan, plans[2].pk, kind=SessionKind.SUSTAIN)
    assert assert_current()[enrolment.pk]["review_due_date"] is None


# --- The command, the check, the migration, the cost ----------------------------------------------------


def test_rebuild_the_check_and_the_migration(personas):
    expected = assert_current()
    assert stored_progress_rows(databases=["default"]) == []
    # Rows lost or left behind (sessions written without the app's writes): the check says so.
    EnrolmentProgress.objects.filter(pk=personas.enrolment.pk).delete()
    stale = factories.EnrolmentFactory(cohort=personas.enrolment.cohort)
    EnrolmentProgress.objects.create(enrolment=stale, session_count=1, held_count=0, cancelled_count=0)
    warnings = stored_progress_rows(databases=["default"])
    assert [w.id for w in warnings] == ["programmes.W001"]
    assert "1 enrolment(s) with sessions but no stored progress, and 1 stored" in warnings[0].msg
    out = io.StringIO()
    call_command("rebuild_progress", stdout=out)
    assert out.getvalue().strip() == "Rebuilt the stored progress of 2 enrolments."
    assert stored() == expected
    assert stored_progress_rows(databases=["default"]) == []

    EnrolmentProgress.objects.all().delete()
    migration = __import__("programmes.migrations.0006_enrolment_progress", fromlist=["fill_progress"])
    migration.fill_progress(apps, connection.schema_editor())
    assert set(EnrolmentProgress.objects.values_list("first_coaching_held_on", flat=True)) == {None}
    later = __import__("programmes.migrations.0009_progress_first_coaching", fromlist=["fill_first_coaching"])
    later.fill_first_coaching(apps, connection.schema_editor())
    assert stored() == expected


@pytest.mark.parametrize("teams", [1, 6])
def test_refresh_query_count_does_not_grow_with_enrolments(personas, django_assert_num_queries, teams):
    ids = [personas.enrolment.pk]
    for _ in range(teams - 1):
        enrolment = factories.EnrolmentFactory(cohort=personas.enrolment.cohort)
        factories.make_sessions(enrolment)
        ids.append(enrolment.pk)
    held(personas.enrolment, 1)
    no_sessions = factories.EnrolmentFactory(cohort=personas.enrolment.cohort).pk
    EnrolmentProgress.objects.all().delete()
    # The lock (PostgreSQL), the sessions with their plan rows, the delete (of the team with none), the upsert.
    with django_assert_num_queries(3 + (connection.vendor == "postgresql")):
        refresh_progress([*ids, no_sessions])
    expected = fresh()
    assert stored() == {pk: expected[pk] for pk in ids}
    assert rebuild_progress() == teams + 1  # the other team too
    assert_current()
