"""The layout, the login page and the home page for each role.

Test data is built here with the ORM rather than with the shared factories, so that this file
stands on its own. "Today" is fixed with time_machine: Monday 10 November 2025, seven weeks
after the test bed's session 1 on 22 September 2025.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.template.loader import render_to_string
from pytest_django.asserts import assertContains, assertInHTML, assertNotContains, assertRedirects

from programmes.models import Cohort, Enrolment, EnrolmentStatus, ProgrammeTemplate, Session, Site, Team
from programmes.selectors import team_row

TODAY = dt.date(2025, 11, 10)
NOW = dt.datetime(2025, 11, 10, 9, 0, tzinfo=ZoneInfo("Europe/London"))
SESSION_1 = dt.date(2025, 9, 22)


@pytest.fixture(autouse=True)
def grace_days(settings):
    # Overdue means more than seven days past due here, whatever the environment says.
    settings.QMS_SESSION_GRACE_DAYS = 7


def make_user(username: str, *groups: str, **extra) -> User:
    user = User.objects.create_user(username=username, password="correct horse", **extra)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


def make_cohort(name: str, *, owner: User, start: dt.date = SESSION_1) -> Cohort:
    return Cohort.objects.create(
        name=name,
        template=ProgrammeTemplate.objects.get(name="QMS programme", version="0.9"),
        owner=owner,
        start_date=start,
        target_end_date=start + dt.timedelta(weeks=12),
    )


def enrol(
    team_name: str,
    *,
    cohort: Cohort,
    coach: User | None,
    session1: dt.date = SESSION_1,
    held_up_to: int = 0,
    site_code: str = "RSH",
    status: str = EnrolmentStatus.ACTIVE,
) -> Enrolment:
    """An enrolment with the default template's ten sessions, the first `held_up_to` held on their due dates."""
    site, _ = Site.objects.get_or_create(code=site_code, defaults={"name": f"{site_code} hospital"})
    team = Team.objects.create(name=team_name, site=site)
    enrolment = Enrolment.objects.create(team=team, cohort=cohort, coach=coach, session1_date=session1, status=status)
    Session.objects.bulk_create(
        Session(
            enrolment=enrolment,
            plan=plan,
            number=plan.number,
            due_date=session1 + dt.timedelta(weeks=plan.week_offset),
            held_on=session1 + dt.timedelta(weeks=plan.week_offset) if plan.number <= held_up_to else None,
        )
        for plan in cohort.template.plans.order_by("number")
    )
    return enrolment


@pytest.fixture
def manager(db) -> User:
    return make_user("manager", "Improvement managers", first_name="Mina", last_name="Patel", is_staff=True)


@pytest.fixture
def cohort(manager) -> Cohort:
    return make_cohort("Autumn 2025 test bed", owner=manager)


# Layout and login


@pytest.mark.django_db
def test_login_page_labels_fields_and_names_the_product(client):
    response = client.get("/accounts/login/")
    assertContains(response, '<html lang="en-GB">')
    assertContains(response, "<title>Log in – QMS Coach</title>")
    assertContains(response, '<a class="skip-link visually-hidden-focusable" href="#main">Skip to main content</a>')
    assertContains(response, '<main id="main" class="container py-4" tabindex="-1">')
    assertContains(response, '<h1 class="h2 mb-4">Log in to QMS Coach</h1>', html=True)
    assertContains(response, 'for="id_username"')
    assertContains(response, 'for="id_password"')
    assertContains(response, 'autocomplete="username"')
    assertContains(response, 'autocomplete="current-password"')
    # No navigation or log out button before logging in.
    assertNotContains(response, "Log out")


@pytest.mark.django_db
def test_login_wrong_password_shows_error(client, manager):
    response = client.post("/accounts/login/", {"username": "manager", "password": "wrong"})
    assert response.status_code == 200
    assertContains(response, "<title>Error: Log in – QMS Coach</title>")
    assertContains(response, "Please enter a correct username and password.")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_right_password_goes_to_next_page(client, manager):
    response = client.post("/accounts/login/", {"username": "manager", "password": "correct horse", "next": "/"})
    assertRedirects(response, "/")


