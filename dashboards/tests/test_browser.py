"""An education lead in a real browser: logs in, filters the dashboard to one site, opens a team
and finds its tool-usage heatmap and adoption-score run chart. Dates are relative to today (the
live server's clock)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests import factories

from .helpers import checklist, feedback, hold, session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def two_sites(today: dt.date):
    factories.LeadFactory(username="amira", first_name="Amira", last_name="Khan")
    coach = factories.CoachFactory(username="rachel", first_name="Rachel", last_name="Evans")
    rsh = factories.SiteFactory(code="RSH", name="Royal Shrewsbury Hospital")
    prh = factories.SiteFactory(code="PRH", name="Princess Royal Hospital")
    cohort = factories.CohortFactory(
        name="Current cohort", start_date=today - dt.timedelta(weeks=9), target_end_date=today + dt.timedelta(weeks=9)
    )
    start = today - dt.timedelta(weeks=8)
    ward = factories.EnrolmentFactory(
        cohort=cohort, coach=coach, team__name="Ward 22 nursing team", team__site=rsh, session1_date=start
    )
    pharmacy = factories.EnrolmentFactory(
        cohort=cohort, coach=coach, team__name="Pharmacy dispensary team", team__site=prh, session1_date=start
    )
    for enrolment in (ward, pharmacy):
        factories.make_sessions(enrolment)
    for number in (1, 2, 3, 4):
        hold(ward, number, attendees=6)
    for number, level in ((2, 0), (3, 1), (4, 2)):
        checklist(session(ward, number), level)
    feedback(session(ward, 1), yes=6)
    hold(pharmacy, 1, attendees=5)


def test_lead_filters_the_dashboard_to_a_site_and_opens_a_team(browser_page):
    two_sites(timezone.localdate())
    page = browser_page.page
    browser_page.login("amira")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    browser_page.check_accessibility()
    assert page.get_by_role("heading", level=1).inner_text() == "Progress dashboard"
    table = page.get_by_role("table")
    assert table.get_by_role("link", name="Pharmacy dispensary team").is_visible()
    assert table.get_by_role("link", name="Ward 22 nursing team").is_visible()

    page.get_by_label("Site").select_option(label="RSH – Royal Shrewsbury Hospital")
    page.get_by_role("button", name="Show teams").click()
    browser_page.check_accessibility()
    assert page.get_by_role("status").inner_text() == "1 team matches the filters."
    assert table.get_by_role("link", name="Pharmacy dispensary team").count() == 0
    assert page.get_by_label("Site").input_value() != ""  # the filter stays chosen
    progress = page.get_by_role("progressbar", name="Programme week, Ward 22 nursing team")
    assert progress.get_attribute("aria-valuetext") == "week 9 of 12"

    page.get_by_role("link", name="Ward 22 nursing team").click()
    browser_page.check_accessibility()
    assert page.get_by_role("heading", name="Tool usage by session").is_visible()
    heatmap = page.get_by_role("table").filter(has_text="Driver diagrams / aims").first
    assert heatmap.get_by_role("columnheader", name=re.compile(r"^Session 4")).is_visible()
    assert heatmap.get_by_role("cell", name=re.compile("Sometimes")).count() == 9
    assert page.get_by_role("heading", name="Adoption score run chart").is_visible()
    chart = page.get_by_role("img", name=re.compile("Adoption score at each checklist: Ward 22 nursing team"))
    assert chart.is_visible()
    assert "Run-chart rules not applied yet" in page.locator("figcaption").inner_text()
    page.get_by_text("The chart's points as a table").click()
    points = page.get_by_role("table").filter(has_text="Signal")
    assert points.get_by_role("row").count() == 1 + 3
