"""The cohort and Trust charts ({% cohort_charts %}, {% trust_charts %}) on the demo data: which
have enough points for the rules, and what they say."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model

from dashboards.tests.test_chart_panels import answers, render_charts
from demo.loader import seed_demo
from demo.story import CURRENT_COHORT, TEST_BED_COHORT
from programmes.models import Cohort

pytestmark = pytest.mark.django_db

DEMO_TODAY = dt.date(2026, 12, 1)


def test_demo_charts_with_enough_points(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, tzinfo=ZoneInfo("Europe/London")), tick=False):
        seed_demo(today=DEMO_TODAY)
        manager = get_user_model().objects.get(username="manager")
        test_bed = render_charts(manager, Cohort.objects.get(name=TEST_BED_COHORT))
        current = render_charts(manager, Cohort.objects.get(name=CURRENT_COHORT))
    # The test bed's and the Trust's sessions held on time: ten programme weeks, enough for the
    # run-chart rules, shown first with the rules' answer.
    cohort_part, trust_part = test_bed.split('<section class="mb-4" aria-labelledby="trust-chart-heading">')
    # The test bed's baseline: its first seven weeks, before the PDSA decision (week 16).
    assert answers(cohort_part)[0] == (
        "Is this better? No signal: the points vary around the baseline median of 50% as before."
    )
    assert answers(trust_part)[0] == "Is this better? No signal: the points vary around the median of 50% as before."
    for part in (cohort_part, trust_part):
        assert "Runs: " in part
        assert "Below the rules&#x27; minimum" in part or "Below the rules' minimum" in part  # the thinner ones
    assert "Sessions held on time by programme week, Autumn 2025 test bed" in cohort_part
    assert "PDSA adapt: QMS training programme test bed" in cohort_part
    # The current cohort (week 9) has too few weeks yet: every chart says so and shows its points.
    cohort_part = current.split('aria-labelledby="trust-chart-heading"')[0]
    assert all(a.startswith("Is this better? Too few points to tell") for a in answers(cohort_part))
