"""The cohort and Trust charts ({% cohort_charts %}, {% trust_charts %}) on the demo data: which
have enough points for the rules, and what they say. The Spring 2026 cohort's PDSA cycle (coaching
times agreed at session 1) shows as a shift in the days to first coaching."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse

from dashboards.charts import MIN_POINTS, run_chart_signals
from dashboards.series import FIRST_COACHING, cohort_series, trust_series
from dashboards.spc_svg import BASELINE_MIN
from dashboards.tests.test_chart_panels import answers, render_charts
from demo.loader import seed_demo
from demo.story import CURRENT_COHORT, SPRING_COHORT, SPRING_PDSA_TITLE, TEST_BED_COHORT
from programmes.models import Cohort

pytestmark = pytest.mark.django_db

DEMO_TODAY = dt.date(2026, 12, 1)
TRUST_PART = '<section class="mb-4" aria-labelledby="trust-chart-heading">'


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, tzinfo=ZoneInfo("Europe/London")), tick=False):
        seed_demo(today=DEMO_TODAY)
        yield get_user_model().objects.get(username="manager")


def _chart(html: str, title: str) -> str:
    """The part of the page from a chart's title to the next chart's."""
    start = html.index(title)
    following = re.search(r"<h3", html[start:])
    return html[start : start + following.start()] if following else html[start:]


def _first_coaching(series) -> object:
    return next(s for s in series if s.key == FIRST_COACHING)


def test_aim_page_trust_wide_first_coaching_shift(demo):
    """The Trust's days to first coaching: a run chart with enough points, its latest points a
    shift below the median (as the tag judges it: the test bed's earlier PDSA change comes after
    only two points, too few for a baseline)."""
    series = _first_coaching(trust_series(user=demo, today=DEMO_TODAY))
    assert len(series.points) >= 12
    assert series.changes[0] < BASELINE_MIN  # so the tag takes the median of every point
    run = run_chart_signals(series.values)
    assert run.enough_points
    latest = [s for s in run.signals if s.end == len(series.points) - 1]
    assert [(s.kind, s.high) for s in latest] == [("shift", False)]
    assert len(latest[0].indices) >= 6
    html = render_charts(demo, Cohort.objects.get(name=SPRING_COHORT)).split(TRUST_PART)[1]
    chart = _chart(html, "Days to first coaching, Trust-wide")
    assert answers(chart) == [f"Is this better? {latest[0].describe(series.fmt)} (lower is better)."]
    assert "below the median of" in answers(chart)[0]
    assert f"PDSA adopt: {SPRING_PDSA_TITLE}" in chart


def test_spring_cohort_page_first_coaching_shift_below_baseline(demo):
    """The Spring 2026 cohort's days to first coaching: 14 teams, the eight before the PDSA
    decision the baseline, the six after it all below the baseline median."""
    cohort = Cohort.objects.get(name=SPRING_COHORT)
    series = _first_coaching(cohort_series(cohort=cohort, user=demo, today=DEMO_TODAY))
    assert len(series.points) == 14 >= MIN_POINTS
    assert series.changes == [8]
    run = run_chart_signals(series.values, baseline=8)
    assert [(s.kind, s.high, s.indices) for s in run.signals if s.kind == "shift"] == [
        ("shift", False, tuple(range(8, 14)))
    ]
    html = render_charts(demo, cohort).split(TRUST_PART)[0]
    chart = _chart(html, "Days to first coaching, Spring 2026")
    assert answers(chart) == [
        "Is this better? Shift: the last 6 points are below the baseline median of 23.5 days (lower is better)."
    ]
    assert "Baseline: the first 8 points, before the first PDSA change" in chart
    # Every chart of the cohort has enough points; the adoption score's rises above its median.
    assert not any(a.startswith("Is this better? Too few points") for a in answers(html))
    assert "Is this better? Shift: the last 7 points are above the median of 87% (higher is better)." in answers(html)


def test_test_bed_and_current_cohort_charts(demo):
    test_bed = render_charts(demo, Cohort.objects.get(name=TEST_BED_COHORT))
    cohort_part = test_bed.split(TRUST_PART)[0]
    # The test bed's sessions held on time: ten programme weeks, enough for the run-chart rules,
    # shown first; its baseline: the first seven weeks, before the PDSA decision (week 16).
    assert answers(cohort_part)[0] == (
        "Is this better? No signal: the points vary around the baseline median of 50% as before."
    )
    assert "Runs: " in cohort_part
    assert "Below the rules&#x27; minimum" in cohort_part or "Below the rules' minimum" in cohort_part
    assert "Sessions held on time by programme week, Autumn 2025 test bed" in cohort_part
    assert "PDSA adapt: QMS training programme test bed" in cohort_part
    # The current cohort (week 9) has too few weeks yet: every chart says so and shows its points.
    current = render_charts(demo, Cohort.objects.get(name=CURRENT_COHORT)).split(TRUST_PART)[0]
    assert all(a.startswith("Is this better? Too few points to tell") for a in answers(current))


def test_aim_and_cohort_pages_show_the_shift(demo, client):
    """The pages themselves (dashboards' aim and cohort pages carry the two tags)."""
    client.force_login(demo)
    aim = client.get(reverse("dashboards:aim")).content.decode()
    assert re.search(r"Is this better\? Shift: the last \d+ points are below the median of [\d.]+ days", aim)
    cohort = Cohort.objects.get(name=SPRING_COHORT)
    page = client.get(reverse("dashboards:cohort", args=[cohort.pk])).content.decode()
    assert "Shift: the last 6 points are below the baseline median of 23.5 days (lower is better)." in page
