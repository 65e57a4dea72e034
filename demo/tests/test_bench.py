"""make bench's measurements.

Pages: every one answers, and its query count is the same at two data sizes (the demo, and the
demo with two units of --scale: 24 more teams). The reminder sweep: the same query count at two
sizes, and nothing left behind."""

from __future__ import annotations

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from coaching.models import Reminder
from demo.bench.pages import URLCONF, measure_pages
from demo.bench.reminders import bench_sweep
from demo.loader import seed_demo
from programmes.models import Session

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
    with override_settings(ROOT_URLCONF=URLCONF):
        return {line["name"]: line for line in measure_pages(scale=scale, repeats=1)}


def test_bench_pages_same_query_counts_at_two_sizes(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    today = timezone.localdate()
    seed_demo(today=today)
    small = measure(0)
    seed_demo(today=today, scale=2)
    large = measure(2)
    assert set(small) == set(large) == PAGES
    assert {name: line["queries"] for name, line in large.items()} == {
        name: line["queries"] for name, line in small.items()
    }
    assert large["dashboard_lead"]["rows"] == small["dashboard_lead"]["rows"] + 24
    assert large["export_sessions_csv"]["rows"] == small["export_sessions_csv"]["rows"] + 240
    assert all(line["baseline_ms"] > 0 and line["median_ms"] > 0 for line in large.values())


# --- The reminder sweep (make bench runs it at 20,000 sessions) -----------------------------------


def test_bench_sweep_queries_same_at_two_sizes_and_leaves_nothing_behind():
    small = bench_sweep(sessions=100, teams_needing=3, runs=1)
    large = bench_sweep(sessions=400, teams_needing=3, runs=1)
    assert (small["rows"], large["rows"]) == (100, 400)
    assert small["queries"] == large["queries"] == 5 + 2 * 3 + 1  # 5 rules; overdue and escalation claims; stale
    assert small["reminders"] == large["reminders"] == 12
    assert (Session.objects.count(), Reminder.objects.count()) == (0, 0)
