"""The huddle check-in in a real browser: the coach opens the team's board sheet, and a phone that
scans its QR code checks the huddle in with one tap."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from programmes.models import HuddleBoard, HuddleCheckIn, ImprovementBoard
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def coached_team():
    coach = factories.CoachFactory(username="cara", first_name="Cara", last_name="Coach")
    enrolment = factories.EnrolmentFactory(
        coach=coach,
        team__name="Education support team",
        team__site__code="RSH",
        team__improvement_board=ImprovementBoard.PHYSICAL,
    )
    factories.TeamMeetingFactory(
        team=enrolment.team, name="Board huddle", start_time=dt.time(9, 15), duration_minutes=15, is_huddle=True
    )
    return enrolment.team


def test_coach_prints_the_sheet_and_a_phone_checks_the_huddle_in(browser_page, coached_team):
    browser_page.login("cara")
    page = browser_page.goto(reverse("programmes:team", kwargs={"pk": coached_team.pk}))
    page.get_by_role("link", name="Huddle board sheet (print)").click()
    page.wait_for_load_state("load")
    browser_page.check_accessibility()
    assert page.get_by_role("heading", level=1).inner_text() == "Education support team huddle"
    assert page.locator("#huddle-when li").all_inner_texts() == ["Every Tuesday at 09:15, 15 minutes, Seminar room 2"]
    assert page.get_by_role("img", name="QR code for this team's huddle check-in").is_visible()
    page.emulate_media(media="print")
    assert page.get_by_role("button", name="Print this sheet").is_hidden()
    assert page.get_by_role("img", name="QR code for this team's huddle check-in").is_visible()
    page.emulate_media(media="screen")
    board = HuddleBoard.objects.get(team=coached_team)
    printed = page.get_by_text("/feedback/huddle/", exact=False).inner_text()
    check_in_path = urlsplit(printed.strip()).path
    assert check_in_path == reverse("feedback:huddle", kwargs={"token": board.token})

    # The phone that scans the code: no login, phone-sized.
    browser_page.page.context.clear_cookies()
    browser_page.page.set_viewport_size(PHONE)
    page = browser_page.goto(check_in_path)
    assert page.get_by_role("heading", level=1).inner_text() == "Huddle check-in"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    browser_page.check_accessibility()
    button = page.get_by_role("button", name="Huddle held today")
    box = button.bounding_box()
    assert box["height"] >= 48 and box["width"] >= PHONE["width"] * 0.8  # a big target for a thumb
    page.get_by_label("How many people?").fill("6")
    page.get_by_label("What we discussed / one idea").fill("Move the handover to 08:45")
    button.click()
    page.wait_for_url(lambda url: url.endswith("/recorded/"))
    browser_page.check_accessibility()
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you — today's huddle is recorded"
    saved = HuddleCheckIn.objects.get()
    assert (saved.team_id, saved.held_on, saved.people, saved.note) == (
        coached_team.pk,
        timezone.localdate(),
        6,
        "Move the handover to 08:45",
    )

    # A second tap the same day adds nothing, and says so.
    page = browser_page.goto(check_in_path)
    assert page.get_by_text("Today's huddle is already recorded").is_visible()
    page.get_by_role("button", name="Huddle held today").click()
    page.wait_for_url(lambda url: url.endswith("/recorded/?already=1"))
    browser_page.check_accessibility()
    assert page.get_by_role("heading", level=1).inner_text() == "Today's huddle was already recorded; thank you"
    assert HuddleCheckIn.objects.count() == 1
