"""Benchmarks of pages: each measured through the real middleware at a data size.

`python manage.py bench` (make bench) builds a fresh database per scale in a child process, loads
the demo data at that scale, then prints one JSON line per page or task:
{"name", "scale", "rows", "queries", "median_ms", "baseline_ms"}. The baseline is the median of a
minimal logged-in page through the same middleware, measured in the same run, so that a page's
cost can be read as a ratio whatever the machine. Measure with ROOT_URLCONF set to URLCONF, which
adds the baseline page to the site's URLs.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from checklists.models import ToolRating
from feedback.models import FeedbackResponse
from programmes.models import Cohort, Enrolment, Session, Team

from ..story import WARD_22

URLCONF = "demo.bench.urls"
REPEATS = 15
WARM_UP = 2


@dataclass(frozen=True)
class PageSpec:
    name: str
    username: str
    url: Callable[[], str]
    rows: Callable[[], int]


def _median_ms(client: Client, url: str, repeats: int) -> tuple[float, int, int]:
    """Median time in ms of GET url, its query count, and the status code."""
    for _ in range(WARM_UP):
        client.get(url)
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        timings.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    return statistics.median(timings), len(queries), response.status_code


def _largest_cohort() -> Cohort:
    return Cohort.objects.annotate(teams=Count("enrolments")).order_by("-teams", "pk").first()


def _bench_team() -> Team:
    """A current team on track, with checklists and feedback: its page is the same size at every scale."""
    return Team.objects.get(name=WARD_22.name, site__code=WARD_22.site)


def page_specs() -> list[PageSpec]:
    """The pages measured. Each row count is what the page shows at this scale."""

    def coach_enrolments() -> int:
        return Enrolment.objects.filter(coach__username="coach").count()

    def all_enrolments() -> int:
        return Enrolment.objects.count()

    def cohort_enrolments() -> int:
        return _largest_cohort().enrolments.count()

    return [
        PageSpec(name="home_coach", username="coach", url=lambda: reverse("home"), rows=coach_enrolments),
        PageSpec(
            name="dashboard_lead", username="lead", url=lambda: reverse("dashboards:progress"), rows=all_enrolments
        ),
        PageSpec(
            name="dashboard_lead_sorted",
            username="lead",
            url=lambda: reverse("dashboards:progress") + "?sort=-adoption",
            rows=all_enrolments,
        ),
        PageSpec(
            name="dashboard_coach", username="coach", url=lambda: reverse("dashboards:progress"), rows=coach_enrolments
        ),
        PageSpec(
            name="team_page",
            username="lead",
            url=lambda: reverse("programmes:team", args=[_bench_team().pk]),
            rows=lambda: Session.objects.filter(enrolment__team=_bench_team()).count(),
        ),
        PageSpec(
            name="cohort_page",
            username="lead",
            url=lambda: reverse("programmes:cohort", args=[_largest_cohort().pk]),
            rows=cohort_enrolments,
        ),
        PageSpec(
            name="cohort_measures",
            username="lead",
            url=lambda: reverse("dashboards:cohort", args=[_largest_cohort().pk]),
            rows=cohort_enrolments,
        ),
        PageSpec(
            name="cohort_report",
            username="manager",
            url=lambda: reverse("dashboards:cohort_report", args=[_largest_cohort().pk]),
            rows=cohort_enrolments,
        ),
        PageSpec(name="aim_page", username="lead", url=lambda: reverse("dashboards:aim"), rows=all_enrolments),
        PageSpec(
            name="my_teams_coach", username="coach", url=lambda: reverse("coaching:my_teams"), rows=coach_enrolments
        ),
        PageSpec(
            name="export_sessions_csv",
            username="manager",
            url=lambda: reverse("sessions_csv"),
            rows=lambda: Session.objects.count(),
        ),
        PageSpec(
            name="export_ratings_csv",
            username="manager",
            url=lambda: reverse("ratings_csv"),
            rows=lambda: ToolRating.objects.count(),
        ),
        PageSpec(
            name="export_feedback_csv",
            username="manager",
            url=lambda: reverse("feedback_csv"),
            rows=lambda: FeedbackResponse.objects.count(),
        ),
        PageSpec(
            name="export_feedback_csv_lead",
            username="lead",
            url=lambda: reverse("feedback_csv"),
            rows=lambda: FeedbackResponse.objects.count(),
        ),
    ]


def measure_pages(*, scale: int, repeats: int = REPEATS, specs: list[PageSpec] | None = None) -> list[dict]:
    """One JSON-able line per page (page_specs() unless given). Run with ROOT_URLCONF = URLCONF."""
    User = get_user_model()
    results = []
    clients: dict[str, Client] = {}

    def client_for(username: str) -> Client:
        if username not in clients:
            client = Client()
            client.force_login(User.objects.get(username=username))
            clients[username] = client
        return clients[username]

    baseline_ms, _, _ = _median_ms(client_for("coach"), "/__bench__/baseline", repeats)
    for spec in specs if specs is not None else page_specs():
        median_ms, queries, status = _median_ms(client_for(spec.username), spec.url(), repeats)
        if status != 200:
            raise RuntimeError(f"{spec.name} answered {status}")
        results.append(
            {
                "name": spec.name,
                "scale": scale,
                "rows": spec.rows(),
                "queries": queries,
                "median_ms": round(median_ms, 2),
                "baseline_ms": round(baseline_ms, 2),
            }
        )
    return results
