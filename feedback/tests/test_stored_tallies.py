"""The stored feedback counts (EnrolmentFeedback) equal a fresh count of the responses after every kind
of write: the public form and its service, links opened and closed, the admin's edits and deletes of
links, responses and sessions, programmes' session service, deletes that cascade; a rollback leaves
them as they were, and two answers at once both count (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
import time

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import skip_unless_postgresql
from core.locks import ENROLMENT_FIGURES, SLOTS, advisory_xact_lock
from feedback.models import EnrolmentFeedback, FeedbackLink, FeedbackResponse
from feedback.selectors import TALLY_FIELDS, feedback_figures, feedback_report
from feedback.services import (
    feedback_link_close,
    feedback_link_open,
    feedback_response_create,
    rebuild_feedback_tallies,
    refresh_feedback_tallies,
)
from programmes.models import Enrolment, Session
from programmes.services import session_record_held
from tests import factories
from tests.helpers import admin_change, admin_delete

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 2, 2)
ANSWERS = [("yes", 5), ("not_sure", 3), ("no", 1), ("yes", 4), ("no", 2)]


def fresh() -> dict[int, dict]:
    """What every enrolment's row should hold, counted here in Python from the links, the responses
    and the sessions' attendees (not with the code that stores them)."""
    expected: dict[int, dict] = {}
    for link in FeedbackLink.objects.select_related("session").prefetch_related("responses"):
        session, responses = link.session, list(link.responses.all())
        row = expected.setdefault(
            session.enrolment_id, {name: 0 for name in TALLY_FIELDS} | {"attendees_recorded": False}
        )
        row["links"] += 1
        row["responses"] += len(responses)
        for response in responses:
            row[response.could_improve] += 1
            row["rating_total"] += response.rating
        if session.attendees is not None:
            row["attendees"] += session.attendees
            row["attendees_recorded"] = True
            row["responses_with_attendees"] += len(responses)
    return expected


def stored() -> dict[int, dict]:
    return {row.pop("enrolment_id"): row for row in EnrolmentFeedback.objects.values("enrolment_id", *TALLY_FIELDS)}


def assert_current() -> dict[int, dict]:
    expected = fresh()
    assert stored() == expected
    return expected


def session_number(enrolment: Enrolment, number: int) -> Session:
    return Session.objects.select_related("enrolment").get(enrolment=enrolment, number=number)


def held(enrolment: Enrolment, number: int, attendees: int) -> Session:
    session = session_number(enrolment, number)
    return session_record_held(
        session=session, version=session.version, held_on=session.due_date, attendees=attendees, notes="", today=TODAY
    )


def answer(link: FeedbackLink, n: int, *, start: int = 0) -> None:
    """n answers through the service the public form calls."""
    for i in range(start, start + n):
        could_improve, rating = ANSWERS[i % len(ANSWERS)]
        feedback_response_create(
            link=link, could_improve=could_improve, rating=rating, what_worked="", what_better="", today=TODAY
        )


@pytest.fixture
def teams(personas) -> list[Enrolment]:
    """The coach's team: sessions 1 and 2 held (8 and 6 attendees) with links and answers, session 3
    with a link and no attendees recorded. The other team: session 1 with a link and no answers. A
    third team: no link, so no row."""
    team, other = personas.enrolment, personas.other_enrolment
    for number, attendees in ((1, 8), (2, 6)):
        held(team, number, attendees)
    for number, n in ((1, 5), (2, 3), (3, 2)):
        answer(feedback_link_open(session=session_number(team, number)), n, start=number)
    feedback_link_open(session=session_number(other, 1))
    third = factories.EnrolmentFactory(cohort=team.cohort)
    factories.make_sessions(third)
    return [team, other, third]


def test_service_writes_keep_the_row_current(personas, teams):
    team, other, third = teams
    expected = assert_current()
    assert set(expected) == {team.pk, other.pk}  # no row for the team without a link
    assert expected[team.pk] == {
        "links": 3,
        "responses": 10,
        "yes": 4,
        "not_sure": 1,
        "no": 5,
        "rating_total": 28,
        "attendees": 14,
        "attendees_recorded": True,
        "responses_with_attendees": 8,
    }
    assert expected[other.pk]["links"] == 1 and expected[other.pk]["responses"] == 0

    # Closing and reopening a link changes no count; a first link makes the third team's row.
    feedback_link_close(session=session_number(team, 1))
    feedback_link_open(session=session_number(team, 1))
    assert assert_current() == expected
    link = feedback_link_open(session=session_number(third, 2))
    assert stored()[third.pk]["links"] == 1
    answer(link, 2)
    assert stored()[third.pk]["responses"] == 2
    assert_current()


