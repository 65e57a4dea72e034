"""The run-chart rules with hand-built series."""

from dashboards.runchart import find_shifts, find_trends, run_chart


def test_shift_of_exactly_six_points_below_the_median():
    values = [50, 50, 50, 50, 50, 50, 10, 10, 10, 10, 10, 10, 60, 70]
    chart = run_chart(values)
    assert chart.median == 50
    # The six 50s sit on the median: they neither count nor break. Six 10s in a row below it.
    assert [(s.direction, s.indices) for s in chart.shifts] == [("below", (6, 7, 8, 9, 10, 11))]
    assert chart.shifts[0].describe() == "Shift: 6 points in a row below the median"


def test_five_points_on_one_side_is_not_a_shift():
    values = [1, 9, 1, 9, 9, 9, 9, 9, 1, 1, 1, 5]
    assert run_chart(values).median == 7.0
    assert find_shifts(values, 7.0) == []


def test_points_on_the_median_neither_break_nor_count():
    # Median 5: three above, two on the median, three above: six that count, one shift of six.
    values = [8, 8, 8, 5, 5, 8, 8, 8, 1, 1, 1, 1, 1, 5]
    chart = run_chart(values)
    assert chart.median == 5
    assert [(s.direction, s.indices) for s in chart.shifts] == [("above", (0, 1, 2, 5, 6, 7))]


def test_points_on_the_median_do_not_join_two_short_runs_into_a_shift():
    values = [9, 9, 9, 5, 1, 9, 9, 9, 1, 1, 5, 5]
    assert find_shifts(values, 5) == []


def test_trend_of_five_with_equal_neighbours_counting_once():
    # 1, 2, 2, 3, 4, 5: the two 2s count once: five rising points (indices 0, 1, 3, 4, 5).
    values = [1, 2, 2, 3, 4, 5, 3, 3, 3, 3]
    trends = find_trends(values)
    assert [(t.direction, t.indices) for t in trends] == [("up", (0, 1, 3, 4, 5))]
    assert trends[0].describe() == "Trend: 5 points in a row rising"


def test_four_rising_points_with_a_repeat_is_not_a_trend():
    values = [1, 2, 2, 3, 4, 1, 0, 1, 0, 1]
    assert find_trends(values) == []


def test_falling_trend_and_turning_point_shared():
    values = [9, 8, 7, 6, 5, 6, 7, 8, 9, 10]
    trends = find_trends(values)
    assert [(t.direction, t.indices) for t in trends] == [("down", (0, 1, 2, 3, 4)), ("up", (4, 5, 6, 7, 8, 9))]


def test_fewer_than_ten_points_gives_a_median_but_no_signals():
    values = [10, 20, 30, 40, 50, 60, 70, 80, 90]
    chart = run_chart(values)
    assert chart.enough_points is False
    assert chart.median == 50
    assert chart.signals == ()
    assert find_trends(values)[0].length == 9  # the rule would fire; the chart withholds it


def test_empty_series():
    chart = run_chart([])
    assert chart.median is None and chart.signals == ()
