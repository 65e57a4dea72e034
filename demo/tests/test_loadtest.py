"""make loadtest: reading wrk's runs and the verdict (no server needed), and a short real run.

The smoke run serves the demo (scale 0) with gunicorn on PostgreSQL and loads each page for 2 s
with 2 connections: every page must answer, with no errors. It needs PostgreSQL (skipped on
SQLite, in CI too: the CI's SQLite pass runs the rest) and wrk (skipped without it, failed when
QMS_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import io
import json
import os
import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from conftest import require_service
from demo.bench import load
from demo.management.commands.loadtest import _server_and_name

RUN = {
    "requests": 3000,
    "duration_us": 2_000_000,
    "non_2xx": 0,
    "connect": 0,
    "read": 0,
    "write": 0,
    "timeout": 0,
    "p50_us": 4_250,
    "p99_us": 31_960,
    "max_us": 50_000,
}


def test_parse_wrk_reads_the_scripts_line_among_wrks_own():
    output = "Running 2s test @ http://127.0.0.1:8000/\n  2 threads and 2 connections\n"
    output += load.WRK_MARK + json.dumps(RUN) + "\nRequests/sec: 1500.00\n"
    assert load.parse_wrk(output) == RUN
    with pytest.raises(ValueError, match="no WRK_JSON line"):
        load.parse_wrk("Requests/sec: 1500.00\n")


def test_page_result_counts_non_2xx_and_socket_errors():
    result = load.page_result("team_page", {**RUN, "non_2xx": 3, "read": 1, "timeout": 2})
    assert result == {
        "name": "team_page",
        "requests": 3000,
        "rps": 1500.0,
        "p50_ms": 4.2,
        "p99_ms": 32.0,
        "errors": 6,
        "non_2xx": 3,
        "socket_errors": 3,
    }


def results(*, dashboard_rps: float, p99_ms: float = 200.0, errors: int = 0) -> list[dict]:
    def page(name: str, rps: float, **extra) -> dict:
        return {"name": name, "rps": rps, "p99_ms": 50.0, "errors": 0, **extra}

    return load.with_ratios(
        [
            page("baseline", 500.0),
            page("dashboard", dashboard_rps, p99_ms=p99_ms),
            page("feedback_form", 250.0, errors=errors),
        ]
    )


def test_throughput_is_read_against_the_baseline_page_of_the_same_run():
    assert [line["throughput_ratio"] for line in results(dashboard_rps=100.0)] == [1.0, 0.2, 0.5]
    assert load.with_ratios([{"name": "dashboard", "rps": 5.0}])[0]["throughput_ratio"] is None


def test_acceptance_passes_at_the_limits_and_fails_past_each():
    assert load.acceptance(results(dashboard_rps=100.0, p99_ms=999.9)) == {"acceptance": "pass", "failures": []}
    assert load.acceptance(results(dashboard_rps=99.0, p99_ms=1000.0, errors=1)) == {
        "acceptance": "fail",
        "failures": [
            "feedback_form: 1 errors",
            "dashboard: p99 1000.0 ms >= 1000 ms",
            "dashboard: 19.8% of the baseline's throughput < 20%",
        ],
    }
    assert load.acceptance(results(dashboard_rps=100.0)[:1])["failures"] == ["dashboard or baseline not measured"]


def test_wrk_command_sends_the_session_cookie_and_never_more_threads_than_connections():
    command = load.wrk_command(
        wrk="wrk", script="c.lua", url="http://127.0.0.1:1/x", cookie="sessionid=abc", duration=2, connections=1,
        threads=2,
    )  # fmt: skip
    assert command == ["wrk", "--latency", "--timeout", "10s", "-t", "1", "-c", "1", "-d", "2s", "-s", "c.lua",
                       "-H", "Cookie: sessionid=abc", "http://127.0.0.1:1/x"]  # fmt: skip
    assert "-H" not in load.wrk_command(
        wrk="wrk", script="c.lua", url="u", cookie="", duration=0, connections=2, threads=2
    )


def test_loadtest_refuses_to_drop_a_database_not_named_as_throwaway():
    with pytest.raises(CommandError, match="refusing to drop the database 'qms'"):
        call_command("loadtest", database_url="postgres://postgres@127.0.0.1:5432/qms")
    with pytest.raises(CommandError, match="PostgreSQL only"):
        call_command("loadtest", database_url="sqlite:///tmp/x_load.sqlite3")


def test_loadtest_smoke_every_page_answers_without_errors():
    if connection.vendor != "postgresql":
        pytest.skip("make loadtest runs on PostgreSQL only")
    require_service("wrk", shutil.which("wrk") is not None, "apt-get install wrk")
    server, configured = _server_and_name(os.environ["DATABASE_URL"])  # set: the tests run on PostgreSQL
    name = f"{configured}_smoke_load"
    out = io.StringIO()
    try:
        call_command(
            "loadtest",
            database_url=f"{server}/{name}",
            scale=0,
            duration=2,
            connections=2,
            stdout=out,
            stderr=io.StringIO(),
        )
    finally:
        import psycopg

        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    lines = [json.loads(text) for text in out.getvalue().splitlines()]
    assert lines[0]["loadtest"] == name
    pages = {line["name"]: line for line in lines if "name" in line}
    assert list(pages) == ["baseline", "dashboard", "team_page", "my_teams", "feedback_form", "admin_sessions"]
    assert all(line["requests"] > 0 and line["errors"] == 0 for line in pages.values()), pages
    assert pages["baseline"]["throughput_ratio"] == 1.0
    assert set(lines[-1]) == {"acceptance", "failures"}
