"""The reminder sweep at scale, for `make bench` (demo.management.commands.bench).

bench_sweep() builds a programme of `sessions` sessions with bulk_create, of which a fixed number
of teams need reminders and every other session needs none, times the sweep and counts its SQL
statements. Everything it writes, rows and reminders, is rolled back before it returns, and no
email goes out (the sends wait for a commit that never comes), so it leaves the database as it
found it; still, run it against a throwaway database, as main() does:
`python manage.py shell -c "from demo.bench.reminders import main; main()"`.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from coaching.models import CoachingAgreement
from coaching.services import reminders_sweep
from programmes.models import (
    Cohort,
    Enrolment,
    EnrolmentStatus,
    ProgrammeTemplate,
    Session,
    Site,
    Team,
    TeamMeeting,
)

TODAY = dt.date(2026, 1, 5)
COACHES = 20


class _Rollback(Exception):
    pass


def _build(*, sessions: int, teams_needing: int, today: dt.date) -> int:
    """The programme: returns the number of sessions made. Session 1 was 20 weeks ago for every team.

    Quiet teams (the rest): every session due by today held, later ones with an agreed time and a
    coaching agreement -> no reminder. One in ten quiet teams is withdrawn or completed with sessions
    left unheld -> no reminder either. Teams needing reminders: sessions 7 and 8 not held, both
    overdue beyond the escalation -> 4 reminders each (2 to the coach, 2 to the manager).
    """
    template = ProgrammeTemplate.objects.get(name="QMS programme", version="0.9")
    plans = list(template.plans.order_by("number"))
    users = get_user_model()
    stamp = time.time_ns()
    manager = users.objects.create(username=f"bench-manager-{stamp}", email="manager@bench.invalid")
    coaches = users.objects.bulk_create(
        users(username=f"bench-coach-{stamp}-{i}", email=f"coach{i}@bench.invalid") for i in range(COACHES)
    )
    site = Site.objects.create(code=f"B{stamp % 10**8}", name="Bench hospital")
    cohort = Cohort.objects.create(
        name=f"Bench cohort {stamp}",
        template=template,
        owner=manager,
        start_date=today - dt.timedelta(weeks=20),
        target_end_date=today,
    )
    count = max(sessions // len(plans), teams_needing)
    teams = Team.objects.bulk_create(Team(name=f"Bench team {i}", site=site) for i in range(count))
    session1 = today - dt.timedelta(weeks=20)
    meetings = TeamMeeting.objects.bulk_create(
        TeamMeeting(team=t, name="Huddle", weekday=1, start_time=dt.time(9), first_date=session1) for t in teams
    )
    statuses = [
        EnrolmentStatus.ACTIVE
        if i < teams_needing or i % 10
        else (EnrolmentStatus.WITHDRAWN if i % 20 else EnrolmentStatus.COMPLETED)
        for i in range(count)
    ]
    enrolments = Enrolment.objects.bulk_create(
        Enrolment(team=t, cohort=cohort, coach=coaches[i % COACHES], session1_date=session1, status=statuses[i])
        for i, t in enumerate(teams)
    )
    rows = []
    for i, enrolment in enumerate(enrolments):
        needs = i < teams_needing
        quiet_but_finished = statuses[i] != EnrolmentStatus.ACTIVE
        for plan in plans:
            due = session1 + dt.timedelta(weeks=plan.week_offset)
            held = (
                due <= today and not (needs and plan.number in (7, 8)) and not (quiet_but_finished and plan.number > 3)
            )
            rows.append(
                Session(
                    enrolment=enrolment,
                    plan=plan,
                    number=plan.number,
                    due_date=due,
                    held_on=due if held else None,
                    agreed_start=dt.datetime.combine(due, dt.time(9), tzinfo=dt.UTC),
                )
            )
    Session.objects.bulk_create(rows, batch_size=2000)
    CoachingAgreement.objects.bulk_create(
        CoachingAgreement(
            enrolment=e,
            meeting=m,
            agreed_at=dt.datetime.combine(session1, dt.time(12), tzinfo=dt.UTC),
            agreed_on=session1,
            agreed_by=e.coach,
        )
        for e, m in zip(enrolments, meetings, strict=True)
    )
    return len(rows)


def bench_sweep(*, sessions: int = 20_000, teams_needing: int = 25, runs: int = 5, today: dt.date = TODAY) -> dict:
    """Times reminders_sweep over `sessions` sessions; one JSON-able dict for `make bench`.

    queries: SQL statements of one sweep, SAVEPOINT/RELEASE pairs included (in production each
    batch is its own transaction instead). The same at any `sessions` for the same teams_needing.
    """
    timings: list[float] = []
    queries = reminders = made = 0
    try:
        with transaction.atomic():
            made = _build(sessions=sessions, teams_needing=teams_needing, today=today)
            for _ in range(runs):
                try:
                    with transaction.atomic():
                        with CaptureQueriesContext(connection) as ctx:
                            start = time.perf_counter()
                            result = reminders_sweep(today=today)
                            timings.append((time.perf_counter() - start) * 1000)
                        queries, reminders = len(ctx.captured_queries), len(result.reminders)
                        raise _Rollback  # the next run finds the same work to do
                except _Rollback:
                    pass
            raise _Rollback  # and nothing built here stays
    except _Rollback:
        pass
    return {
        "name": "task:reminder_sweep",
        "rows": made,
        "queries": queries,
        "median_ms": round(statistics.median(timings), 1),
        "reminders": reminders,
    }


def main() -> None:  # pragma: no cover - a tool, run by hand
    """Both scales in a throwaway test database, one JSON line each:
    python manage.py shell -c "from demo.bench.reminders import main; main()"
    """
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        for size in (2_000, 20_000):
            print(json.dumps(bench_sweep(sessions=size)), flush=True)  # noqa: T201
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
