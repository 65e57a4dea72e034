"""Benchmarks of pages: each measured through the real middleware at a data size.

`python manage.py bench` (make bench) builds a fresh database per scale in a child process, loads
the demo data at that scale, then prints one JSON line per page or task:
{"name", "scale", "rows", "queries", "median_ms", "baseline_ms", "ratio"} (exports add "ms_per_row").
The baseline is a minimal logged-in page through the same middleware, requested by the same user
in turn with the page (baseline, page, baseline, page ...: the same number of each), so that a
change in the machine's load during the run moves both alike and the ratio median_ms / baseline_ms
reads the same whatever the machine. Measure with ROOT_URLCONF set to URLCONF, which adds the
baseline page to the site's URLs. demo.bench.report reads the lines of every scale together.
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
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from checklists.models import ToolRating
from feedback.models import FeedbackResponse
from programmes.models import Cohort, Enrolment, Session, Team

from ..story import WARD_22

URLCONF = "demo.bench.urls"
ADMIN_PAGE = "admin_sessions"
BASELINE_URL = "/__bench__/baseline"
REPEATS = 15
FRESH_SUFFIX = ":fresh"  # the same page with its figures computed afresh (QMS_FIGURES_CACHE off)
WARM_UP = 2


@dataclass(frozen=True)
class PageSpec:
    name: str
    username: str
    url: Callable[[], str]
    rows: Callable[[], int]
    per_row: bool = False  # an export: its cost is read per row (ms_per_row), not against a fixed page
    keeps_figures: bool = False  # kept until the next write (core.figures_cache): measured fresh too


def interleaved(
    page: Callable[[], float], baseline: Callable[[], float], *, repeats: int, warm_up: int = WARM_UP
) -> tuple[list[float], list[float]]:
    """(page timings, baseline timings): warm_up untimed pairs, then `repeats` timed pairs, each pair
    the baseline then the page, so both see the same load at almost the same moment."""
    for _ in range(warm_up):
        baseline()
        page()
    page_ms: list[float] = []
    baseline_ms: list[float] = []
    for _ in range(repeats):
        baseline_ms.append(baseline())
        page_ms.append(page())
    return page_ms, baseline_ms


def _get(client: Client, url: str) -> int:
    """GET url through the whole stack, reading a streamed body to its end; the status code."""
    response = client.get(url)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    return response.status_code


def _timed_get(client: Client, url: str, name: str) -> Callable[[], float]:
    """A callable timing one GET of url in ms; it raises if the page does not answer 200."""

    def timed() -> float:
        start = time.perf_counter()
        status = _get(client, url)
        elapsed = (time.perf_counter() - start) * 1000
        if status != 200:
            raise RuntimeError(f"{name} answered {status}")
        return elapsed

    return timed


def page_line(
    *,
    name: str,
    scale: int,
    rows: int,
    queries: int,
    page_ms: list[float],
    baseline_ms: list[float],
    per_row: bool = False,
) -> dict:
    """The JSON line of one page: medians of the interleaved timings and their ratio."""
    median_ms = statistics.median(page_ms)
    base = statistics.median(baseline_ms)
    line = {
        "name": name,
        "scale": scale,
        "rows": rows,
        "queries": queries,
        "median_ms": round(median_ms, 2),
        "baseline_ms": round(base, 2),
        "ratio": round(median_ms / base, 2),
    }
    if per_row:
        line["ms_per_row"] = round(median_ms / rows, 5) if rows else None
    return line


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
            name="dashboard_lead",
            username="lead",
            url=lambda: reverse("dashboards:progress"),
            rows=all_enrolments,
            keeps_figures=True,
        ),
        PageSpec(
            name="dashboard_lead_sorted",
            username="lead",
            url=lambda: reverse("dashboards:progress") + "?sort=-adoption",
            rows=all_enrolments,
            keeps_figures=True,
        ),
        PageSpec(
            name="dashboard_coach",
            username="coach",
            url=lambda: reverse("dashboards:progress"),
            rows=coach_enrolments,
            keeps_figures=True,
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
            keeps_figures=True,
        ),
        PageSpec(
            name="cohort_measures",
            username="lead",
            url=lambda: reverse("dashboards:cohort", args=[_largest_cohort().pk]),
            rows=cohort_enrolments,
            keeps_figures=True,
        ),
        PageSpec(
            name="cohort_report",
            username="manager",
            url=lambda: reverse("dashboards:cohort_report", args=[_largest_cohort().pk]),
            rows=cohort_enrolments,
            keeps_figures=True,
        ),
        PageSpec(
            name="aim_page",
            username="lead",
            url=lambda: reverse("dashboards:aim"),
            rows=all_enrolments,
            keeps_figures=True,
        ),
        PageSpec(
            name="my_teams_coach", username="coach", url=lambda: reverse("coaching:my_teams"), rows=coach_enrolments
        ),
        PageSpec(
            name="export_sessions_csv",
            username="manager",
            url=lambda: reverse("sessions_csv"),
            rows=lambda: Session.objects.count(),
            per_row=True,
        ),
        PageSpec(
            name="export_ratings_csv",
            username="manager",
            url=lambda: reverse("ratings_csv"),
            rows=lambda: ToolRating.objects.count(),
            per_row=True,
        ),
        PageSpec(
            name="export_feedback_csv",
            username="manager",
            url=lambda: reverse("feedback_csv"),
            rows=lambda: FeedbackResponse.objects.count(),
            per_row=True,
        ),
        PageSpec(
            name="export_feedback_csv_lead",
            username="lead",
            url=lambda: reverse("feedback_csv"),
            rows=lambda: FeedbackResponse.objects.count(),
            per_row=True,
        ),
        # What Django gives for free, on the same data: every page should be at least as fast.
        PageSpec(
            name=ADMIN_PAGE,
            username="manager",
            url=lambda: reverse("admin:programmes_session_changelist"),
            rows=lambda: Session.objects.count(),
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

    def measure(spec: PageSpec, name: str) -> None:
        client = client_for(spec.username)
        url = spec.url()
        page_ms, baseline_ms = interleaved(
            _timed_get(client, url, name), _timed_get(client, BASELINE_URL, "baseline"), repeats=repeats
        )
        with CaptureQueriesContext(connection) as queries:
            _get(client, url)
        results.append(
            page_line(
                name=name,
                scale=scale,
                rows=spec.rows(),
                queries=len(queries),
                page_ms=page_ms,
                baseline_ms=baseline_ms,
                per_row=spec.per_row,
            )
        )

    for spec in specs if specs is not None else page_specs():
        measure(spec, spec.name)
        if spec.keeps_figures:
            with override_settings(QMS_FIGURES_CACHE=False):
                measure(spec, spec.name + FRESH_SUFFIX)
    return results