def test_the_public_form_keeps_the_row_current(client, personas, teams):
    team = teams[0]
    link = FeedbackLink.objects.get(session=session_number(team, 3))
    url = reverse("feedback:form", kwargs={"token": link.token})
    token = re.search(r'name="form_token" value="([^"]+)"', client.get(url).content.decode()).group(1)
    data = {"could_improve": "not_sure", "rating": "2", "what_worked": "", "what_better": "", "form_token": token}
    assert client.post(url, data).status_code == 302
    after = assert_current()
    assert (after[team.pk]["responses"], after[team.pk]["not_sure"]) == (11, 2)
    assert client.post(url, data).status_code == 409  # the same form again saves nothing
    assert assert_current() == after


def test_attendees_through_programmes_service(personas, teams):
    team, other, _ = teams
    held(team, 1, 12)  # recorded again: 12 attendees, not 8
    assert assert_current()[team.pk]["attendees"] == 18
    held(other, 1, 9)  # the other team's session with a link: its first attendees
    after = assert_current()
    assert (after[other.pk]["attendees"], after[other.pk]["attendees_recorded"]) == (9, True)
    # A session without a link: its attendees count nowhere, and no row is recomputed.
    with CaptureQueriesContext(connection) as queries:
        held(team, 4, 7)
    assert not [q for q in queries if EnrolmentFeedback._meta.db_table in q["sql"]]
    assert_current()


def test_saves_that_change_no_input_recompute_nothing(personas, teams):
    team = teams[0]
    session = session_number(team, 1)
    response = FeedbackResponse.objects.filter(link__session=session).first()
    with CaptureQueriesContext(connection) as queries:
        session.notes = "Only a note"
        session.save()
        session.save(update_fields=["notes"])
        response.what_worked = "Only a comment"
        response.save()
    assert not [q for q in queries if EnrolmentFeedback._meta.db_table in q["sql"]]
    assert_current()


def test_orm_edits_of_responses_links_and_sessions(personas, teams):
    team, other, _ = teams
    response = FeedbackResponse.objects.filter(link__session__enrolment=team).order_by("rating").first()
    response.rating, response.could_improve = 5, "yes"
    response.save()
    assert_current()
    # A response moved to the other team's link, and a session of the coach's team with its attendees.
    response.link = FeedbackLink.objects.get(session__enrolment=other)
    response.save(update_fields=["link"])
    assert assert_current()[other.pk]["responses"] == 1
    session = session_number(team, 3)
    session.attendees = 4
    session.save(update_fields=["attendees"])
    assert assert_current()[team.pk]["responses_with_attendees"] == 9  # one of the 10 moved away
    # A link moved to the third team's session: both rows follow.
    link = FeedbackLink.objects.get(session=session_number(team, 2))
    link.session = session_number(teams[2], 5)
    link.save()
    after = assert_current()
    assert (after[team.pk]["links"], after[teams[2].pk]["links"]) == (2, 1)


def test_deletes_and_cascades(personas, teams):
    team, other, _ = teams
    # Responses deleted through a queryset, then a link with its responses.
    FeedbackResponse.objects.filter(link__session=session_number(team, 1), rating__lt=4).delete()
    assert assert_current()[team.pk]["responses"] == 7
    FeedbackLink.objects.get(session=session_number(team, 2)).delete()
    assert assert_current()[team.pk]["links"] == 2
    # A session deleted: its link and responses go with it, and the row follows once.
    session_number(team, 1).delete()
    after = assert_current()
    assert after[team.pk]["links"] == 1 and not after[team.pk]["attendees_recorded"]
    # The last link of a team: its row goes.
    FeedbackLink.objects.filter(session__enrolment=other).delete()
    assert other.pk not in assert_current()
    # An enrolment deleted: its sessions, links, responses and row go with it.
    Enrolment.objects.filter(pk=team.pk).delete()
    assert assert_current() == {}
    assert not EnrolmentFeedback.objects.exists()


def test_a_rollback_leaves_the_rows_as_they_were(personas, teams):
    team = teams[0]
    before = assert_current()
    with pytest.raises(RuntimeError), transaction.atomic():
        answer(FeedbackLink.objects.get(session=session_number(team, 3)), 4)
        held(team, 1, 30)
        assert stored()[team.pk]["responses"] == 14  # written in the transaction
        raise RuntimeError("rolled back")
    assert stored() == before
    assert_current()


def test_figures_follow_the_writes(personas, teams):
    """feedback_figures reads the rows, and gives what the report counts from the responses."""
    team = teams[0]
    held(team, 2, 20)
    FeedbackResponse.objects.filter(link__session=session_number(team, 1)).first().delete()
    for user in (personas.manager, personas.lead, personas.coach):
        figures, report = feedback_figures(user=user), feedback_report(user=user)
        assert figures.overall == report.overall
        assert figures.enrolments == {row.enrolment.pk: row.figures for row in report.enrolments}
    assert feedback_figures(user=personas.manager).enrolments[team.pk].attendees == 28


