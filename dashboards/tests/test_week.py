"""A coach's week (dashboards.week and /dashboard/week/): this week's and next week's sessions
across all their teams, with what each needs, and its panel at the top of My teams.

Today is Wednesday 19 November 2025, 10:00 London (conftest's `today`): this week is Monday 17 to
Sunday 23 November, next week Monday 24 to Sunday 30 November. With session 1 on 22 September,
session 5 is due on 10 November, 6 on 24 November and 7 on 8 December.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertInHTML, assertNotContains

from conftest import PERSONAS
from dashboards.week import coach_week
from programmes.models import EnrolmentStatus, Session
from tests import factories
from tests.helpers import LOGIN_URL

from .conftest import NOW, TODAY
from .helpers import LONDON, agree, checklist, hold, session

URL = "/dashboard/week/"
pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


def set_start(s: Session, start: dt.datetime | None) -> None:
    Session.objects.filter(pk=s.pk).update(agreed_start=start)


@pytest.fixture
def week(personas, today):
    """The coach's three teams and a withdrawn one; the other coach's team has sessions this week too.

    - Education support team: 1-4 held, slots agreed; 5 agreed for today 09:00 (passed, not held);
      6 agreed for Monday 24 November 09:00.
    - Ward team: session 1 on Monday 17 November, held, slots not agreed, its feedback link open;
      session 2 due 24 November with no time.
    - Library team: 1-4 held, slots agreed; 5 held late on Tuesday 18 November, no checklist yet,
      no feedback link; 6 (due 24 November) cancelled.
    """
    coach = personas.coach
    education = personas.enrolment
    for number in (1, 2, 3, 4):
        hold(education, number)
    agree(education)
    set_start(session(education, 5), at(TODAY, 9))
    set_start(session(education, 6), at(dt.date(2025, 11, 24), 9))

    ward = factories.EnrolmentFactory(
        cohort=education.cohort, coach=coach, team__name="Ward team", session1_date=dt.date(2025, 11, 17)
    )
    factories.make_sessions(ward)
    factories.FeedbackLinkFactory(session=hold(ward, 1), is_open=True)

    library = factories.EnrolmentFactory(cohort=education.cohort, coach=coach, team__name="Library team")
    factories.make_sessions(library)
    for number in (1, 2, 3, 4):
        hold(library, number)
    agree(library)
    hold(library, 5, held_on=dt.date(2025, 11, 18))
    Session.objects.filter(pk=session(library, 6).pk).update(cancelled=True, cancelled_reason="Ward closed")

    withdrawn = factories.EnrolmentFactory(
        cohort=education.cohort, coach=coach, team__name="Withdrawn team", status=EnrolmentStatus.WITHDRAWN
    )
    factories.make_sessions(withdrawn)
    return personas


def summary(result) -> list[list[tuple]]:
    return [
        [
            (
                row.team.name,
                row.session.number,
                row.day,
                row.start,
                row.status.value,
                row.agree_slots,
                row.record,
                row.checklist,
                row.feedback,
            )
            for row in part.rows
        ]
        for part in result.weeks
    ]


def test_coach_week_lists_both_weeks_with_what_each_session_needs(week):
    result = coach_week(coach=week.coach, today=TODAY, now=NOW)
    monday = dt.date(2025, 11, 24)
    assert [(p.label, p.first_day, p.last_day) for p in result.weeks] == [
        ("This week", dt.date(2025, 11, 17), dt.date(2025, 11, 23)),
        ("Next week", monday, dt.date(2025, 11, 30)),
    ]
    #  team, session, day, start, status, agree slots, record, checklist, feedback link
    assert summary(result) == [
        [
            ("Ward team", 1, dt.date(2025, 11, 17), None, "held", True, False, False, True),
            ("Library team", 5, dt.date(2025, 11, 18), None, "held", False, False, True, True),
            ("Education support team", 5, TODAY, at(TODAY, 9), "scheduled", False, True, False, True),
        ],
        [
            ("Education support team", 6, monday, at(monday, 9), "scheduled", False, False, False, False),
            ("Library team", 6, monday, None, "cancelled", False, False, False, False),
            ("Ward team", 2, monday, None, "planned", True, False, False, False),
        ],
    ]
    assert [row.feedback_link_open for row in result.weeks[0].rows] == [True, False, False]


@pytest.mark.parametrize(("hour", "record"), [(9, True), (10, True), (15, False)])
def test_coach_week_records_a_session_once_its_start_has_passed(personas, today, hour, record):
    s = session(personas.enrolment, 5)
    set_start(s, at(TODAY, hour))
    (row,) = coach_week(coach=personas.coach, today=TODAY, now=NOW).weeks[0].rows
    assert (row.record, row.feedback) == (record, True)  # today: the feedback link is offered either way


def test_coach_week_a_due_session_needs_recording_from_its_due_date(personas, time_machine):
    """No agreed time: listed on its due date, and to record from that day."""
    due = session(personas.enrolment, 6).due_date  # Monday 24 November
    for day, record in ((due - dt.timedelta(days=1), False), (due, True)):
        now = at(day, 12)
        (row,) = coach_week(coach=personas.coach, today=day, now=now).rows
        assert (row.session.number, row.start, row.day, row.record) == (6, None, due, record)


def test_coach_week_held_session_with_a_checklist_and_closed_link_needs_nothing(personas, today):
    education = personas.enrolment
    s = hold(education, 5, held_on=dt.date(2025, 11, 18))
    checklist(s, 2)
    factories.FeedbackLinkFactory(session=s, is_open=False)
    (row,) = coach_week(coach=personas.coach, today=TODAY, now=NOW).weeks[0].rows
    assert (row.session.number, row.checklist, row.feedback, row.needs_something) == (5, False, False, False)


def test_coach_week_takes_the_london_date_of_the_agreed_start_at_the_edges(personas, today):
    """The last minute of Sunday 30 November is in; midnight on Monday 1 December is not; nor is the
    last minute of Sunday 16 November. (GMT in November; the rule is the same in summer time.)"""
    s5, s6, s7 = (session(personas.enrolment, n) for n in (5, 6, 7))
    set_start(s5, at(dt.date(2025, 11, 16), 23, 59))
    set_start(s6, at(dt.date(2025, 11, 30), 23, 59))
    set_start(s7, at(dt.date(2025, 12, 1), 0, 0))
    rows = coach_week(coach=personas.coach, today=TODAY, now=NOW).rows
    assert [(r.session.number, r.day) for r in rows] == [(6, dt.date(2025, 11, 30))]


def test_coach_week_in_summer_time_uses_the_london_date(personas):
    """At 00:30 BST on Monday 31 March 2025 it is still Sunday in UTC: the session is in that week."""
    s = session(personas.enrolment, 5)
    set_start(s, at(dt.date(2025, 3, 31), 0, 30))
    today = dt.date(2025, 3, 31)
    rows = coach_week(coach=personas.coach, today=today, now=at(today, 0, 0)).weeks[0].rows
    assert [(r.session.number, r.day, r.start.hour) for r in rows] == [(5, today, 0)]


def test_coach_week_query_count_does_not_grow_with_teams(personas, today, django_assert_num_queries):
    def count() -> int:
        with django_assert_num_queries(1):  # the sessions with everything each row reads
            result = coach_week(coach=personas.coach, today=TODAY, now=NOW)
            return len(summary(result)[0] + summary(result)[1])

    assert count() == 1  # Education support team's session 6, due 24 November
    for n in range(5):
        enrolment = factories.EnrolmentFactory(
            cohort=personas.enrolment.cohort, coach=personas.coach, session1_date=dt.date(2025, 11, 17)
        )
        factories.make_sessions(enrolment)
        if n % 2:
            factories.FeedbackLinkFactory(session=hold(enrolment, 1))
            agree(enrolment)
    assert count() == 1 + 5 * 2


# --- The page ----------------------------------------------------------------------------------

WEEK_PAGE = {"manager": 200, "coach": 200, "other_coach": 200, "lead": 403, "no_role": 403}


@pytest.mark.parametrize("persona", [*PERSONAS, "no_role"])
def test_week_page_permissions_for_every_persona(login, week, persona):
    client = login(persona, week)
    response = client.get(URL)
    if persona == "anonymous":
        assert (response.status_code, response["Location"]) == (302, f"{LOGIN_URL}?next={URL}")
        return
    assert response.status_code == WEEK_PAGE[persona]
    if persona == "coach":
        assertContains(response, "Ward team")
        assertNotContains(response, "Pharmacy team")
    if persona == "other_coach":
        assertContains(response, "Pharmacy team")
        assertNotContains(response, "Ward team")
    if persona == "manager":  # their own week by default: they coach no one
        assertNotContains(response, "Ward team")
        assertNotContains(response, "Pharmacy team")


def test_week_page_shows_each_row_with_its_links(login, week):
    response = login("coach", week).get(URL)
    ward_1 = session(week.enrolment.cohort.enrolments.get(team__name="Ward team"), 1)
    ward = ward_1.enrolment
    library_5 = session(week.enrolment.cohort.enrolments.get(team__name="Library team"), 5)
    education_5 = session(week.enrolment, 5)
    html = response.content.decode()
    assertContains(response, '<h1 class="h2 mb-0">My week</h1>', html=True)
    assertInHTML(
        f"""<tr><td class="text-nowrap"><time datetime="2025-11-17">Mon 17 Nov</time></td>
        <th scope="row"><a href="/programmes/enrolments/{ward.pk}/">Ward team</a> ({ward.team.site.code})</th>
        <td><a href="/programmes/sessions/{ward_1.pk}/">1. {ward_1.plan.title}</a></td>
        <td><span class="badge text-bg-success">Held</span></td>
        <td><ul class="list-inline mb-0 week-needs">
          <li class="list-inline-item text-nowrap"><a href="/coaching/enrolments/{ward.pk}/agreement/">
            Agree slots</a></li>
          <li class="list-inline-item text-nowrap"><a href="/feedback/session/{ward_1.pk}/poster/">
            Feedback link</a></li>
        </ul></td></tr>""",
        html,
    )
    assertInHTML(
        f"""<ul class="list-inline mb-0 week-needs">
          <li class="list-inline-item text-nowrap"><a href="/checklists/session/{library_5.pk}/">Checklist</a></li>
          <li class="list-inline-item text-nowrap"><a href="/feedback/session/{library_5.pk}/">Feedback link</a></li>
        </ul>""",
        html,
    )
    assertInHTML(
        """<td class="text-nowrap"><time datetime="2025-11-19T09:00:00+00:00">Wed 19 Nov, 09:00</time></td>""",
        html,
    )
    assertInHTML(
        f"""<ul class="list-inline mb-0 week-needs">
          <li class="list-inline-item text-nowrap"><a href="/programmes/sessions/{education_5.pk}/held/">Record</a></li>
          <li class="list-inline-item text-nowrap"><a href="/feedback/session/{education_5.pk}/">Feedback link</a></li>
        </ul>""",
        html,
    )
    assertContains(response, f'<a href="/coaching/enrolments/{ward.pk}/agreement/">Agree slots</a>', count=2)
    assertContains(response, "Nothing yet", count=2)  # Education support team's 6 and Library team's cancelled 6
    assertContains(response, '<button type="button" class="btn btn-outline-primary" data-print hidden>')
    assertContains(response, '<link rel="stylesheet" href="/static/dashboards/week.css">', html=True)
    assertNotContains(response, "Withdrawn team")
    assertNotContains(response, 'name="coach"')  # only managers choose a coach


def test_week_page_manager_sees_a_coachs_week(login, week):
    response = login("manager", week).get(URL, {"coach": week.coach.pk})
    assert response.status_code == 200
    assertContains(response, "Cara Coach's week")
    assertContains(response, "Ward team")
    assertContains(response, f'<option value="{week.coach.pk}" selected>Cara Coach</option>', html=True)
    response = login("manager", week).get(URL, {"coach": ""})  # "My own week"
    assert (response.status_code, response.context["coach"]) == (200, week.manager)


@pytest.mark.parametrize("value", ["lead", "no_role", "not-a-number", "999999"])
def test_week_page_manager_bad_coach_is_a_form_error(login, week, value):
    coach = str(getattr(week, value).pk) if value in ("lead", "no_role") else value
    response = login("manager", week).get(URL, {"coach": coach})
    assert response.status_code == 400
    assertContains(response, "That is not one of the coaches.", status_code=400)
    assertContains(response, 'aria-describedby="coach-error"', status_code=400)
    assertNotContains(response, "<table", status_code=400)


def test_week_page_coach_cannot_see_another_coachs_week(login, week):
    client = login("coach", week)
    assert client.get(URL, {"coach": week.other_coach.pk}).status_code == 404
    assert client.get(URL, {"coach": "x"}).status_code == 404
    assert client.get(URL, {"coach": week.coach.pk}).status_code == 200


def test_week_page_refuses_posts(login, week):
    assert login("coach", week).post(URL).status_code == 405


def test_week_page_query_count_does_not_grow_with_teams(client, personas, today, django_assert_num_queries):
    client.force_login(personas.coach)
    # 1 session, 2 user, 3 the user's groups, 4 the week's sessions.
    with django_assert_num_queries(4):
        assert client.get(URL).status_code == 200
    for _ in range(4):
        enrolment = factories.EnrolmentFactory(
            cohort=personas.enrolment.cohort, coach=personas.coach, session1_date=dt.date(2025, 11, 17)
        )
        factories.make_sessions(enrolment)
        factories.FeedbackLinkFactory(session=hold(enrolment, 1))
    with django_assert_num_queries(4):
        response = client.get(URL)
    assert len(response.context["week"].rows) == 1 + 4 * 2


def test_week_nav_link_for_coaches(login, week):
    response = login("coach", week).get(URL)
    assertContains(
        response,
        '<li class="nav-item"><a class="nav-link active" href="/dashboard/week/" aria-current="page">My week</a></li>',
        html=True,
    )
    response = login("lead", week).get(reverse("programmes:cohorts"))
    assertNotContains(response, "My week")


# --- The panel at the top of My teams ----------------------------------------------------------


def test_my_teams_shows_the_week_at_the_top(login, week):
    response = login("coach", week).get(reverse("coaching:my_teams"))
    html = response.content.decode()
    assert html.index("This week and next") < html.index("Teams with overdue sessions come first")
    education_5 = session(week.enrolment, 5)
    assertInHTML(
        f"""<li><time datetime="2025-11-19T09:00:00+00:00">Wed 19 Nov, 09:00</time>: Education support team
        ({week.enrolment.team.site.code}), session 5 <span class="badge text-bg-primary">Scheduled</span> —
        <ul class="list-inline mb-0 week-needs d-inline">
          <li class="list-inline-item text-nowrap"><a href="/programmes/sessions/{education_5.pk}/held/">Record</a></li>
          <li class="list-inline-item text-nowrap"><a href="/feedback/session/{education_5.pk}/">Feedback link</a></li>
        </ul></li>""",
        html,
    )
    assertContains(response, '<a href="/dashboard/week/">Open my week to print it</a>', html=True)
    assertNotContains(response, "Pharmacy team")


def test_my_teams_without_teams_has_no_week_panel(client, today):
    coach = factories.CoachFactory()
    client.force_login(coach)
    response = client.get(reverse("coaching:my_teams"))
    assertNotContains(response, "This week and next")
