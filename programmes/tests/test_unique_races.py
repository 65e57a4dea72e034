"""Two managers saving the same new thing at the same moment (the same team into a cohort, the same
team, cohort or tool name, the same programme version): the one who loses gets the form error they
would have got a moment later, never a 500, and exactly one row is saved.

Each race runs two real requests in two threads, each with its own PostgreSQL connection, and
makes both pass the service's check before either row is there, every time. Either the test holds
a row lock that the first insert's (deferred) foreign-key check needs at commit: the first request
waits at its commit, the second on the first's unique row. Or, for rows with nothing to lock, the
test itself inserts the same row without committing: both requests wait on it. The test commits
once both requests are waiting.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from checklists.models import Tool
from conftest import skip_unless_postgresql
from programmes.models import Cohort, Enrolment, ProgrammeTemplate, Session, Site, Team, TemplateStatus
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_SECONDS = 20


@pytest.fixture(autouse=True)
def _postgresql():
    skip_unless_postgresql()


def _waiting(pids: list[int]) -> int:
    """How many of these connections are waiting for a lock now."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted AND pid = ANY(%s)", [pids])
        return cursor.fetchone()[0]


def locked(instance) -> Callable[[], None]:
    """Holds the row locked (FOR UPDATE) in the test's transaction."""
    return lambda: type(instance).objects.select_for_update().get(pk=instance.pk)


def inserted(model, **fields) -> Callable[[], None]:
    """Inserts a row in the test's transaction, not committed until both requests wait on it."""
    return lambda: model.objects.create(**fields)


def post_twice_at_once(*, user, url: str, data: dict, hold: Callable[[], None]) -> list:
    """Posts `data` to `url` from two browsers at once while the test's own transaction, after
    hold(), keeps them waiting; returns the two responses, in the order they were sent."""
    responses: list = [None, None]
    errors: list[BaseException] = []
    pids: list[int] = []
    ready = threading.Barrier(3, timeout=WAIT_SECONDS)

    def post(i: int) -> None:
        try:
            client = Client()
            client.force_login(user)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids.append(cursor.fetchone()[0])
            ready.wait()
            responses[i] = client.post(url, data)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    with transaction.atomic():
        hold()
        for thread in threads:
            thread.start()
        ready.wait()
        deadline = time.monotonic() + WAIT_SECONDS
        while _waiting(pids) < 2 and not errors:
            assert time.monotonic() < deadline, "the two requests never both waited"
            time.sleep(0.01)  # a lock wait between two other connections: nothing to be told of
    for thread in threads:
        thread.join(timeout=WAIT_SECONDS)
    assert errors == []
    return responses


def _outcome(responses: list, form: str = "form") -> tuple[list[int], list[str]]:
    """The status codes in order, and the errors of the forms that came back."""
    codes = sorted(r.status_code for r in responses)
    refused = [r for r in responses if r.status_code == 200]
    errors = [e for r in refused for errs in r.context[form].errors.values() for e in errs]
    return codes, errors


def test_two_managers_enrolling_the_same_team_at_once_get_one_enrolment_and_one_form_error():
    manager = factories.ManagerFactory()
    cohort = factories.CohortFactory(name="Autumn cohort", owner=manager)
    team = factories.TeamFactory(name="Education support team")
    url = reverse("programmes:enrolment_create", args=[cohort.pk])

    responses = post_twice_at_once(
        user=manager,
        url=url,
        data={"team": team.pk, "coach": "", "session1_date": "2026-12-07", "confirm": "on"},
        hold=locked(cohort),
    )

    enrolment = Enrolment.objects.get(cohort=cohort, team=team)
    assert _outcome(responses) == ([200, 302], ["Education support team is already enrolled in Autumn cohort."])
    assert [r["Location"] for r in responses if r.status_code == 302] == [
        reverse("programmes:enrolment", args=[enrolment.pk])
    ]
    assert Session.objects.filter(enrolment__cohort=cohort).count() == cohort.template.plans.count() == 10