# --- The admin ---------------------------------------------------------------------------------------


def test_admin_edits_and_deletes_of_links_and_responses(personas, teams, superuser):
    team, other, third = teams
    client = superuser
    # A link moved to another team's session in the admin (its responses with it): both rows follow.
    link = FeedbackLink.objects.get(session=session_number(team, 1))
    admin_change(client, FeedbackLink, link.pk, session=session_number(third, 1).pk)
    moved = assert_current()
    assert (moved[team.pk]["responses"], moved[third.pk]["responses"]) == (5, 5)
    admin_change(client, FeedbackLink, link.pk, is_open="")  # closed: no count changes
    assert assert_current() == moved

    # Responses cannot be edited in the admin (they are what attendees wrote), only deleted.
    response = FeedbackResponse.objects.filter(link=link).first()
    url = reverse("admin:feedback_feedbackresponse_change", args=[response.pk])
    assert client.post(url, {"link": link.pk, "rating": "1"}).status_code == 403
    admin_delete(client, FeedbackResponse, response.pk)
    assert assert_current()[third.pk]["responses"] == 4
    # Several at once, with the changelist's delete action (a queryset delete).
    chosen = list(FeedbackResponse.objects.filter(link=link).values_list("pk", flat=True)[:2])
    changelist = reverse("admin:feedback_feedbackresponse_changelist")
    response = client.post(changelist, {"action": "delete_selected", "_selected_action": chosen, "post": "yes"})
    assert response.status_code == 302
    assert assert_current()[third.pk]["responses"] == 2

    admin_delete(client, FeedbackLink, link.pk)
    assert third.pk not in assert_current()
    # A link made in the admin.
    response = client.post(
        reverse("admin:feedback_feedbacklink_add"),
        {"session": session_number(other, 2).pk, "is_open": "on", **_empty_inline("responses")},
    )
    assert response.status_code == 302
    assert assert_current()[other.pk]["links"] == 2


def _empty_inline(prefix: str) -> dict:
    return {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}


def test_admin_session_edits_and_deletes(personas, teams, superuser):
    team = teams[0]
    client = superuser
    admin_change(client, Session, session_number(team, 3).pk, attendees=5)
    assert assert_current()[team.pk]["responses_with_attendees"] == 10
    admin_change(client, Session, session_number(team, 3).pk, attendees="")
    assert assert_current()[team.pk]["attendees"] == 14
    admin_change(client, Session, session_number(team, 1).pk, notes="A note only")
    assert_current()
    admin_delete(client, Session, session_number(team, 1).pk)
    assert assert_current()[team.pk]["links"] == 2


# --- The command, the migration, the cost -----------------------------------------------------------


def test_rebuild_command_restores_lost_and_stray_rows(personas, teams):
    expected = assert_current()
    EnrolmentFeedback.objects.filter(enrolment=teams[0]).delete()  # a row lost
    EnrolmentFeedback.objects.filter(enrolment=teams[1]).update(responses=99)  # a row wrong
    EnrolmentFeedback.objects.create(enrolment=teams[2], **{name: 1 for name in TALLY_FIELDS})  # a stray row
    assert stored() != expected
    out = io.StringIO()
    call_command("rebuild_feedback_tallies", stdout=out)
    assert out.getvalue().strip() == "Rebuilt the feedback counts of 2 enrolments."
    assert assert_current() == expected


def test_the_migration_fills_the_table(personas, teams):
    expected = assert_current()
    EnrolmentFeedback.objects.all().delete()
    migration = __import__("feedback.migrations.0005_enrolment_feedback", fromlist=["fill_tallies"])
    migration.fill_tallies(apps, connection.schema_editor())
    assert stored() == expected


def _teams_with_feedback(count: int, cohort) -> list[int]:
    ids = []
    for _ in range(count):
        enrolment = factories.EnrolmentFactory(cohort=cohort)
        factories.make_sessions(enrolment)
        held(enrolment, 1, 6)
        for number in (1, 2):
            link = factories.FeedbackLinkFactory(session=session_number(enrolment, number))
            for could_improve, rating in ANSWERS[:3]:
                factories.FeedbackResponseFactory(link=link, could_improve=could_improve, rating=rating)
        ids.append(enrolment.pk)
    return ids


