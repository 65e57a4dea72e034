"""The figures cache (core/figures_cache.py) serves what a fresh computation gives, after every kind of
write: a form's service, the admin, a queryset.update(), raw SQL, a bulk insert, a delete, a
person's name and roles, a write from another connection. On PostgreSQL, in committed transactions
(the triggers run as a transaction commits), with the cache on; SQLite computes every time."""

from __future__ import annotations

import re
import threading

import pytest
from celery.schedules import crontab
from django.contrib.auth.models import Group
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import figures_cache
from core.roles import Role
from core.tasks import prune_generations
from feedback.models import FeedbackResponse
from programmes.models import Cohort, Enrolment, HuddleBoard, HuddleCheckIn, Session, Team
from programmes.services.scheduling import session_record_held
from qms_site.celery import app as celery_app
from tests import factories
from tests.helpers import admin_change

pytestmark = pytest.mark.django_db(transaction=True)

CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+"')


@pytest.fixture
def cache_on(settings):
    if connection.vendor != "postgresql":
        pytest.skip("the figures cache is PostgreSQL's: SQLite computes every view (the last test)")
    settings.QMS_FIGURES_CACHE = True


def _pages(personas) -> list[tuple[str, str]]:
    """(username, address) of every page that keeps figures, for each person who may read it."""
    cohort = personas.enrolment.cohort_id
    pages = [(reverse("dashboards:progress"), ("manager", "lead", "coach", "other_coach"))]
    pages += [(reverse("dashboards:progress") + "?sort=-adoption&status=active", ("lead",))]
    # Filters that are not among the choices: ignored, and said so, from the cache as afresh.
    pages += [(reverse("dashboards:progress") + "?site=999999&cohort=x&sort=nonsense&page=9", ("lead", "coach"))]
    for name in ("dashboards:aim",):
        pages.append((reverse(name), ("manager", "lead")))
    for name in ("dashboards:cohort", "dashboards:cohort_report", "programmes:cohort"):
        pages.append((reverse(name, args=[cohort]), ("manager", "lead")))
    team = reverse("programmes:team", args=[personas.enrolment.team_id])
    pages.append((team, ("manager", "lead", "coach", "other_coach")))  # another coach: not found
    pages.append((reverse("coaching:my_teams"), ("manager", "coach", "other_coach")))
    return [(who, url) for url, people in pages for who in people]


def _clients(personas) -> dict[str, Client]:
    clients = {}
    for who in ("manager", "lead", "coach", "other_coach"):
        clients[who] = Client()
        clients[who].force_login(getattr(personas, who))
    return clients


def _read(clients, who: str, url: str) -> tuple[int, str]:
    response = clients[who].get(url)
    return response.status_code, CSRF.sub(r'\1"', response.content.decode())


def _assert_fresh(clients, personas, settings) -> None:
    """Every page, read twice with the cache (the second from it), is what the fresh computation gives."""
    for who, url in _pages(personas):
        kept_first = _read(clients, who, url)
        kept_again = _read(clients, who, url)
        settings.QMS_FIGURES_CACHE = False
        fresh = _read(clients, who, url)
        settings.QMS_FIGURES_CACHE = True
        assert kept_first == fresh, (who, url)
        assert kept_again == fresh, (who, url)


def test_every_watched_table_has_both_triggers(cache_on):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname IN (%s, %s)",
            [figures_cache.TRIGGER, figures_cache.DIRTY_TRIGGER],
        )
        found = {(table, name) for table, name in cursor.fetchall()}
    tables = [table for table, _ in figures_cache.watched_tables()]
    assert {"programmes_session", "checklists_toolrating", "feedback_feedbackresponse", "auth_user_groups"} <= set(
        tables
    )
    for table in tables:
        assert (table, figures_cache.TRIGGER) in found, table
        assert (table, figures_cache.DIRTY_TRIGGER) in found, table
    assert not any(table in ("django_session", "core_usersession", "qms_cache") for table in tables)


def test_a_commit_changes_the_generation_and_a_read_or_a_login_does_not(cache_on, personas, client):
    factories.TeamFactory()  # a first write gives a token
    before = figures_cache.generation()
    assert before is not None
    list(Session.objects.all())
    login = client.post(reverse("login"), {"username": "lead", "password": factories.DEFAULT_PASSWORD})
    assert login.status_code == 302  # it wrote last_login, a session and its row
    assert figures_cache.generation() == before
    Team.objects.filter(pk=personas.enrolment.team_id).update(name="Renamed")
    after = figures_cache.generation()
    assert after not in (None, before)


def test_inside_a_transaction_that_wrote_nothing_is_kept(cache_on, personas):
    factories.TeamFactory()
    calls = []
    with transaction.atomic():
        assert figures_cache.generation() is not None  # no write yet
        Team.objects.filter(pk=personas.enrolment.team_id).update(name="Not yet committed")
        assert figures_cache.generation() is None
        assert figures_cache.kept("t", (), lambda: calls.append(1) or "x") == "x"
        assert figures_cache.kept("t", (), lambda: calls.append(1) or "x") == "x"
    assert calls == [1, 1]


def test_kept_reads_the_cache_until_a_write_from_another_connection(cache_on, personas):
    factories.TeamFactory()
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert figures_cache.kept("count", (1,), compute) == 1
    assert figures_cache.kept("count", (1,), compute) == 1
    assert figures_cache.kept("count", (2,), compute) == 2  # other parts: computed

    def write_elsewhere():
        try:
            Team.objects.filter(pk=personas.enrolment.team_id).update(name="Written by another process")
        finally:
            connections.close_all()

    thread = threading.Thread(target=write_elsewhere)
    thread.start()
    thread.join()
    assert figures_cache.kept("count", (1,), compute) == 3


