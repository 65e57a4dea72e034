"""`make loadtest`'s measurements and verdict (the command is demo.management.commands.loadtest).

The command serves the site with gunicorn on the loopback address and loads each page in turn with
wrk for a fixed time. wrk runs WRK_SCRIPT, which counts every answer that is not 2xx (wrk itself
counts a 3xx, such as a redirect to the login page, as a success) and prints one line,
"WRK_JSON {...}", that parse_wrk() reads. page_result() turns it into the page's line and
acceptance() reads the lines of one run together:

- no errors on any page: every answer 2xx, and no socket errors (connect, read, write, timeout);
- the dashboard's throughput at least 20% of the baseline page's in the same run;
- p99 latency under 1 s on every page.
"""

from __future__ import annotations

import json
import socket

WRK_MARK = "WRK_JSON "
WRK_SCRIPT = r"""
-- Counts answers that are not 2xx in every thread, and prints the run as one JSON line.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non_2xx = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non_2xx")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "non_2xx": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, bad, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""

BASELINE = "baseline"
DASHBOARD = "dashboard"
MIN_DASHBOARD_SHARE = 0.2  # of the baseline page's requests per second
MAX_P99_MS = 1000.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wrk_command(*, wrk: str, script: str, url: str, cookie: str, duration: int, connections: int, threads: int) -> list:
    """The wrk command line for one page. The timeout is long, so that a slow answer shows in the
    p99 rather than disappearing as a timeout."""
    command = [wrk, "--latency", "--timeout", "10s", "-t", str(max(1, min(threads, connections)))]
    command += ["-c", str(connections), "-d", f"{max(1, duration)}s", "-s", script]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    return [*command, url]


def parse_wrk(output: str) -> dict:
    """The WRK_JSON line of wrk's output, as a dict; ValueError if there is none."""
    for line in output.splitlines():
        if line.startswith(WRK_MARK):
            return json.loads(line[len(WRK_MARK) :])
    raise ValueError(f"no {WRK_MARK.strip()} line in wrk's output:\n{output}")


def page_result(name: str, run: dict) -> dict:
    """One page's line from its wrk run: requests per second, p50 and p99 in ms, and its errors."""
    socket_errors = run["connect"] + run["read"] + run["write"] + run["timeout"]
    seconds = run["duration_us"] / 1_000_000
    return {
        "name": name,
        "requests": run["requests"],
        "rps": round(run["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": round(run["p50_us"] / 1000, 1),
        "p99_ms": round(run["p99_us"] / 1000, 1),
        "errors": run["non_2xx"] + socket_errors,
        "non_2xx": run["non_2xx"],
        "socket_errors": socket_errors,
    }


def with_ratios(results: list[dict]) -> list[dict]:
    """Each line with its throughput as a ratio to the baseline page's in the same run."""
    base = next((line["rps"] for line in results if line["name"] == BASELINE), None)
    return [{**line, "throughput_ratio": round(line["rps"] / base, 2) if base else None} for line in results]


def acceptance(results: list[dict]) -> dict:
    """The run's verdict over the page lines of one run: "pass" or "fail", and why. The dashboard's
    share of the baseline's throughput is worked out unrounded."""
    failures = [f"{line['name']}: {line['errors']} errors" for line in results if line["errors"]]
    failures += [
        f"{line['name']}: p99 {line['p99_ms']} ms >= {MAX_P99_MS:.0f} ms"
        for line in results
        if line["p99_ms"] >= MAX_P99_MS
    ]
    rps = {line["name"]: line["rps"] for line in results}
    if rps.get(DASHBOARD) is None or not rps.get(BASELINE):
        failures.append("dashboard or baseline not measured")
    elif rps[DASHBOARD] / rps[BASELINE] < MIN_DASHBOARD_SHARE:
        share = rps[DASHBOARD] / rps[BASELINE]
        failures.append(f"dashboard: {share:.1%} of the baseline's throughput < {MIN_DASHBOARD_SHARE:.0%}")
    return {"acceptance": "fail" if failures else "pass", "failures": failures}