@pytest.mark.parametrize("teams", [1, 6])
def test_refresh_query_count_does_not_grow_with_enrolments(personas, django_assert_num_queries, teams):
    ids = _teams_with_feedback(teams, personas.enrolment.cohort)
    no_link = personas.other_enrolment.pk
    EnrolmentFeedback.objects.all().delete()
    # The lock (PostgreSQL), the counts, the delete (of the team with no link), the upsert.
    with django_assert_num_queries(3 + (connection.vendor == "postgresql")):
        refresh_feedback_tallies([*ids, no_link])
    assert_current()
    assert len(stored()) == teams
    assert rebuild_feedback_tallies() == teams


# --- Two answers at once (PostgreSQL) --------------------------------------------------------------------

WAIT_SECONDS = 20


@pytest.mark.django_db(transaction=True)
def test_two_answers_to_one_team_at_once_both_count(personas):
    """Two attendees answer two sessions of the same team at once: the second refresh waits for the
    first to commit and then counts its answer, instead of overwriting the row with counts that miss it."""
    skip_unless_postgresql()
    team = personas.enrolment
    links = [feedback_link_open(session=session_number(team, number)) for number in (1, 2)]
    first_saved, commit_first = threading.Event(), threading.Event()
    pids: dict[str, int] = {}
    errors: list[BaseException] = []

    def send(link: FeedbackLink, *, first: bool) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids["first" if first else "second"] = cursor.fetchone()[0]
            if not first:
                assert first_saved.wait(WAIT_SECONDS)
            with transaction.atomic():
                answer(link, 1, start=0 if first else 1)
                if first:
                    first_saved.set()
                    assert commit_first.wait(WAIT_SECONDS)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
            first_saved.set()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=send, args=(links[0],), kwargs={"first": True}),
        threading.Thread(target=send, args=(links[1],), kwargs={"first": False}),
    ]
    for thread in threads:
        thread.start()
    assert first_saved.wait(WAIT_SECONDS)
    deadline = time.monotonic() + WAIT_SECONDS
    while "second" not in pids or _waiting([pids["second"]]) < 1:  # the second answer waits on the first
        assert not errors and time.monotonic() < deadline, errors or "the second answer never waited"
        time.sleep(0.01)  # a lock wait between two other connections: nothing to be told of
    commit_first.set()
    for thread in threads:
        thread.join(timeout=WAIT_SECONDS)
    assert errors == []
    expected = assert_current()
    assert (expected[team.pk]["responses"], expected[team.pk]["yes"], expected[team.pk]["not_sure"]) == (2, 1, 1)


def _waiting(pids: list[int]) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted AND pid = ANY(%s)", [pids])
        return cursor.fetchone()[0]


def test_a_refresh_of_many_enrolments_takes_a_bounded_number_of_locks():
    """One lock per id would run out of PostgreSQL's lock table past a few thousand ids (a rebuild)."""
    skip_unless_postgresql()
    with transaction.atomic():
        advisory_xact_lock(ENROLMENT_FIGURES, range(1, 20_001))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND classid = %s",
                [ENROLMENT_FIGURES],
            )
            assert cursor.fetchone()[0] == SLOTS


@pytest.mark.django_db(transaction=True)
def test_refreshes_of_two_stored_figures_in_opposite_orders_do_not_deadlock(personas):
    """One writer refreshes a team's session progress then its feedback counts, another the feedback
    counts then the progress: all the stored figures lock in one namespace, so the second waits for
    the first to commit instead of each holding one table's lock while waiting for the other's."""
    from programmes.services.progress import refresh_progress

    skip_unless_postgresql()
    team = personas.enrolment.pk
    first_locked, second_trying, second_locked = threading.Event(), threading.Event(), threading.Event()
    pids: dict[str, int] = {}
    errors: list[BaseException] = []
    finished: list[str] = []

    def write(name: str, first, then) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids[name] = cursor.fetchone()[0]
            if name == "second":
                assert first_locked.wait(WAIT_SECONDS)
            with transaction.atomic():
                if name == "second":
                    second_trying.set()
                first([team])
                if name == "first":
                    first_locked.set()
                    deadline = time.monotonic() + WAIT_SECONDS
                    # Go on once the other writer waits on a lock or has taken its first one.
                    while not (second_trying.is_set() and (second_locked.is_set() or _waiting([pids["second"]]))):
                        assert time.monotonic() < deadline, "the second writer never started"
                        time.sleep(0.01)  # another connection's progress: nothing to be told of
                else:
                    second_locked.set()
                then([team])
            finished.append(name)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
            first_locked.set()
            second_trying.set()
            second_locked.set()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=write, args=("first", refresh_progress, refresh_feedback_tallies)),
        threading.Thread(target=write, args=("second", refresh_feedback_tallies, refresh_progress)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT_SECONDS * 2)
    assert errors == []
    assert finished == ["first", "second"]