def test_enrolling_a_team_while_another_manager_enrols_it_elsewhere_is_the_form_error_not_a_500():
    """The check passes (the other enrolment is not committed yet); the partial unique constraint
    (programmes_enrolment_one_current_per_team) refuses the insert; the check, run again, says why."""
    manager = factories.ManagerFactory()
    autumn = factories.CohortFactory(name="Autumn cohort", owner=manager)
    winter = factories.CohortFactory(name="Winter cohort", owner=manager)
    team = factories.TeamFactory(name="Education support team")
    coach = factories.CoachFactory(first_name="Cara", last_name="Coach")
    elsewhere = inserted(
        Enrolment, team=team, cohort=autumn, coach=coach, session1_date=dt.date(2026, 12, 7), status="planned"
    )

    responses = post_twice_at_once(
        user=manager,
        url=reverse("programmes:enrolment_create", args=[winter.pk]),
        data={"team": team.pk, "coach": "", "session1_date": "2026-12-08", "confirm": "on"},
        hold=elsewhere,
    )

    message = (
        "Education support team is already planned in Autumn cohort, coached by Cara Coach. A team is in one "
        "cohort at a time: the manager must withdraw it from Autumn cohort first (or mark it completed there)."
    )
    assert _outcome(responses) == ([200, 200], [message, message])
    assert list(Enrolment.objects.filter(team=team).values_list("cohort__name", flat=True)) == ["Autumn cohort"]
    assert Session.objects.filter(enrolment__cohort=winter).count() == 0


def test_two_managers_creating_the_same_team_at_once_get_one_team_and_one_form_error():
    manager = factories.ManagerFactory()
    site = factories.SiteFactory(code="RSH")
    data = {"name": "Pharmacy", "site": site.pk, "department": "", "improvement_board": "none", "board_location": ""}

    responses = post_twice_at_once(user=manager, url=reverse("programmes:team_create"), data=data, hold=locked(site))

    assert _outcome(responses) == ([200, 302], ["Team with this Site and Name already exists."])
    assert list(Team.objects.filter(site=site).values_list("name", flat=True)) == ["Pharmacy"]
    assert Site.objects.count() == 1


def test_two_managers_creating_the_same_cohort_at_once_get_one_cohort_and_one_form_error():
    manager = factories.ManagerFactory()
    template = ProgrammeTemplate.objects.get(name="QMS programme", version="0.9")
    data = {
        "name": "Spring cohort",
        "template": template.pk,
        "owner": manager.pk,
        "start_date": "2027-03-01",
        "target_end_date": "2027-06-30",
    }

    responses = post_twice_at_once(
        user=manager, url=reverse("programmes:cohort_create"), data=data, hold=locked(template)
    )

    assert _outcome(responses) == ([200, 302], ["Cohort with this Name already exists."])
    assert list(Cohort.objects.values_list("name", flat=True)) == ["Spring cohort"]


def test_two_managers_adding_the_same_tool_at_once_get_one_tool_and_form_errors():
    manager = factories.ManagerFactory()
    data = {"name": "Huddle board", "order": "10", "description": "", "active": "on"}

    responses = post_twice_at_once(
        user=manager, url=reverse("checklists:tool_add"), data=data, hold=inserted(Tool, name="Huddle board", order=9)
    )

    assert _outcome(responses) == ([200, 200], ["There is already a tool called Huddle board."] * 2)
    assert list(Tool.objects.filter(name="Huddle board").values_list("order", flat=True)) == [9]


def test_two_managers_drafting_the_same_version_at_once_get_one_version_and_form_errors():
    manager = factories.ManagerFactory()
    source = ProgrammeTemplate.objects.get(name="QMS programme", version="0.9")
    same = {"name": "QMS programme", "version": "1.0", "status": TemplateStatus.PUBLISHED}

    responses = post_twice_at_once(
        user=manager,
        url=reverse("programmes:version_draft"),
        data={"source": source.pk, "version": "1.0"},
        hold=inserted(ProgrammeTemplate, **same, published_on=source.published_on),
    )

    assert _outcome(responses, form="draft_form") == ([200, 200], ["QMS programme already has a version 1.0."] * 2)
    assert ProgrammeTemplate.objects.filter(name="QMS programme", version="1.0").count() == 1
    assert not ProgrammeTemplate.objects.filter(status=TemplateStatus.DRAFT).exists()
