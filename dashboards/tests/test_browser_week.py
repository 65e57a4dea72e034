"""A coach's week in a real browser: session 1 is held today for two teams whose coaching slots are
not agreed yet; the coach agrees both through the agreement page, reached from the week page, then
finds both teams' sessions on the week with the right actions, and prints it (A4 PDF).

Dates are relative to today (the live server's clock)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from core.dates import LONDON
from dashboards.week import week_start
from programmes.models import Session
from tests import factories

from .helpers import hold

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEAMS = ("Ward 22 nursing team", "Pharmacy dispensary team")


def two_teams(today: dt.date):
    coach = factories.CoachFactory(username="rachel", first_name="Rachel", last_name="Evans")
    cohort = factories.CohortFactory(
        name="Current cohort", start_date=today - dt.timedelta(weeks=1), target_end_date=today + dt.timedelta(weeks=30)
    )
    enrolments = []
    for name, code, hour in ((TEAMS[0], "RSH", 9), (TEAMS[1], "PRH", 14)):
        enrolment = factories.EnrolmentFactory(
            cohort=cohort, coach=coach, team__name=name, team__site__code=code, session1_date=today
        )
        # The team's weekly meeting, on today's weekday: session 2 (due in a week) rides on it.
        factories.TeamMeetingFactory(
            team=enrolment.team,
            name=f"Weekly huddle {code}",
            weekday=today.weekday(),
            start_time=dt.time(hour, 0),
            every_weeks=1,
            first_date=today,
        )
        factories.make_sessions(enrolment)
        hold(enrolment, 1, held_on=today, attendees=8)
        enrolments.append(enrolment)
    return enrolments


def week_row(page, team: str, number: int):
    return (
        page.get_by_role("row")
        .filter(has=page.get_by_role("rowheader", name=team))
        .filter(has=page.get_by_role("link", name=re.compile(rf"^{number}\. ")))
    )


def test_coach_agrees_slots_for_two_teams_then_sees_both_on_the_week(browser_page):
    today = timezone.localdate()
    enrolments = two_teams(today)
    page = browser_page.page
    browser_page.login("rachel")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My week").click()
    browser_page.check_accessibility()
    assert page.get_by_role("heading", level=1).inner_text() == "My week"

    # Both teams' session 1 today, each asking for its slots to be agreed; agree them from here.
    for team in TEAMS:
        row = week_row(page, team, 1)
        expect(row.get_by_role("link", name="Agree slots")).to_be_visible()
        row.get_by_role("link", name="Agree slots").click()
        browser_page.check_accessibility()
        assert page.get_by_role("heading", level=1).inner_text() == f"Agree the coaching slots with {team}"
        page.get_by_role("button", name="Confirm these times").click()
        browser_page.check_accessibility()
        expect(page.get_by_text(re.compile(r"Coaching slots agreed for 9 sessions on Weekly huddle"))).to_be_visible()
        browser_page.goto("/dashboard/week/")

    # Now: session 1 held today, its feedback link to show; the week's later sessions at their agreed
    # times; nothing left to agree.
    expect(page.get_by_role("link", name="Agree slots")).to_have_count(0)
    first, end = week_start(today), week_start(today) + dt.timedelta(weeks=2)
    for enrolment in enrolments:
        team = enrolment.team.name
        row = week_row(page, team, 1)
        expect(row.get_by_role("cell").nth(2)).to_have_text("Held")
        expect(row.get_by_role("link")).to_have_text([team, re.compile(r"^1\. "), "Feedback link"])
        later = [
            s
            for s in Session.objects.filter(enrolment=enrolment, number__gt=1).order_by("number")
            if first <= timezone.localtime(s.agreed_start, LONDON).date() < end
        ]
        assert [s.number for s in later][:1] == [2]  # a week after session 1: next week, at the latest
        for s in later:
            start = timezone.localtime(s.agreed_start, LONDON)
            row = week_row(page, team, s.number)
            expect(row.get_by_role("cell").nth(0)).to_have_text(f"{start:%a} {start.day} {start:%b, %H:%M}")
            expect(row.get_by_role("cell").nth(2)).to_have_text("Scheduled")
            expect(row.get_by_role("cell").nth(3)).to_have_text("Nothing yet")
    page.screenshot(path="/tmp/week_screen.png", full_page=True)  # noqa: S108 (to look at)

    # The same week at the top of My teams.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My teams").click()
    browser_page.check_accessibility()
    panel = page.get_by_role("region", name="This week and next")
    page.screenshot(path="/tmp/week_my_teams.png")  # noqa: S108 (to look at)
    for team in TEAMS:
        expect(panel.get_by_role("listitem").filter(has_text=f"{team}").first).to_be_visible()
    panel.get_by_role("link", name="Open my week to print it").click()
    browser_page.check_accessibility()

    # Printable: a print button (shown once its script runs); on paper no navigation, no buttons,
    # one table, on one A4 page.
    expect(page.get_by_role("button", name="Print this week")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("button", name="Print this week")).to_be_hidden()
    expect(page.locator("main table")).to_have_count(1)
    page.screenshot(path="/tmp/week_print.png", full_page=True)  # noqa: S108 (to look at)
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4", path="/tmp/week.pdf")))  # noqa: S108 (to look at)
    assert len(pdf.pages) == 1
    box = pdf.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)  # A4, mm
    text = " ".join(pdf.pages[0].extract_text().split())
    assert all(team in text for team in TEAMS), text
    assert "Log out" not in text and "Print this week" not in text and "My teams" not in text, text


def test_manager_chooses_a_coach_to_see_their_week(browser_page):
    today = timezone.localdate()
    two_teams(today)
    factories.ManagerFactory(username="mina", first_name="Mina", last_name="Manager")
    page = browser_page.page
    browser_page.login("mina")
    page = browser_page.goto("/dashboard/week/?coach=999999")  # not a coach: the field says so
    assert page.get_by_role("heading", level=1).inner_text() == "My week"
    expect(page.get_by_text("That is not one of the coaches.")).to_be_visible()
    page.get_by_label("Coach").select_option(label="Rachel Evans")
    page.get_by_role("button", name="Show the week").click()
    browser_page.check_accessibility()
    assert page.get_by_role("heading", level=1).inner_text() == "Rachel Evans's week"
    for team in TEAMS:
        expect(week_row(page, team, 1).get_by_role("link", name="Agree slots")).to_be_visible()
