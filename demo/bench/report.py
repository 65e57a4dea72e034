"""`make bench`'s verdict: the lines of every scale read together against the acceptance limits.

summarise(lines) takes the page and task lines of all scales (demo.bench.pages, demo.bench.reminders)
and gives one summary per page or task, then one acceptance line:

- queries: a page's SQL count must be the same at every scale measured;
- at scale 30, a page's median as a ratio to the baseline measured beside it: at most 5 for the
  dashboard, 8 for the aim page, the cohort page, the cohort's measures and its report;
- every page (exports aside: they stream every row) at least as fast as the Django admin's session
  changelist on the same data, compared by ratio to each one's own baseline;
- growth from scale 30 to 100 of a page's median at most 1.5; for an export, of its time per row.

A page that keeps its figures until the next write (core.figures_cache) is measured as its readers
meet it between writes; its line "<name>:fresh" measures the same page computing them afresh, as the
first reader after a write does. Those lines are summarised the same way and their limits said, but
they are not part of the verdict ("over" lists what they exceed).

A check whose scale was not measured is listed under "unchecked" rather than passed or failed.
"""

from __future__ import annotations

from .pages import ADMIN_PAGE, FRESH_SUFFIX

RATIO_SCALE = 30
RATIO_LIMITS = {
    "dashboard_lead": 5.0,
    "dashboard_lead_sorted": 5.0,
    "dashboard_coach": 5.0,
    "aim_page": 8.0,
    "cohort_page": 8.0,
    "cohort_measures": 8.0,
    "cohort_report": 8.0,
}
GROWTH_FROM, GROWTH_TO = 30, 100
GROWTH_LIMIT = 1.5


def _growth(by_scale: dict[int, dict], key: str) -> float | None:
    low, high = by_scale.get(GROWTH_FROM, {}).get(key), by_scale.get(GROWTH_TO, {}).get(key)
    if not low or high is None:
        return None
    return round(high / low, 2)


def summarise(lines: list[dict]) -> list[dict]:
    """One summary dict per page or task (in the order first seen), then {"acceptance": ...}."""
    by_name: dict[str, dict[int, dict]] = {}
    for line in lines:
        by_name.setdefault(line["name"], {})[line["scale"]] = line
    scales = sorted({line["scale"] for line in lines})
    admin = by_name.get(ADMIN_PAGE, {})
    summaries: list[dict] = []
    failures: list[str] = []
    unchecked: list[str] = []

    def fail(summary: dict, message: str) -> None:
        if "over" in summary:  # figures computed afresh: said, not judged
            summary["over"].append(message)
            return
        failures.append(message)
        summary["failures"].append(message)

    for name, by_scale in by_name.items():
        summary: dict = {"summary": name, "failures": []}
        fresh = name.endswith(FRESH_SUFFIX)
        if fresh:
            summary["over"] = []
        limit_name = name.removesuffix(FRESH_SUFFIX)
        queries = {scale: by_scale[scale]["queries"] for scale in sorted(by_scale)}
        summary["queries"] = {str(scale): count for scale, count in queries.items()}
        summary["queries_same"] = len(set(queries.values())) == 1
        if len(queries) < 2 and not fresh:
            unchecked.append(f"{name}: query count at one scale only")
        elif not summary["queries_same"]:
            fail(summary, f"{name}: queries differ by scale {summary['queries']}")
        if name.startswith("task:"):  # its own rows, not the seeded data: only the query count applies
            summaries.append(summary)
            continue

        per_row = "ms_per_row" in next(iter(by_scale.values()))
        if limit_name in RATIO_LIMITS:
            limit = RATIO_LIMITS[limit_name]
            ratio = by_scale.get(RATIO_SCALE, {}).get("ratio")
            summary[f"ratio_{RATIO_SCALE}"], summary[f"ratio_limit_{RATIO_SCALE}"] = ratio, limit
            if ratio is None and not fresh:
                unchecked.append(f"{name}: ratio at scale {RATIO_SCALE} not measured")
            elif ratio > limit:
                fail(summary, f"{name}: {ratio}x the baseline at scale {RATIO_SCALE} > {limit}x")

        if name != ADMIN_PAGE:
            vs_admin = {
                scale: round(line["ratio"] / admin[scale]["ratio"], 2)
                for scale, line in sorted(by_scale.items())
                if scale in admin
            }
            summary["vs_admin"] = {str(scale): value for scale, value in vs_admin.items()}
            if not per_row:
                if not vs_admin and not fresh:
                    unchecked.append(f"{name}: {ADMIN_PAGE} not measured")
                for scale, value in vs_admin.items():
                    if value > 1:
                        fail(summary, f"{name}: {value}x the time of {ADMIN_PAGE} at scale {scale}")

        key = "ms_per_row" if per_row else "median_ms"
        growth = _growth(by_scale, key)
        summary[f"growth_{GROWTH_FROM}_{GROWTH_TO}"], summary["growth_of"] = growth, key
        if growth is None and not fresh:
            unchecked.append(f"{name}: growth {GROWTH_FROM}->{GROWTH_TO} not measured")
        elif growth > GROWTH_LIMIT:
            fail(summary, f"{name}: {key} grew {growth}x from scale {GROWTH_FROM} to {GROWTH_TO} > {GROWTH_LIMIT}x")
        summaries.append(summary)

    for summary in summaries:
        summary["ok"] = not summary["failures"]
    acceptance = {
        "acceptance": "fail" if failures else ("pass" if not unchecked else "pass so far"),
        "scales": scales,
        "failures": failures,
        "unchecked": unchecked,
    }
    return [*summaries, acceptance]
