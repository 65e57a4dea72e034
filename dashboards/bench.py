"""Benchmarks: pages and tasks measured through the real middleware at two data sizes.

`python manage.py bench` (make bench) builds a fresh database per scale in a child process, loads
the demo data at that scale, then prints one JSON line per page or task:
{"name", "scale", "rows", "queries", "median_ms", "baseline_ms"}. The baseline is the median of a
minimal logged-in page through the same middleware, measured in the same run, so that a page's
cost can be read as a ratio whatever the machine.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse

REPEATS = 15
WARM_UP = 2


@login_required
def baseline_view(request):
    """The smallest logged-in page: the cost of the middleware, session and user alone."""
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain")


# A URLconf with the app's own URLs plus the baseline page, so both go through the same stack.
urlpatterns = [
    path("__bench__/baseline", baseline_view, name="bench_baseline"),
    path("", include("qms_site.urls")),
]


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


def page_specs() -> list[PageSpec]:
    """The pages measured. Each row count is what the page shows at this scale."""
    from programmes.models import Enrolment

    return [
        PageSpec(
            name="home_coach",
            username="coach",
            url=lambda: reverse("home"),
            rows=lambda: Enrolment.objects.filter(coach__username="coach").count(),
        ),
    ]


def measure_pages(*, scale: int, repeats: int = REPEATS, specs: list[PageSpec] | None = None) -> list[dict]:
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
