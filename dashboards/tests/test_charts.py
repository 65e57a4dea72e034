"""Run-chart and XmR rules (dashboards.charts) with hand-built series."""

from fractions import Fraction

import pytest

from dashboards.charts import (
    RUNS_LIMITS,
    count_runs,
    run_chart_signals,
    run_distribution,
    runs_limits_from_distribution,
    runs_test,
    shifts,
    suggested_chart,
    trends,
    xmr_chart,
    xmr_limits,
)

LOW, HIGH = 1.0, 9.0  # an even number of each has the median 5


def with_runs(useful: int, runs: int, on_median: int = 0) -> list[float]:
    """`useful` points, half low and half high, in exactly `runs` runs starting low, then `on_median`
    points of 5 at the end (which leave the median at 5)."""
    assert useful % 2 == 0 and 2 <= runs <= useful
    lows, highs = (runs + 1) // 2, runs // 2
    low_sizes = [useful // 2 // lows + (1 if k < useful // 2 % lows else 0) for k in range(lows)]
    high_sizes = [useful // 2 // highs + (1 if k < useful // 2 % highs else 0) for k in range(highs)]
    values: list[float] = []
    for k in range(lows):
        values += [LOW] * low_sizes[k]
        if k < highs:
            values += [HIGH] * high_sizes[k]
    return values + [5.0] * on_median


def as_tuples(signals):
    return [(s.kind, s.direction, s.indices) for s in signals]


# -- Shift -----------------------------------------------------------------------------------------


def test_shift_of_exactly_six_points_below_the_median():
    values = [50, 50, 50, 50, 50, 50, 10, 10, 10, 10, 10, 10, 60, 70]
    chart = run_chart_signals(values)
    assert chart.median == 50
    assert as_tuples(chart.shifts) == [("shift", "below", (6, 7, 8, 9, 10, 11))]
    assert chart.shifts[0].describe() == "Shift: points 7 to 12 (6 in a row) are below the median of 50"


def test_five_points_on_one_side_is_not_a_shift():
    values = [1, 9, 1, 9, 9, 9, 9, 9, 1, 1, 1, 5]
    assert run_chart_signals(values).median == 7
    assert shifts(values) == []


def test_points_on_the_median_neither_break_nor_count_towards_a_shift():
    # Median 5: three above, two on the median, three above: six that count.
    values = [8, 8, 8, 5, 5, 8, 8, 8, 1, 1, 1, 1, 1, 5]
    chart = run_chart_signals(values)
    assert chart.median == 5
    assert as_tuples(chart.shifts) == [("shift", "above", (0, 1, 2, 5, 6, 7))]


def test_points_on_the_median_do_not_join_two_short_runs_on_different_sides():
    assert shifts([9, 9, 9, 5, 1, 9, 9, 9, 1, 1, 5, 5]) == []


# -- Trend -----------------------------------------------------------------------------------------


def test_trend_of_five_with_equal_neighbours_counting_once():
    values = [1, 2, 2, 3, 4, 5, 3, 3, 3, 3]
    found = trends(values)
    assert as_tuples(found) == [("trend", "up", (0, 1, 3, 4, 5))]
    assert found[0].describe() == "Trend: points 1 to 6 (5 in a row) are rising"


def test_four_rising_points_with_a_repeat_is_not_a_trend():
    assert trends([1, 2, 2, 3, 4, 1, 0, 1, 0, 1]) == []


def test_falling_trend_of_exactly_five_and_turning_point_shared():
    values = [9, 8, 7, 6, 5, 6, 7, 8, 9, 10]
    assert as_tuples(trends(values)) == [("trend", "down", (0, 1, 2, 3, 4)), ("trend", "up", (4, 5, 6, 7, 8, 9))]


def test_four_falling_points_is_not_a_trend():
    assert trends([9, 8, 7, 6, 7, 6, 7, 6, 7, 6]) == []


# -- Runs test -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("useful", "runs", "verdict"),
    [
        (14, 3, "too few runs"),
        (14, 4, "no signal"),
        (14, 12, "no signal"),
        (14, 13, "too many runs"),
        (20, 5, "too few runs"),
        (20, 6, "no signal"),
        (20, 16, "no signal"),
        (20, 17, "too many runs"),
        (30, 10, "too few runs"),
        (30, 11, "no signal"),
        (30, 21, "no signal"),
        (30, 22, "too many runs"),
    ],
)
def test_runs_test_limits_from_the_table(useful, runs, verdict):
    values = with_runs(useful, runs)
    result = run_chart_signals(values).runs
    assert (result.useful, result.runs, result.verdict) == (useful, runs, verdict)
    assert (result.lower, result.upper) == {14: (4, 12), 20: (6, 16), 30: (11, 21)}[useful]
    assert result.marked == (tuple(range(useful)) if verdict != "no signal" else ())


def test_runs_test_describes_its_counts_and_limits():
    assert runs_test(with_runs(20, 5)).describe() == (
        "Runs: 5 runs in 20 useful observations, too few runs (fewer than 6 would be too few, more than 16 too many)"
    )
    assert runs_test(with_runs(20, 10)).describe() == (
        "Runs: 10 runs in 20 useful observations, within the limits "
        "(fewer than 6 would be too few, more than 16 too many)"
    )


def test_points_on_the_median_are_not_useful_observations():
    values = with_runs(14, 13, on_median=1)  # 15 points, the last on the median
    result = runs_test(values)
    assert run_chart_signals(values).median == 5
    assert (result.useful, result.runs, result.verdict) == (14, 13, "too many runs")
    assert result.indices == tuple(range(14))


def test_runs_are_counted_across_points_on_the_median():
    # above, on, above, below, on, below, above: three runs in five useful observations.
    assert count_runs([9, 5, 9, 1, 5, 1, 9], 5) == (3, (0, 2, 3, 5, 6))


def test_runs_test_with_too_few_useful_observations_still_counts():
    values = [1, 9, 5, 5, 5, 5, 1, 9, 1, 9, 5, 5]  # median 5, six useful observations
    result = run_chart_signals(values).runs
    assert (result.useful, result.runs, result.lower, result.verdict, result.signal) == (
        6,
        6,
        None,
        "too few points",
        False,
    )


def test_runs_test_beyond_the_table():
    result = runs_test(with_runs(62, 2))
    assert (result.useful, result.verdict, result.signal) == (62, "beyond the table", False)


def test_runs_table_is_the_published_table_at_the_rows_the_issue_names():
    # Perla, Provost and Murray 2011, Table 1.
    assert sorted(RUNS_LIMITS) == list(range(10, 61))
    published = {10: (3, 9), 14: (4, 12), 16: (5, 13), 20: (6, 16), 24: (8, 18), 30: (11, 21), 40: (15, 27)}
    published |= {50: (19, 33), 60: (24, 38)}
    assert {n: RUNS_LIMITS[n] for n in published} == published


def test_runs_table_rows_are_within_one_run_of_the_exact_distribution():
    # A guard against a mistyped row: each limit within one run of the 2.5%-a-tail computation, the
    # limits widening (never narrowing) as the observations grow, and no tail above 3.5%.
    previous = (0, 0)
    for useful, (lower, upper) in RUNS_LIMITS.items():
        exact_lower, exact_upper = runs_limits_from_distribution(useful)
        assert abs(lower - exact_lower) <= 1 and abs(upper - exact_upper) <= 1, useful
        assert lower >= previous[0] and upper >= previous[1], useful
        previous = (lower, upper)
        distribution = run_distribution(useful // 2, useful - useful // 2)
        below = sum(p for runs, p in distribution.items() if runs < lower)
        above = sum(p for runs, p in distribution.items() if runs > upper)
        assert below <= Fraction(35, 1000) and above <= Fraction(35, 1000), useful


def test_exact_limits_leave_at_most_the_risk_in_each_tail():
    for useful in range(10, 61):
        lower, upper = runs_limits_from_distribution(useful)
        distribution = run_distribution(useful // 2, useful - useful // 2)
        below = sum(p for runs, p in distribution.items() if runs < lower)
        above = sum(p for runs, p in distribution.items() if runs > upper)
        assert below <= Fraction(25, 1000) < below + distribution[lower], useful
        assert above <= Fraction(25, 1000) < above + distribution[upper], useful


def test_run_distribution_small_cases_by_hand():
    # AABB, BBAA: 2 runs; ABBA, BAAB: 3; ABAB, BABA: 4.
    assert run_distribution(2, 2) == {2: Fraction(1, 3), 3: Fraction(1, 3), 4: Fraction(1, 3)}
    # AAB, BAA: 2 runs; ABA: 3.
    assert run_distribution(2, 1) == {2: Fraction(2, 3), 3: Fraction(1, 3)}
    assert sum(run_distribution(10, 10).values()) == 1


# -- Baseline and edge cases -------------------------------------------------------------------------


BASELINE = [44, 46, 42, 45, 43, 44, 47, 41, 44, 46, 42, 44]  # median 44, no signal of its own


def test_frozen_baseline_then_an_improvement_signals_on_the_later_points_only():
    values = BASELINE + [52, 55, 53, 56, 54, 57, 55]
    chart = run_chart_signals(values, baseline=12)
    assert chart.median == 44
    assert as_tuples(chart.shifts) == [("shift", "above", (12, 13, 14, 15, 16, 17, 18))]
    assert chart.trends == ()
    assert chart.shifts[0].describe(lambda v: f"{v:g}%") == (
        "Shift: the last 7 points are above the baseline median of 44%"
    )
    assert all(i >= 12 for i in chart.marked)
    # Without the baseline the median moves up into the improvement and the picture changes.
    assert run_chart_signals(values).median == 46


def test_a_run_does_not_join_baseline_points_to_later_ones():
    values = [44, 46, 42, 45, 43, 44, 41, 42, 40, 50, 51, 52] + [60, 61, 59, 60, 62]
    # The baseline ends with three points above its median; five more above are not a shift of eight.
    chart = run_chart_signals(values, baseline=12)
    assert chart.median == 44
    assert chart.shifts == ()
    assert run_chart_signals(values + [63], baseline=12).shifts[0].indices == (12, 13, 14, 15, 16, 17)


def test_baseline_runs_test_uses_the_baseline_points():
    values = with_runs(20, 20) + [9.0] * 10
    result = run_chart_signals(values, baseline=20).runs
    assert (result.useful, result.runs, result.verdict) == (20, 20, "too many runs")


def test_baseline_longer_than_the_series_uses_all_points():
    values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]
    frozen = run_chart_signals(values, baseline=50)
    assert frozen.median == run_chart_signals(values).median == 4
    assert frozen.describe()[0] == "Baseline median: 4"


def test_baseline_of_no_points_is_refused():
    with pytest.raises(ValueError):
        run_chart_signals([1, 2, 3], baseline=0)


def test_fewer_than_ten_points_gives_a_median_but_no_shifts_or_trends():
    values = [10, 20, 30, 40, 50, 60, 70, 80, 90]
    chart = run_chart_signals(values)
    assert (chart.enough_points, chart.median, chart.signals) == (False, 50, ())
    assert chart.values == tuple(float(v) for v in values)
    assert chart.runs.verdict == "too few points"
    assert chart.describe() == ["Median: 50", "Too few points for the run-chart rules: 9 of 10."]
    assert trends(values)[0].length == 9  # the rule would fire; the chart withholds it


def test_exactly_ten_points_applies_the_rules():
    chart = run_chart_signals([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    assert chart.enough_points is True
    assert as_tuples(chart.trends) == [("trend", "up", tuple(range(10)))]
    assert (chart.runs.useful, chart.runs.runs, chart.runs.verdict) == (10, 2, "too few runs")


def test_all_equal_values_are_all_on_the_median():
    chart = run_chart_signals([7] * 12)
    assert (chart.median, chart.signals, chart.marked) == (7, (), ())
    assert (chart.runs.useful, chart.runs.runs, chart.runs.verdict) == (0, 0, "too few points")


def test_no_points():
    chart = run_chart_signals([])
    assert (chart.median, chart.signals, chart.runs, chart.describe()) == (None, (), None, ["No points yet."])


# -- XmR -------------------------------------------------------------------------------------------

STEADY = [10, 12] * 10  # mean 11, every moving range 2


def test_xmr_limits_from_the_moving_range():
    limits = xmr_limits(STEADY)
    assert (limits.mean, limits.mean_moving_range) == (11, 2)
    assert limits.upper == pytest.approx(16.32)
    assert limits.lower == pytest.approx(5.68)
    assert limits.upper_2sigma == pytest.approx(11 + 2 * 5.32 / 3)
    assert limits.lower_2sigma == pytest.approx(11 - 2 * 5.32 / 3)
    assert limits.sigma == pytest.approx(5.32 / 3)


def test_xmr_one_point_beyond_the_limits():
    chart = xmr_chart([*STEADY, 20], baseline=20, higher_is_better=True)
    assert as_tuples(chart.signals) == [("astronomical", "above", (20,))]
    assert chart.variation == "special cause improving"
    assert chart.signals[0].describe() == "Beyond the upper process limit: point 21"


def test_xmr_point_on_the_limit_is_not_beyond_it():
    assert xmr_chart([*STEADY, 16], baseline=20).signals == ()


def test_xmr_limits_from_all_points_absorb_a_point_that_a_baseline_shows():
    chart = xmr_chart([*STEADY, 20])
    assert chart.segments[0].limits.mean == pytest.approx(240 / 21)
    assert chart.signals[0].indices == (20,)
    assert chart.segments[0].baseline == 21


def test_xmr_run_of_seven_on_one_side_of_the_mean():
    ends_low = [12, 10] * 10  # mean 11, moving ranges 2, the last point below the mean
    six = xmr_chart([*ends_low, 11.5, 11.5, 11.5, 11.5, 11.5, 11.5], baseline=20)
    seven = xmr_chart([*ends_low, 11.5, 11.5, 11.5, 11.5, 11, 11.5, 11.5, 11.5], baseline=20, higher_is_better=False)
    assert [s.kind for s in six.signals] == []
    # The point on the mean neither breaks nor counts; the alternating baseline makes runs of one.
    assert as_tuples(seven.signals) == [("shift", "above", (20, 21, 22, 23, 25, 26, 27))]
    assert seven.variation == "special cause concerning"
    assert seven.signals[0].describe() == "Shift: the last 7 points are above the mean of 11"


def test_xmr_trend_of_seven_not_six():
    rising6 = [10.5, 10.7, 10.9, 11.1, 11.3, 11.5]
    assert [s for s in xmr_chart([*STEADY, *rising6], baseline=20).signals if s.kind == "trend"] == []
    chart = xmr_chart([*STEADY, *rising6, 11.5, 11.7], baseline=20)
    # 12 (the last baseline point) falls to 10.5; the rise of 7 counts the repeated 11.5 once.
    assert [s.indices for s in chart.signals if s.kind == "trend"] == [(20, 21, 22, 23, 24, 25, 27)]


def test_xmr_two_of_three_beyond_two_sigma_on_the_same_side():
    # Limits 5.68 to 16.32, 2-sigma lines at about 7.45 and 14.55.
    chart = xmr_chart([*STEADY, 15, 11, 15, 11], baseline=20)
    assert as_tuples(chart.signals) == [("two_of_three", "above", (20, 22))]
    assert chart.signals[0].describe() == "Two of three beyond the upper 2-sigma line: points 21, 23"
    assert xmr_chart([*STEADY, 15, 11, 11, 15], baseline=20).signals == ()
    assert xmr_chart([*STEADY, 15, 7, 11], baseline=20).signals == ()  # one each side


def test_xmr_change_points_recalculate_the_limits():
    values = [*STEADY, *[20, 22] * 10]
    chart = xmr_chart(values, changes=[20])
    assert [(s.start, s.stop, s.limits.mean) for s in chart.segments] == [(0, 20, 11), (20, 40, 21)]
    assert chart.signals == ()
    # Without the change, the step is a signal against one set of limits.
    assert {s.kind for s in xmr_chart(values).signals} == {"astronomical", "shift", "two_of_three"}


def test_xmr_change_points_at_the_start_and_end_change_nothing():
    plain = xmr_chart(STEADY)
    for changes in ([0], [20], [25], [0, 20]):
        assert xmr_chart(STEADY, changes=changes).segments == plain.segments
    with pytest.raises(ValueError):
        xmr_chart(STEADY, changes=[-1])


def test_xmr_baseline_applies_to_each_segment():
    values = [*STEADY, 30, 32, 30, 32, 40]
    chart = xmr_chart(values, baseline=4, changes=[20])
    assert [(s.baseline, s.limits.mean) for s in chart.segments] == [(4, 11), (4, 31)]
    assert as_tuples(chart.signals) == [("astronomical", "above", (24,))]


def test_xmr_rules_do_not_look_across_a_change():
    # Seven points above the first mean, but four of them come after a change with a new mean.
    values = [*STEADY, 13, 13, 13, 14, 14, 14, 14]
    assert [s.kind for s in xmr_chart(values, baseline=20).signals] == ["shift"]
    assert xmr_chart(values, baseline=20, changes=[23]).signals == ()


def test_xmr_zero_moving_range():
    flat = xmr_chart([5] * 20)
    limits = flat.segments[0].limits
    assert (limits.mean, limits.upper, limits.lower, flat.signals, flat.variation) == (5, 5, 5, (), "common cause")
    assert as_tuples(xmr_chart([5] * 20 + [6], baseline=20).signals) == [("astronomical", "above", (20,))]
    single = xmr_chart([5])
    assert (single.segments[0].limits.mean_moving_range, single.signals) == (0, ())


def test_xmr_variation_without_a_direction():
    chart = xmr_chart([*STEADY, 20], baseline=20)
    assert chart.variation == "special cause"
    assert chart.assurance is None
    assert xmr_chart(STEADY).variation == "common cause"


def test_xmr_variation_describes_the_latest_point():
    chart = xmr_chart([*STEADY, 20, 11, 10], baseline=20, higher_is_better=True)
    assert chart.marked == (20,)
    assert chart.variation == "common cause"


@pytest.mark.parametrize(
    ("higher_is_better", "target", "assurance"),
    [
        (True, 5, "consistently passing"),
        (True, 17, "consistently failing"),
        (True, 12, "hit and miss"),
        (True, 16.32, "hit and miss"),
        (False, 17, "consistently passing"),
        (False, 5, "consistently failing"),
        (False, 12, "hit and miss"),
    ],
)
def test_xmr_assurance_against_a_target(higher_is_better, target, assurance):
    chart = xmr_chart(STEADY, higher_is_better=higher_is_better, target=target)
    assert chart.assurance == assurance


def test_xmr_assurance_uses_the_latest_segment():
    values = [*STEADY, *[30, 32] * 10]
    assert xmr_chart(values, changes=[20], higher_is_better=True, target=20).assurance == "consistently passing"


def test_xmr_describe_in_words():
    chart = xmr_chart([*STEADY, 20], baseline=20, higher_is_better=True, target=5)
    assert chart.describe(lambda v: f"{v:.1f}%") == [
        "Points 1 to 21: mean 11.0%, process limits 5.7% to 16.3% (from 20 points)",
        "Beyond the upper process limit: point 21 (improving)",
        "Variation: special cause improving.",
        "Assurance against the target of 5.0%: consistently passing "
        "(the target lies outside the process limits, on the worse side).",
    ]


def test_suggested_chart():
    assert (suggested_chart(19), suggested_chart(20)) == ("run", "xmr")
