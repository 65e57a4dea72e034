"""The scheduling journey in a real browser: a manager creates a cohort and enrols a team; the
coach records session 1 and agrees the coaching slots on the team's fortnightly meeting,
unticking one date; the team's page then shows every later session at its agreed time.

Dates are relative to today (the live server's clock), so session 1 can be recorded as held today.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from coaching.models import CoachingAgreement, SlotsState
from coaching.recurrence import SlotRequest, propose_slots
from coaching.selectors import enrolment_slots
from programmes.meetings import MeetingPattern
from programmes.models import Enrolment, Team
from programmes.services.scheduling import team_update
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONDON = ZoneInfo("Europe/London")


def people_and_team(today: dt.date):
    factories.ManagerFactory(username="mina", first_name="Mina", last_name="Manager")
    coach = factories.CoachFactory(username="cara", first_name="Cara", last_name="Coach")
    team = factories.TeamFactory(name="Education support team", site__code="PRH", site__name="Princess Royal")
    # The team's fortnightly huddle, first held tomorrow at 09:30.
    meeting = factories.TeamMeetingFactory(
        team=team,
        name="Fortnightly huddle",
        weekday=(today + dt.timedelta(days=1)).weekday(),
        start_time=dt.time(9, 30),
        every_weeks=2,
        first_date=today + dt.timedelta(days=1),
        location="Library",
    )
    return coach, team, meeting


def test_manager_enrols_coach_agrees_slots_at_session_1(browser_page):
    today = timezone.localdate()
    coach, team, meeting = people_and_team(today)
    page = browser_page.page

    # The manager creates a cohort from the published version and enrols the team.
    browser_page.login("mina")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cohorts").click()
    browser_page.check_accessibility()
    page.get_by_role("link", name="Create a cohort").click()
    browser_page.check_accessibility()
    page.get_by_label("Cohort name").fill("Winter cohort")
    page.get_by_label("Programme version").select_option(label="QMS programme v0.9 (published)")
    page.get_by_label("Start date").fill(today.isoformat())
    page.get_by_label("Target end date").fill((today + dt.timedelta(weeks=26)).isoformat())
    page.get_by_role("button", name="Create the cohort").click()
    browser_page.check_accessibility()
    assert page.get_by_role("heading", level=1).inner_text() == "Winter cohort"

    page.get_by_role("link", name="Enrol a team").click()
    browser_page.check_accessibility()
    page.get_by_label("Team").select_option(label="Education support team (PRH)")
    page.get_by_label("Coach").select_option(label="Cara Coach (0 active teams, 0 sessions in the next 4 weeks)")
    page.get_by_label("Session 1 date").fill(today.isoformat())
    page.get_by_role("button", name="Enrol the team").click()
    browser_page.check_accessibility()
    assert page.get_by_text("Education support team is enrolled in Winter cohort, with 10 sessions").is_visible()
    enrolment = Enrolment.objects.get(team=team, cohort__name="Winter cohort")
    assert enrolment.sessions.count() == 10
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")
    browser_page.check_accessibility()

    # The coach records session 1 as held, and goes straight on to agree the slots.
    browser_page.login("cara")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My teams").click()
    browser_page.check_accessibility()
    page.get_by_role("link", name="Education support team").click()
    browser_page.check_accessibility()
    page.get_by_role("link", name="Record as held (session 1)").click()
    browser_page.check_accessibility()
    assert page.get_by_label("Date held").input_value() == today.isoformat()
    page.get_by_label("Number of attendees").fill("8")
    page.get_by_label("Notes").fill("Agreed coaching on the huddle.")
    page.get_by_role("button", name="Save").click()
    browser_page.check_accessibility()
    assert page.get_by_role("heading", level=1).inner_text() == "Agree the coaching slots with Education support team"
    assert page.get_by_text("Session 1 is recorded as held. Now agree the coaching slots").is_visible()
    assert page.get_by_label("Fortnightly huddle:").is_checked()

    # Session 3's proposed date will not work: untick it and recalculate.
    sessions = {s.number: s for s in enrolment.sessions.all()}
    pattern = MeetingPattern.of(meeting)
    requests = [SlotRequest(n, s.due_date) for n, s in sessions.items() if n > 1]
    first_proposal = {p.number: p.start for p in propose_slots(pattern, requests, not_before=today)}
    unticked = first_proposal[3].date()
    box = page.get_by_role("checkbox", name=f"{first_proposal[3]:%a} {first_proposal[3].day}", exact=False).first
    assert box.is_checked()
    box.uncheck()
    page.get_by_role("button", name="Recalculate").click()
    browser_page.check_accessibility()
    assert page.get_by_text("The dates below are worked out again from your choices.").is_visible()
    expected = {p.number: p.start for p in propose_slots(pattern, requests, unavailable={unticked}, not_before=today)}
    assert expected[3].date() == unticked + dt.timedelta(weeks=2)
    page.get_by_role("button", name="Confirm these times").click()
    browser_page.check_accessibility()
    assert page.get_by_text("Coaching slots agreed for 9 sessions on Fortnightly huddle.").is_visible()
    agreement = CoachingAgreement.objects.get(enrolment=enrolment)
    assert (agreement.meeting, agreement.skipped_dates, enrolment_slots(enrolment).state) == (
        meeting,
        [unticked.isoformat()],
        SlotsState.AGREED_AT_SESSION_1,
    )

    # The team's page shows every later session at its agreed time.
    page.get_by_role("link", name="Education support team", exact=True).first.click()
    browser_page.check_accessibility()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Education support team")
    for number in range(2, 11):
        session = enrolment.sessions.get(number=number)
        assert session.agreed_start == expected[number]
        start = expected[number].astimezone(LONDON)
        row = page.get_by_role("row", name=f"{number}. {session.plan.title}")
        assert row.get_by_role("cell").nth(1).inner_text() == f"{start:%a} {start.day} {start:%b %Y, %H:%M}"
        assert start.strftime("%H:%M") == "09:30"


def test_scheduling_pages_fit_a_tablet_and_pass_axe(browser_page):
    """Each page at a tablet's width: no sideways scrolling of the page (wide tables scroll in
    their own box), and no serious accessibility failures."""
    today = timezone.localdate()
    coach, team, meeting = people_and_team(today)
    enrolment = factories.EnrolmentFactory(team=team, coach=coach, session1_date=today - dt.timedelta(days=7))
    factories.make_sessions(enrolment)
    browser_page.page.set_viewport_size({"width": 768, "height": 1024})
    browser_page.login("cara")
    session_2 = enrolment.sessions.get(number=2)
    paths = [
        "/coaching/my-teams/",
        f"/programmes/enrolments/{enrolment.pk}/",
        f"/programmes/teams/{team.pk}/",
        f"/programmes/sessions/{session_2.pk}/",
        f"/programmes/sessions/{session_2.pk}/held/",
        f"/programmes/sessions/{session_2.pk}/move/",
        f"/programmes/sessions/{session_2.pk}/cancel/",
        f"/coaching/enrolments/{enrolment.pk}/agreement/",
    ]
    for path in paths:
        page = browser_page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 768, path
    # The copy button appears once the script runs, and copies the address.
    page = browser_page.goto("/coaching/my-teams/")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy address").click()
    page.get_by_role("status").filter(has_text="Address copied.").wait_for()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")
    browser_page.check_accessibility()

    browser_page.login("mina")
    for path in [
        "/programmes/cohorts/",
        f"/programmes/cohorts/{enrolment.cohort_id}/",
        f"/programmes/cohorts/{enrolment.cohort_id}/edit/",
        f"/programmes/cohorts/{enrolment.cohort_id}/enrol/",
        "/programmes/teams/",
        "/programmes/teams/new/",
        f"/programmes/teams/{team.pk}/edit/",
        f"/programmes/teams/{team.pk}/meetings/new/",
        f"/programmes/teams/{team.pk}/meetings/{meeting.pk}/edit/",
        f"/programmes/enrolments/{enrolment.pk}/",
        f"/programmes/enrolments/{enrolment.pk}/edit/",
    ]:
        page = browser_page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 768, path


def test_manager_saving_over_a_newer_save_sees_what_changed_and_keeps_their_input(browser_page):
    today = timezone.localdate()
    _, team, _ = people_and_team(today)
    browser_page.login("mina")
    page = browser_page.goto(f"/programmes/teams/{team.pk}/edit/")
    # Another manager saves the team while this form is open.
    fields = {"name": team.name, "site": team.site, "improvement_board": "physical", "board_location": "Corridor B"}
    team_update(team=Team.objects.get(pk=team.pk), version=1, department="Education", **fields)
    page.get_by_label("Department").fill("Education and training")
    page.get_by_role("button", name="Save the team").click()
    page.wait_for_load_state("load")
    browser_page.check_accessibility()
    card = page.locator("#saved-meanwhile")
    assert card.get_by_role("heading", name="Saved by someone else meanwhile").is_visible()
    assert card.get_by_role("row", name="Department").inner_text().split("\t") == [
        "Department",
        "Education",
        "Education and training",
    ]
    assert page.get_by_label("Department").input_value() == "Education and training"
    # Having seen what changed, saving again keeps what was typed.
    page.get_by_role("button", name="Save the team").click()
    page.wait_for_url(f"**/programmes/teams/{team.pk}/")
    browser_page.check_accessibility()
    assert Team.objects.values_list("department", "version").get(pk=team.pk) == ("Education and training", 3)
