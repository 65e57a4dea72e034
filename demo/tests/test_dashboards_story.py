"""The source document's story as the dashboards measure it: the autumn 2025 test bed at week 15
and the aim page once version 1.0 is published."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from dashboards.measures import aim_page, cohort_page
from demo.loader import seed_demo
from demo.story import CURRENT_COHORT, TEST_BED_COHORT, TEST_BED_WRITTEN_UP
from programmes.models import Cohort

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed_demo(today=TEST_BED_WRITTEN_UP)
    return get_user_model().objects.get(username="lead")


def test_story_measures_for_the_test_bed(story):
    today = TEST_BED_WRITTEN_UP  # 5 January 2026, 15 weeks after session 1
    cohort = Cohort.objects.select_related("template").get(name=TEST_BED_COHORT)
    page = cohort_page(cohort=cohort, user=story, today=today, run_length=2)
    measures = {m.key: m for m in page.measures}
    assert measures["positive"].figure == "100%"  # 100% of attendees positive
    assert (measures["positive"].numerator, measures["positive"].denominator) == (23, 23)
    # RSH held its review 3 days late, within the grace; PRH's is not held by week 16.
    assert (measures["on_time"].numerator, measures["on_time"].denominator) == (1, 2)
    assert (measures["slots"].numerator, measures["slots"].denominator) == (0, 2)
    # RSH's 12-week checklist: 2 of 9 tools sustained.
    assert (measures["sustained"].numerator, measures["sustained"].denominator) == (2, 9)
    assert measures["version"].detail.endswith("This cohort follows version 0.9.")
    rows = {r.enrolment.team.site.code: r for r in page.rows}
    assert rows["PRH"].week_label == "week 16 (past 12)"
    # PRH's review, due 8 December, was moved to 21 January: not overdue yet, but slipping.
    assert rows["PRH"].is_overdue is False
    assert rows["PRH"].team_row.next_session.number == 7
    assert rows["PRH"].team_row.next_session.days_scheduled_late == 44
    assert rows["RSH"].week_label == "completed"


def test_story_aim_page_after_version_1(story):
    page = aim_page(user=story, today=dt.date(2026, 4, 2), run_length=2)
    measures = {m.key: m for m in page.measures}
    assert measures["version"].figure == "Version 1.0"
    assert measures["version"].detail == "Published 1 Apr 2026. Met: version 1.0 was published on 1 Apr 2026."
    assert [c.cohort.name for c in page.cohorts] == [CURRENT_COHORT, TEST_BED_COHORT]