def test_the_nightly_prune_deletes_only_the_rows_of_ended_server_processes(cache_on, personas):
    """Each connection that commits a write leaves a row; the nightly task (beat, 03:30) deletes
    those of processes that have ended and keeps the live ones', and the generation moves on."""
    factories.TeamFactory()
    ended = 2_000_000_000  # above any process id the system hands out: a process long gone
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {figures_cache.TABLE} (pid, token) VALUES (%s, 'left behind')", [ended])  # noqa: S608
    wrote, finish = threading.Event(), threading.Event()
    live = []

    def write_and_stay_connected():
        try:
            Team.objects.filter(pk=personas.enrolment.team_id).update(name="Written by a live process")
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                live.append(cursor.fetchone()[0])
            wrote.set()
            finish.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=write_and_stay_connected)
    thread.start()
    try:
        assert wrote.wait(timeout=30)
        before = figures_cache.generation()
        # At least the row left behind; an earlier test's connection may have ended since too.
        assert prune_generations.apply().get() >= 1
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT pid FROM {figures_cache.TABLE}")  # noqa: S608
            pids = {pid for (pid,) in cursor.fetchall()}
            cursor.execute("SELECT pg_backend_pid()")
            mine = cursor.fetchone()[0]
        assert ended not in pids
        assert {mine, live[0]} <= pids
        assert figures_cache.generation() not in (None, before)
        prune_generations.apply().get()  # twice: the live processes' rows are still kept
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT pid FROM {figures_cache.TABLE}")  # noqa: S608
            assert {mine, live[0]} <= {pid for (pid,) in cursor.fetchall()}
    finally:
        finish.set()
        thread.join()


def test_beat_prunes_the_generation_rows_nightly_at_a_quiet_hour():
    entry = celery_app.conf.beat_schedule["nightly-generation-prune"]
    assert entry["task"] == prune_generations.name == "core.prune_generations"
    assert entry["schedule"] == crontab(hour=3, minute=30)
    assert "core.prune_generations" in celery_app.tasks  # a worker finds it (autodiscovery of core.tasks)


def test_a_page_read_from_the_cache_costs_fewer_queries(cache_on, personas):
    factories.TeamFactory()
    clients = _clients(personas)
    url = reverse("dashboards:aim")
    with CaptureQueriesContext(connection) as first:
        assert clients["lead"].get(url).status_code == 200
    with CaptureQueriesContext(connection) as again:
        assert clients["lead"].get(url).status_code == 200
    assert len(again) < len(first) - 3


def test_pages_equal_a_fresh_computation_after_every_kind_of_write(cache_on, personas, settings):
    clients = _clients(personas)
    enrolment, other = personas.enrolment, personas.other_enrolment
    today = timezone.localdate()
    _assert_fresh(clients, personas, settings)

    # A form's service: session 1 held, which starts the enrolment and moves its stored progress.
    session = enrolment.sessions.order_by("plan__number").first()
    session_record_held(
        session=session, version=session.version, held_on=enrolment.session1_date, attendees=9, notes="", today=today
    )
    _assert_fresh(clients, personas, settings)

    # A checklist with a rating, and feedback answers.
    rating = factories.ToolRatingFactory(checklist__session=session, checklist__coach=personas.coach)
    link = factories.FeedbackLinkFactory(session=session)
    for _ in range(6):
        factories.FeedbackResponseFactory(link=link, submitted_on=enrolment.session1_date)
    _assert_fresh(clients, personas, settings)

    # The admin: a team renamed, a session's attendees changed.
    admin = Client()
    admin.force_login(factories.UserFactory(username="root", is_staff=True, is_superuser=True))
    team = enrolment.team
    admin_change(admin, Team, team.pk, name="Renamed in the admin")
    admin_change(admin, Session, session.pk, attendees=12)
    assert Team.objects.get(pk=team.pk).name == "Renamed in the admin"
    _assert_fresh(clients, personas, settings)

    # A queryset.update(), raw SQL and a bulk insert: no signal at all.
    FeedbackResponse.objects.filter(link=link).update(could_improve="no")
    Cohort.objects.filter(pk=enrolment.cohort_id).update(name="Renamed by update()")
    _assert_fresh(clients, personas, settings)
    Team.objects.filter(pk=team.pk).update(name="Team renamed by update()")  # no history row either
    with connection.cursor() as cursor:
        cursor.execute("UPDATE checklists_toolrating SET level = 0 WHERE id = %s", [rating.pk])
    board = HuddleBoard.objects.create(team=team)
    HuddleCheckIn.objects.bulk_create([HuddleCheckIn(team=team, held_on=today)])
    assert board.pk
    _assert_fresh(clients, personas, settings)

    # A person's name, and their roles: the lead loses theirs (the pages refuse them).
    personas.coach.first_name = "Cordelia"
    personas.coach.save()
    personas.lead.groups.remove(Group.objects.get(name=Role.LEAD))
    _assert_fresh(clients, personas, settings)
    assert _read(clients, "lead", reverse("dashboards:aim"))[0] == 403

    # A delete, cascading to the team's sessions.
    Enrolment.objects.filter(pk=other.pk).delete()
    _assert_fresh(clients, personas, settings)


def test_sqlite_and_the_setting_off_compute_every_time(settings, personas):
    settings.QMS_FIGURES_CACHE = connection.vendor != "postgresql"  # on for SQLite, off for PostgreSQL
    factories.TeamFactory()
    calls = []
    figures_cache.kept("n", (), lambda: calls.append(1))
    figures_cache.kept("n", (), lambda: calls.append(1))
    assert calls == [1, 1]
