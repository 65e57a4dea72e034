"""make bench's pages: every one answers, and its query count is the same at two data sizes
(the demo, and the demo with two units of --scale: 24 more teams)."""

from __future__ import annotations

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from dashboards.bench import measure_pages
from programmes import demo

pytestmark = pytest.mark.django_db

PAGES = {
    "home_coach",
    "dashboard_lead",
    "dashboard_lead_sorted",
    "dashboard_coach",
    "team_page",
    "cohort_page",
    "cohort_measures",
    "cohort_report",
    "aim_page",
    "my_teams_coach",
    "export_sessions_csv",
    "export_ratings_csv",
    "export_feedback_csv",
    "export_feedback_csv_lead",
}


def measure(scale: int) -> dict[str, dict]:
    with override_settings(ROOT_URLCONF="dashboards.bench"):
        return {line["name"]: line for line in measure_pages(scale=scale, repeats=1)}


def test_bench_pages_same_query_counts_at_two_sizes(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    today = timezone.localdate()
    demo.seed_demo(today=today)
    small = measure(0)
    demo.seed_demo(today=today, scale=2)
    large = measure(2)
    assert set(small) == set(large) == PAGES
    assert {name: line["queries"] for name, line in large.items()} == {
        name: line["queries"] for name, line in small.items()
    }
    assert large["dashboard_lead"]["rows"] == small["dashboard_lead"]["rows"] + 24
    assert large["export_sessions_csv"]["rows"] == small["export_sessions_csv"]["rows"] + 240
    assert all(line["baseline_ms"] > 0 and line["median_ms"] > 0 for line in large.values())
