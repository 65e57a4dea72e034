"""Run and XmR charts drawn from a series (dashboards.spc_svg) and their template: the rules'
words, the baseline, below the minimum, and the accessible parts."""

from __future__ import annotations

from django.template.loader import render_to_string

from dashboards.series import ADOPTION, FIRST_COACHING, Marker, Series, SeriesPoint
from dashboards.spc_svg import spc_chart_svg

BASELINE = [40, 48, 44, 42, 46, 44, 45, 43]  # median 44


def _series(values, *, key=ADOPTION, unit="%", higher_is_better=True, markers=()):
    return Series(
        key=key,
        title="Mean adoption score by programme week, Autumn cohort",
        value_name="Mean adoption score",
        x_name="Programme week",
        unit=unit,
        higher_is_better=higher_is_better,
        points=tuple(SeriesPoint(f"Week {i + 1}", v, 2, i + 1) for i, v in enumerate(values)),
        markers=tuple(markers),
    )


def test_run_chart_with_a_baseline_answers_in_words():
    values = [*BASELINE, 60, 62, 58, 61, 63, 59, 60]
    chart = spc_chart_svg(
        chart_id="c", series=_series(values, markers=[Marker(8, "PDSA adopt: Agree slots", change=True)])
    )
    assert chart.kind == "run"
    assert (
        chart.answer
        == "Is this better? Shift: the last 7 points are above the baseline median of 44% (higher is better)."
    )
    assert chart.findings[0] == "Baseline median: 44%"
    assert chart.baseline_text.startswith("Baseline: the first 8 points, before the first PDSA change")
    assert [p.marked for p in chart.points] == [False] * 8 + [True] * 7
    assert chart.has_signal
    assert [m.short for m in chart.markers] == ["P1"]
    assert chart.baseline_x == chart.markers[0].x  # the baseline ends where the change is marked


def test_run_chart_without_a_signal_says_so():
    chart = spc_chart_svg(chart_id="c", series=_series([50, 60, 60, 50, 50, 60, 50, 60, 60, 50, 50, 60]))
    assert chart.answer == "Is this better? No signal: the points vary around the median of 55% as before."
    assert chart.baseline_text.startswith("Median of all the points")
    assert not chart.has_signal


def test_too_many_runs_is_a_signal_without_a_direction():
    chart = spc_chart_svg(chart_id="c", series=_series([50, 60] * 6))
    assert chart.answer == (
        "Is this better? No shift or trend, but the points do not vary at random: Runs: 12 runs in 12 useful "
        "observations, too many runs (fewer than 3 would be too few, more than 11 too many)."
    )
    assert chart.has_signal


def test_below_the_minimum_still_shows_the_points():
    chart = spc_chart_svg(chart_id="few", series=_series([33, 63, 72, 81]))
    assert not chart.enough_points
    assert chart.answer == "Is this better? Too few points to tell: the rules need 10, and there are 4."
    assert len(chart.points) == 4
    html = render_to_string("dashboards/_spc_chart.html", {"chart": chart})
    assert "Below the rules' minimum:" in html
    assert html.count('<circle class="point"') == 4


def test_xmr_chart_from_twenty_points_lower_is_better():
    values = [10, 12, 11, 9, 10, 11, 12, 10, 9, 11, 10, 12, 11, 9, 10, 11, 12, 10, 9, 11, 10, 30]
    chart = spc_chart_svg(chart_id="x", series=_series(values, key=FIRST_COACHING, unit="days", higher_is_better=False))
    assert chart.kind == "xmr"
    assert chart.answer == "Is this worse? Beyond the upper process limit: point 22 (lower is better)."
    assert "Beyond the upper process limit: point 22 (concerning)" in chart.findings
    assert chart.findings[-1] == "Variation: special cause concerning."
    assert {line.kind for line in chart.lines} == {"centre", "limit", "sigma"}
    assert chart.points[-1].marked and not chart.points[0].marked
    assert chart.baseline_text.startswith("Mean and process limits from the first 20 points")


def test_template_has_the_accessible_parts():
    values = [*BASELINE, 60, 62, 58, 61, 63, 59, 60]
    chart = spc_chart_svg(chart_id="c1", series=_series(values))
    html = render_to_string("dashboards/_spc_chart.html", {"chart": chart})
    assert 'role="img" aria-labelledby="c1-title c1-desc"' in " ".join(html.split())
    assert '<title id="c1-title">Run chart: Mean adoption score by programme week, Autumn cohort</title>' in html
    assert (
        '<desc id="c1-desc">Mean adoption score by programme week, Autumn cohort, as a run chart of 15 points' in html
    )
    assert ">Programme week</text>" in html  # the x axis
    assert ">Mean adoption score (%)</text>" in html  # the y axis
    assert (
        "<strong>Is this better? Shift: the last 7 points are above the median of 48% (higher is better).</strong>"
        in html
    )
    assert html.count("<tr>") == 16  # the header and a row per point
    assert '<th scope="row">Week 15</th>' in html