@pytest.mark.django_db
def test_logout_is_a_post_form_with_csrf_token(client, manager):
    client.force_login(manager)
    response = client.get("/")
    assertContains(response, '<form method="post" action="/accounts/logout/" class="logout-form">')
    assertContains(response, 'name="csrfmiddlewaretoken"')
    assertRedirects(client.post("/accounts/logout/"), "/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_base_messages_error_is_an_alert_and_success_is_a_status():
    html = render_to_string(
        "base.html", {"messages": [Message(constants.ERROR, "Not saved"), Message(constants.SUCCESS, "Saved")]}
    )
    assertInHTML('<div class="alert alert-danger" role="alert">Not saved</div>', html)
    assertInHTML('<div class="alert alert-success" role="status">Saved</div>', html)


# Navigation by role


@pytest.mark.django_db
def test_navigation_manager_sees_admin_link_and_own_name(client, manager):
    client.force_login(manager)
    response = client.get("/")
    assertContains(response, '<a class="dropdown-item" href="/admin/">Admin</a>', html=True)
    assertContains(response, '<a class="dropdown-item" href="/coaching/reminders/">Reminders</a>', html=True)
    assertContains(response, '<a class="nav-link active" href="/" aria-current="page">Home</a>', html=True)
    assertContains(response, '<span class="visually-hidden">Logged in as </span>Mina Patel')


@pytest.mark.django_db
@pytest.mark.parametrize("group", ["Coaches", "Education leads"])
def test_navigation_coach_and_lead_see_no_admin_link(client, group):
    client.force_login(make_user("someone", group, is_staff=True))
    response = client.get("/")
    assertContains(response, '<a class="nav-link active" href="/" aria-current="page">Home</a>', html=True)
    assertNotContains(response, "/admin/")
    assertNotContains(response, "/coaching/reminders/")
    assertContains(response, '<a class="dropdown-item" href="/programmes/pdsa/">PDSA log</a>', html=True)
    assertContains(response, '<span class="visually-hidden">Logged in as </span>someone')


# Home page


@pytest.mark.django_db
def test_home_anonymous_redirects_to_login(client):
    assertRedirects(client.get("/"), "/accounts/login/?next=/")


@pytest.mark.django_db
def test_home_manager_sees_cohort_table(client, manager, cohort):
    coach = make_user("coach", "Coaches")
    enrol("Education support", cohort=cohort, coach=coach)
    enrol("Education support PRH", cohort=cohort, coach=coach, site_code="PRH", status=EnrolmentStatus.PLANNED)
    client.force_login(manager)
    response = client.get("/")
    assertContains(response, "<title>Home – QMS Coach</title>")
    assertContains(response, '<h1 class="h2 mb-3">Cohorts</h1>', html=True)
    assertContains(
        response,
        f"""<tr>
          <th scope="row"><a href="/programmes/cohorts/{cohort.pk}/">Autumn 2025 test bed</a></th>
          <td>0.9</td>
          <td><time datetime="2025-09-22">22 Sep 2025</time></td>
          <td><time datetime="2025-12-15">15 Dec 2025</time></td>
          <td class="text-end">2</td>
          <td class="text-end">1</td>
        </tr>""",
        html=True,
    )
    assertNotContains(response, "There are no cohorts yet.")


@pytest.mark.django_db
def test_home_manager_without_cohorts_sees_empty_state(client, manager):
    client.force_login(manager)
    response = client.get("/")
    assertContains(response, "<p>There are no cohorts yet.</p>", html=True)
    assertContains(response, '<a class="btn btn-primary" href="/programmes/cohorts/new/">Create a cohort</a>')
    assertNotContains(response, "<table")


@pytest.mark.django_db
def test_home_superuser_without_groups_gets_the_manager_page(client):
    client.force_login(User.objects.create_superuser("root", password="correct horse"))
    assertContains(client.get("/"), '<h1 class="h2 mb-3">Cohorts</h1>', html=True)


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_home_coach_sees_own_teams_with_next_session(client, manager, cohort):
    coach = make_user("coach", "Coaches")
    # Sessions 1 and 2 held; session 3 was due 13 Oct, 28 days ago: overdue.
    enrol("Education support", cohort=cohort, coach=coach, held_up_to=2, site_code="PRH")
    # Session 1 held last Monday; session 2 is due today: on track.
    later = make_cohort("Winter 2025", owner=manager, start=dt.date(2025, 11, 3))
    enrol("Pharmacy", cohort=later, coach=coach, session1=dt.date(2025, 11, 3), held_up_to=1)
    enrol("Someone else's team", cohort=cohort, coach=make_user("other", "Coaches"))
    client.force_login(coach)

    response = client.get("/")

    assertContains(response, '<h1 class="h2 mb-3">My teams</h1>', html=True)
    education, pharmacy = (Enrolment.objects.get(team__name=name) for name in ("Education support", "Pharmacy"))
    session_3 = education.sessions.get(number=3)
    session_2 = pharmacy.sessions.get(number=2)
    # Overdue first; both teams held session 1 without agreeing the coaching slots.
    assertContains(
        response,
        f"""<tr>
          <th scope="row"><a href="/programmes/enrolments/{education.pk}/">Education support</a></th>
          <td>PRH</td>
          <td>Autumn 2025 test bed</td>
          <td>Active</td>
          <td><a href="/programmes/sessions/{session_3.pk}/">Session 3</a>:
            due <time datetime="2025-10-13">Mon 13 Oct 2025</time>
            <span class="badge text-bg-danger">Overdue by 21 days</span></td>
          <td><ul class="list-unstyled mb-0">
            <li><span class="badge text-bg-warning">Not agreed</span>
              <a href="/coaching/enrolments/{education.pk}/agreement/">Agree the coaching slots</a></li>
            <li>2 sessions overdue</li>
            <li><a href="/programmes/sessions/{session_3.pk}/held/">Record session 3 as held</a>,
              or <a href="/programmes/sessions/{session_3.pk}/move/">move it</a></li>
          </ul></td>
        </tr>""",
        html=True,
    )
    assertContains(
        response,
        f"""<tr>
          <th scope="row"><a href="/programmes/enrolments/{pharmacy.pk}/">Pharmacy</a></th>
          <td>RSH</td>
          <td>Winter 2025</td>
          <td>Active</td>
          <td><a href="/programmes/sessions/{session_2.pk}/">Session 2</a>:
            due <time datetime="2025-11-10">Mon 10 Nov 2025</time></td>
          <td><ul class="list-unstyled mb-0">
            <li><span class="badge text-bg-warning">Not agreed</span>
              <a href="/coaching/enrolments/{pharmacy.pk}/agreement/">Agree the coaching slots</a></li>
            <li><a href="/programmes/sessions/{session_2.pk}/held/">Record session 2 as held</a></li>
          </ul></td>
        </tr>""",
        html=True,
    )
    assert [row.enrolment for row in response.context["team_rows"]] == [education, pharmacy]
    assertContains(response, "Overdue by", count=1)
    assertNotContains(response, "Someone else&#x27;s team")
    assert response.context["today"] == TODAY


@pytest.mark.django_db
def test_home_coach_without_teams_sees_empty_state(client):
    client.force_login(make_user("coach", "Coaches"))
    response = client.get("/")
    assertContains(response, "You are not coaching any teams yet.")
    assertNotContains(response, "<table")


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("teams", [1, 5])
def test_home_coach_query_count_same_for_one_and_five_teams(client, django_assert_num_queries, manager, cohort, teams):
    coach = make_user("coach", "Coaches")
    for n in range(teams):
        enrol(f"Team {n}", cohort=cohort, coach=coach, held_up_to=n)
    client.force_login(coach)
    # 1 session, 2 user, 3 the user's groups (role, read once per request),
    # 4 enrolments with team, site and cohort, 5 their sessions (prefetch), 6 their coaching agreements,
    # the alerts (qms_site.views.home_alerts): 7 overdue sessions counted, 8 teams with slots not agreed.
    with django_assert_num_queries(8):
        response = client.get("/")
    first = Enrolment.objects.get(team__name="Team 0")
    assertContains(response, f'<a href="/programmes/enrolments/{first.pk}/">Team 0</a>')
    assert len(response.context["team_rows"]) == teams


@pytest.mark.django_db
@pytest.mark.parametrize("cohorts", [1, 5])
def test_home_manager_query_count_same_for_one_and_five_cohorts(client, django_assert_num_queries, manager, cohorts):
    coach = make_user("coach", "Coaches")
    for n in range(cohorts):
        enrol(f"Team {n}", cohort=make_cohort(f"Cohort {n}", owner=manager), coach=coach)
    client.force_login(manager)
    # 1 session, 2 user, 3 the user's groups, 4 cohorts with template, owner and team counts, the alerts
    # (qms_site.views.home_alerts): 5 overdue sessions counted, 6 teams with slots not agreed, 7 reminders by status,
    # 8 failed weekly digests and calendar invitations.
    with django_assert_num_queries(8):
        response = client.get("/")
    assert len(response.context["cohorts"]) == cohorts


@pytest.mark.django_db
def test_home_lead_sees_placeholder_and_cohorts_read_only(client, manager, cohort):
    enrol("Education support", cohort=cohort, coach=None)
    client.force_login(make_user("lead", "Education leads", first_name="Lee", last_name="Jones"))
    response = client.get("/")
    assertContains(response, '<h1 class="h2 mb-3">Welcome, Lee Jones</h1>', html=True)
    assertContains(response, '<a class="btn btn-primary" href="/dashboard/">Progress dashboard</a>', html=True)
    assertContains(
        response,
        f"""<li><a href="/programmes/cohorts/{cohort.pk}/">Autumn 2025 test bed</a>: template version 0.9,
        <time datetime="2025-09-22">22 Sep 2025</time> to <time datetime="2025-12-15">15 Dec 2025</time>,
        1 team</li>""",
        html=True,
    )
    assertNotContains(response, "/admin/")
    assertNotContains(response, "/coaching/reminders/")
    assertContains(response, '<a class="dropdown-item" href="/programmes/pdsa/">PDSA log</a>', html=True)


@pytest.mark.django_db
def test_home_user_without_role_sees_polite_message(login, personas):
    response = login("no_role", personas).get("/")
    assert response.status_code == 200
    assertContains(
        response, "<p>Your account has no role yet; ask an improvement manager to give you one.</p>", html=True
    )
    assertNotContains(response, "<table")
    assertNotContains(response, "/admin/")
    assertNotContains(response, "/coaching/reminders/")
    assertNotContains(response, "/programmes/pdsa/")


# The next session, computed in the selector


@pytest.mark.django_db
def test_team_row_next_session_skips_held_and_cancelled(manager, cohort):
    enrolment = enrol("Education support", cohort=cohort, coach=None, held_up_to=2)
    enrolment.sessions.filter(number=3).update(cancelled=True)
    row = team_row(Enrolment.objects.prefetch_related("sessions").get(), today=dt.date(2025, 10, 30))
    # Session 4 was due 27 Oct: late, but still within the grace days.
    assert (row.next_session.number, row.is_overdue, row.days_overdue) == (4, False, 0)


@pytest.mark.django_db
def test_team_row_overdue_after_grace_days(manager, cohort):
    enrol("Education support", cohort=cohort, coach=None, held_up_to=1)
    row = team_row(Enrolment.objects.prefetch_related("sessions").get(), today=dt.date(2025, 10, 7))
    # Session 2 was due 29 Sep: 8 days ago, one more than the grace days: its first overdue day.
    assert (row.next_session.number, row.is_overdue, row.days_overdue) == (2, True, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [EnrolmentStatus.COMPLETED, EnrolmentStatus.WITHDRAWN])
def test_team_row_finished_team_has_no_next_session(manager, cohort, status):
    enrol("Education support", cohort=cohort, coach=None, status=status)
    row = team_row(Enrolment.objects.prefetch_related("sessions").get(), today=TODAY)
    assert (row.next_session, row.is_overdue) == (None, False)


@pytest.mark.django_db
def test_team_row_all_sessions_held_has_no_next_session(manager, cohort):
    enrol("Education support", cohort=cohort, coach=None, held_up_to=10)
    row = team_row(Enrolment.objects.prefetch_related("sessions").get(), today=TODAY)
    assert (row.next_session, row.is_overdue) == (None, False)
