"""The first user journey in a real browser: a coach logs in and sees their teams."""

import pytest

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coach_logs_in_and_sees_their_teams(browser_page):
    coach = factories.CoachFactory(username="cara", first_name="Cara", last_name="Coach")
    mine = factories.EnrolmentFactory(coach=coach, team__name="Education support team", team__site__code="PRH")
    factories.make_sessions(mine)
    factories.EnrolmentFactory(team__name="Someone else's team")

    browser_page.goto("/")  # anonymous: the login page
    assert browser_page.page.get_by_role("heading", level=1).inner_text() == "Log in to QMS Coach"
    browser_page.login("cara")

    page = browser_page.page
    assert page.get_by_role("heading", name="My teams").is_visible()
    row = page.get_by_role("row", name="Education support team")
    assert row.get_by_role("cell").nth(0).inner_text() == "PRH"
    assert page.get_by_text("Someone else's team").count() == 0


def test_wrong_password_shows_an_error_and_keeps_the_username(browser_page):
    factories.CoachFactory(username="cara")
    page = browser_page.goto("/accounts/login/")
    page.get_by_label("Username").fill("cara")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    browser_page.check_accessibility()
    assert page.get_by_text("Please enter a correct username and password").is_visible()
    assert page.get_by_label("Username").input_value() == "cara"
