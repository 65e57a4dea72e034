"""Teams and their meetings: managers create and edit them; the team page shows each enrolment's
session timeline, the team's meetings, checklists and calendar feed."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from pytest_django.asserts import assertContains, assertInHTML, assertNotContains, assertRedirects

from coaching.models import CalendarFeed
from coaching.services import agreement_confirm, calendar_feed_for_team
from programmes.models import Enrolment, EnrolmentStatus, ImprovementBoard, Session, Team, TeamMeeting
from tests import factories

LONDON = ZoneInfo("Europe/London")

pytestmark = pytest.mark.django_db


def meeting_data(**overrides) -> dict:
    data = {
        "name": "Weekly huddle",
        "weekday": "1",
        "start_time": "09:00",
        "duration_minutes": "30",
        "every_weeks": "2",
        "first_date": "2025-09-23",
        "location": "Seminar room 2",
    }
    return {**data, **overrides}


def test_team_create_saves_and_goes_to_the_team_page(login, personas):
    site = factories.SiteFactory(code="RSH", name="Royal Shrewsbury")
    client = login("manager", personas)
    response = client.post(
        reverse("programmes:team_create"),
        {"name": "Theatres", "site": site.pk, "department": "Surgery", "improvement_board": "physical"},
        follow=True,
    )
    team = Team.objects.get(name="Theatres")
    assertRedirects(response, reverse("programmes:team", args=[team.pk]))
    assertContains(response, "Team Theatres created. Now add the meetings it already holds.")
    assert (team.site, team.department, team.improvement_board) == (site, "Surgery", ImprovementBoard.PHYSICAL)


def test_team_create_duplicate_on_site_is_a_form_error_and_keeps_input(login, personas):
    team = personas.enrolment.team
    client = login("manager", personas)
    response = client.post(
        reverse("programmes:team_create"),
        {"name": team.name, "site": team.site_id, "department": "Typed by me", "improvement_board": "none"},
    )
    assert response.status_code == 200
    assertContains(response, "<title>Error: Add a team – QMS Coach</title>")
    assertContains(response, "Team with this Site and Name already exists.")
    assertContains(response, 'value="Typed by me"')
    assert Team.objects.filter(name=team.name).count() == 1


def test_team_edit_saves(login, personas):
    team = personas.enrolment.team
    client = login("manager", personas)
    response = client.post(
        reverse("programmes:team_edit", args=[team.pk]),
        {
            "name": "Education support",
            "site": team.site_id,
            "improvement_board": "virtual",
            "board_location": "Teams",
            "version": 1,
        },
    )
    assertRedirects(response, reverse("programmes:team", args=[team.pk]), fetch_redirect_response=False)
    team.refresh_from_db()
    assert (team.name, team.improvement_board, team.board_location, team.version) == (
        "Education support",
        "virtual",
        "Teams",
        2,
    )


def test_team_contact_is_saved_checked_and_shown(login, personas):
    team = personas.enrolment.team
    client = login("manager", personas)
    url = reverse("programmes:team_edit", args=[team.pk])
    fields = {"name": team.name, "site": team.site_id, "improvement_board": "none", "board_location": ""}
    bad = client.post(url, {**fields, "contact_name": "Pat Lead", "contact_email": "not an address", "version": 1})
    assertContains(bad, "Enter a valid email address.")
    team.refresh_from_db()
    assert (team.contact_email, team.version) == ("", 1)
    client.post(url, {**fields, "contact_name": " Pat Lead ", "contact_email": "pat.lead@nhs.net", "version": 1})
    team.refresh_from_db()
    assert (team.contact_name, team.contact_email, team.version) == ("Pat Lead", "pat.lead@nhs.net", 2)
    page = client.get(reverse("programmes:team", args=[team.pk]))
    assertContains(page, '<a href="mailto:pat.lead@nhs.net">pat.lead@nhs.net</a>', html=True)


def test_team_edit_stale_form_is_refused_with_what_changed_and_the_first_save_kept(login, personas):
    team = personas.enrolment.team
    url = reverse("programmes:team_edit", args=[team.pk])
    client = login("manager", personas)
    assertContains(client.get(url), '<input type="hidden" name="version" value="1" id="id_version">', html=True)
    typed = {"name": team.name, "site": team.site_id, "improvement_board": "none", "version": 1}
    assert client.post(url, {**typed, "department": "Education"}).status_code == 302  # the first save
    response = client.post(url, {**typed, "department": "Typed by the second"})
    assert response.status_code == 200
    assertContains(response, "<title>Error: Edit Education support team – QMS Coach</title>")
    assertContains(response, "Someone else saved this team while you were editing it")
    assertInHTML(
        '<tr><th scope="row">Department</th><td>Education</td><td>Typed by the second</td></tr>',
        response.content.decode(),
    )
    assertContains(response, 'value="Typed by the second"')
    assertContains(response, '<input type="hidden" name="version" value="2" id="id_version">', html=True)
    team.refresh_from_db()
    assert (team.department, team.version) == ("Education", 2)
    # Saving again, having seen what changed, is a decision: it goes through.
    assert client.post(url, response.context["form"].data).status_code == 302
    team.refresh_from_db()
    assert (team.department, team.version) == ("Typed by the second", 3)


def test_team_edit_invalid_keeps_the_saved_name_in_the_heading(login, personas):
    team = personas.enrolment.team
    response = login("manager", personas).post(
        reverse("programmes:team_edit", args=[team.pk]),
        {"name": "", "site": team.site_id, "improvement_board": "none", "version": 1},
    )
    assertContains(response, "Edit Education support team</h1>")
    assertContains(response, "This field is required.")


def test_meeting_create_saves(login, personas):
    team = personas.enrolment.team
    response = login("manager", personas).post(reverse("programmes:meeting_create", args=[team.pk]), meeting_data())
    assertRedirects(response, reverse("programmes:team", args=[team.pk]), fetch_redirect_response=False)
    meeting = TeamMeeting.objects.get(team=team)
    assert (meeting.weekday, meeting.start_time, meeting.every_weeks, meeting.first_date) == (
        1,
        dt.time(9, 0),
        2,
        dt.date(2025, 9, 23),
    )


def test_meeting_create_without_a_weekday_is_a_clear_error_and_keeps_input(login, personas):
    team = personas.enrolment.team
    response = login("manager", personas).post(
        reverse("programmes:meeting_create", args=[team.pk]), meeting_data(weekday="", name="Monthly governance")
    )
    assert response.status_code == 200
    assertContains(response, "Choose the day of the week the meeting is held on.")
    assertContains(response, 'value="Monthly governance"')
    assert not TeamMeeting.objects.exists()


def test_meeting_create_first_date_not_on_its_weekday_is_an_error_on_that_field(login, personas):
    team = personas.enrolment.team
    response = login("manager", personas).post(
        reverse("programmes:meeting_create", args=[team.pk]), meeting_data(first_date="2025-09-24")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["first_date"] == [
        "24 September 2025 is a Wednesday, but the meeting is on Tuesdays. Give a Tuesday the meeting is (or was) "
        "held on: fortnightly and four-weekly meetings count their weeks from it."
    ]
    assert not TeamMeeting.objects.exists()


def test_meeting_edit_saves(login, personas):
    meeting = factories.TeamMeetingFactory(team=personas.enrolment.team)
    response = login("manager", personas).post(
        reverse("programmes:meeting_edit", args=[meeting.team_id, meeting.pk]),
        meeting_data(start_time="14:30", every_weeks="4", version=1),
    )
    assertRedirects(response, reverse("programmes:team", args=[meeting.team_id]), fetch_redirect_response=False)
    meeting.refresh_from_db()
    assert (meeting.start_time, meeting.every_weeks, meeting.version) == (dt.time(14, 30), 4, 2)


def test_meeting_edit_stale_form_is_refused_with_what_changed_and_the_first_save_kept(login, personas):
    meeting = factories.TeamMeetingFactory(team=personas.enrolment.team)
    url = reverse("programmes:meeting_edit", args=[meeting.team_id, meeting.pk])
    client = login("manager", personas)
    assert client.post(url, meeting_data(start_time="14:30", version=1)).status_code == 302
    response = client.post(url, meeting_data(weekday="3", first_date="2025-09-25", version=1))
    assert response.status_code == 200
    assertContains(response, "Someone else saved this meeting while you were editing it")
    html = response.content.decode()
    assertInHTML('<tr><th scope="row">Day of the week</th><td>Tuesday</td><td>Thursday</td></tr>', html)
    assertInHTML('<tr><th scope="row">Start time</th><td>14:30</td><td>09:00</td></tr>', html)
    assertContains(response, 'value="2025-09-25"')
    meeting.refresh_from_db()
    assert (meeting.weekday, meeting.start_time, meeting.version) == (1, dt.time(14, 30), 2)


@pytest.mark.parametrize("name", ["team_create", "team_edit", "meeting_create", "meeting_edit"])
def test_team_and_meeting_forms_posted_empty_show_errors_and_change_nothing(login, personas, name):
    team = personas.enrolment.team
    meeting = factories.TeamMeetingFactory(team=team, name="Huddle")
    args = {"team_create": [], "team_edit": [team.pk], "meeting_create": [team.pk]}.get(name, [team.pk, meeting.pk])
    response = login("manager", personas).post(reverse(f"programmes:{name}", args=args), {})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["This field is required."]
    assertContains(response, "<title>Error: ")
    assert list(Team.objects.order_by("pk").values_list("name", "version"))[0] == ("Education support team", 1)
    assert list(TeamMeeting.objects.values_list("name", "version")) == [("Huddle", 1)]


def test_meeting_edit_of_another_teams_meeting_is_404(login, personas):
    meeting = factories.TeamMeetingFactory(team=personas.other_enrolment.team)
    url = reverse("programmes:meeting_edit", args=[personas.enrolment.team_id, meeting.pk])
    assert login("manager", personas).get(url).status_code == 404


def agree(enrolment):
    meeting = factories.TeamMeetingFactory(
        team=enrolment.team, name="Team huddle", weekday=1, start_time=dt.time(9, 0), every_weeks=2
    )
    Session.objects.filter(enrolment=enrolment, number=1).update(held_on=dt.date(2025, 9, 22))
    agreement_confirm(
        enrolment=enrolment,
        meeting=meeting,
        unavailable=[],
        user=enrolment.coach,
        now=dt.datetime(2025, 9, 22, 15, 0, tzinfo=LONDON),
    )
    return meeting


def test_team_page_shows_timeline_meetings_and_feed(login, personas):
    agree(personas.enrolment)
    team = personas.enrolment.team
    client = login("manager", personas)
    response = client.get(reverse("programmes:team", args=[team.pk]))
    session_3 = personas.enrolment.sessions.get(number=3)
    assertInHTML(
        f"""<tr>
          <th scope="row"><a href="/programmes/sessions/{session_3.pk}/">
            3. Coaching: improvement board and huddle</a></th>
          <td><time datetime="2025-10-13">Mon 13 Oct 2025</time></td>
          <td><time datetime="2025-10-21T09:00:00+01:00">Tue 21 Oct 2025, 09:00</time></td>
          <td><span class="badge text-bg-danger">Overdue</span></td>
          <td>–</td>
        </tr>""",
        response.content.decode(),
    )
    assertContains(response, "<td>Tuesday 09:00</td>", html=True)
    assertContains(response, "<td>Every 2 weeks</td>", html=True)
    token = CalendarFeed.objects.get(team=team).token
    assertContains(response, f'value="http://testserver/coaching/calendar/{token}.ics"')
    assertContains(response, f'action="/coaching/teams/{team.pk}/calendar/reset/"')
    assertContains(response, "Coaching rides on Team huddle.")
    assertContains(response, 'id="tool-usage-heading"')  # the checklists app's summary


def test_team_page_coach_sees_only_their_own_enrolments_of_the_team(login, personas):
    team = personas.enrolment.team
    Enrolment.objects.filter(pk=personas.enrolment.pk).update(status=EnrolmentStatus.COMPLETED)  # one cohort at a time
    later = factories.EnrolmentFactory(
        team=team, coach=personas.other_coach, cohort=factories.CohortFactory(name="Spring cohort")
    )
    factories.make_sessions(later)
    response = login("coach", personas).get(reverse("programmes:team", args=[team.pk]))
    assertContains(response, "Autumn cohort")
    assertNotContains(response, "Spring cohort")
    assertNotContains(response, "Reset the address")  # only managers reset a team's feed
    assertNotContains(response, reverse("programmes:team_edit", args=[team.pk]))
    other = login("other_coach", personas).get(reverse("programmes:team", args=[team.pk]))
    assertContains(other, "Spring cohort")
    assertNotContains(other, "Autumn cohort")


@pytest.mark.parametrize("enrolments", [1, 4])
def test_team_page_query_count_does_not_grow_with_enrolments(client, django_assert_num_queries, personas, enrolments):
    team = personas.enrolment.team
    agree(personas.enrolment)
    for n in range(enrolments - 1):
        extra = factories.EnrolmentFactory(
            team=team, coach=personas.coach, cohort=factories.CohortFactory(), status=EnrolmentStatus.COMPLETED
        )
        factories.make_sessions(extra)
        factories.TeamMeetingFactory(team=team, name=f"Meeting {n}")
    calendar_feed_for_team(team=team)
    client.force_login(personas.manager)
    # 1 session, 2 user, 3 groups, 4 the team with its site, 5 meetings, 6 enrolments with cohort
    # and coach, 7 their sessions with plans, 8 their coaching agreements with meetings, 9-11 the
    # latest enrolment's checklists (sessions, ratings, tools), 12 the adoption-score chart's
    # checklists (none: no PDSA cycles read), 13-16 the huddles at the board (the team's board sheet,
    # huddle meetings, check-ins and the latest lines typed), 17 the team's calendar feed.
    with django_assert_num_queries(17):
        response = client.get(reverse("programmes:team", args=[team.pk]))
    assert len(response.context["page"].rows) == enrolments


@pytest.mark.parametrize("teams", [1, 5])
def test_team_list_query_count_does_not_grow_with_teams(client, django_assert_num_queries, personas, teams):
    for _ in range(teams):
        factories.TeamMeetingFactory()
    client.force_login(personas.lead)
    # 1 session, 2 user, 3 groups, 4 teams with site and counts.
    with django_assert_num_queries(4):
        response = client.get(reverse("programmes:teams"))
    assert len(response.context["teams"]) == teams + 2
    assertNotContains(response, "Add a team")  # leads read only


@pytest.mark.django_db
def test_a_session_agreed_past_due_plus_grace_shows_as_scheduled_late_until_it_is_overdue(client):
    manager = factories.ManagerFactory()
    enrolment = factories.EnrolmentFactory(session1_date=dt.date(2026, 9, 21))
    factories.make_sessions(enrolment)
    session_2 = enrolment.sessions.get(number=2)  # due 28 September
    Session.objects.filter(pk=session_2.pk).update(agreed_start=dt.datetime(2026, 10, 20, 10, tzinfo=dt.UTC))
    client.force_login(manager)
    url = reverse("programmes:team", args=[enrolment.team_id])
    with time_machine.travel(dt.datetime(2026, 10, 10, 12, tzinfo=dt.UTC), tick=False):
        assertContains(client.get(url), "Scheduled 22 days late", count=1)
    with time_machine.travel(dt.datetime(2026, 10, 28, 12, tzinfo=dt.UTC), tick=False):
        response = client.get(url)
    assertNotContains(response, "days late")
