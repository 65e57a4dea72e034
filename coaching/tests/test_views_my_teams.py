"""My teams: a coach's teams, overdue first, with what needs doing and their calendar feed.

"Today" is Monday 10 November 2025, seven weeks after session 1 on 22 September 2025.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertInHTML, assertNotContains

from coaching.models import CalendarFeed
from coaching.services import calendar_feed_for_coach
from programmes.models import EnrolmentStatus, Session
from tests import factories

NOW = dt.datetime(2025, 11, 10, 9, 0, tzinfo=ZoneInfo("Europe/London"))
URL = "/coaching/my-teams/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(NOW, tick=False)


def enrol(coach, name: str, *, held_up_to: int, session1: dt.date = dt.date(2025, 9, 22), **extra):
    enrolment = factories.EnrolmentFactory(coach=coach, team__name=name, session1_date=session1, **extra)
    sessions = factories.make_sessions(enrolment)
    held = [s for s in sessions if s.number <= held_up_to]
    for s in held:
        s.held_on = s.due_date
    Session.objects.bulk_update(held, ["held_on"])
    return enrolment


@pytest.fixture
def coach():
    return factories.CoachFactory(username="cara", first_name="Cara", last_name="Coach")


def test_my_teams_lists_overdue_first_then_slots_to_agree(client, coach):
    on_track = enrol(coach, "On track", held_up_to=1, session1=dt.date(2025, 11, 3))
    factories.CoachingAgreementFactory(enrolment=on_track)
    slots = enrol(coach, "Slots to agree", held_up_to=1, session1=dt.date(2025, 11, 3))
    overdue = enrol(coach, "Overdue team", held_up_to=2)  # session 3 due 13 Oct: 21 days overdue after the grace
    factories.CoachingAgreementFactory(enrolment=overdue)
    finished = enrol(coach, "Finished team", held_up_to=10, status=EnrolmentStatus.COMPLETED)
    enrol(factories.CoachFactory(), "Someone else's team", held_up_to=0)
    client.force_login(coach)

    response = client.get(URL)

    rows = response.context["rows"]
    assert [r.enrolment for r in rows] == [overdue, slots, on_track, finished]
    assert [r.slots_to_agree for r in rows] == [False, True, False, False]
    assertNotContains(response, "Someone else")
    session_3 = overdue.sessions.get(number=3)
    assertInHTML(
        f"""<li><a href="/programmes/sessions/{session_3.pk}/held/">Record session 3 as held</a>,
        or <a href="/programmes/sessions/{session_3.pk}/move/">move it</a></li>""",
        response.content.decode(),
    )
    assertInHTML(
        f"""<li><span class="badge text-bg-warning">Not agreed</span>
        <a href="/coaching/enrolments/{slots.pk}/agreement/">Agree the coaching slots</a></li>""",
        response.content.decode(),
    )
    assertContains(response, "Overdue by 21 days", count=1)
    assertContains(response, "None: completed")


def test_my_teams_shows_the_agreed_time_of_the_next_session(client, coach):
    enrolment = enrol(coach, "Agreed team", held_up_to=4)
    session_5 = enrolment.sessions.get(number=5)
    Session.objects.filter(pk=session_5.pk).update(agreed_start=dt.datetime(2025, 11, 11, 9, 0, tzinfo=NOW.tzinfo))
    factories.CoachingAgreementFactory(enrolment=enrolment)
    client.force_login(coach)
    response = client.get(URL)
    assertContains(
        response,
        f'<a href="/programmes/sessions/{session_5.pk}/">Session 5</a>: '
        '<time datetime="2025-11-11T09:00:00+00:00">Tue 11 Nov 2025, 09:00</time>',
        html=True,
    )


def test_my_teams_shows_the_coachs_calendar_feed_with_copy_and_reset(client, coach):
    client.force_login(coach)
    response = client.get(URL)
    token = CalendarFeed.objects.get(coach=coach).token
    assertContains(
        response,
        f'<input id="feed-url" class="form-control" type="text" readonly '
        f'value="http://testserver/coaching/calendar/{token}.ics">',
        html=True,
    )
    assertContains(response, 'data-copy-target="feed-url"')
    assertContains(response, f'<form method="post" action="{reverse("coaching:calendar_reset")}">')
    assertContains(response, '<script src="/static/coaching/copy.js"></script>', html=True)
    assertContains(response, "You are not coaching any teams yet.")


def test_my_teams_nav_link_is_current_page(client, coach):
    client.force_login(coach)
    response = client.get(URL)
    assertContains(
        response, '<a class="nav-link active" href="/coaching/my-teams/" aria-current="page">My teams</a>', html=True
    )


@pytest.mark.parametrize("teams", [1, 6])
def test_my_teams_query_count_does_not_grow_with_teams(client, django_assert_num_queries, coach, teams):
    for n in range(teams):
        enrolment = enrol(coach, f"Team {n}", held_up_to=n % 4)
        if n % 2:
            factories.CoachingAgreementFactory(enrolment=enrolment)
    calendar_feed_for_coach(coach=coach)
    client.force_login(coach)
    # 1 session, 2 user, 3 the user's groups, 4 enrolments with team, site and cohort, 5 their
    # sessions, 6 their coaching agreements, 7 the last reminder sent about each, 8 this week's and
    # next week's sessions (dashboards' panel), 9 the coach's calendar feed (coaching's panel).
    with django_assert_num_queries(9):
        response = client.get(URL)
    assert len(response.context["rows"]) == teams
