"""Run charts and XmR (SPC) charts: the rules, as pure functions of a series of values in time order.

Nothing here reads the database, the clock or settings; pages pass the values in (oldest first) and
format the words with their own unit (`describe(fmt)` takes a function from a value to text).

Run charts (Perla RJ, Provost LP, Murray SK. "The run chart: a simple analytical tool for learning from
variation in healthcare processes". BMJ Qual Saf 2011;20:46-51):

- Centre line: the median of all points, or of the first N points (a baseline), frozen and extended
  over the later points.
- Shift: 6 or more consecutive points on one side of the median. Points on the median neither break a
  run nor count towards it.
- Trend: 5 or more consecutive points all rising or all falling. Equal neighbours count once.
- Runs: the useful observations are the points not on the median; a run is a maximal sequence of them
  on one side. Fewer runs than the lower limit, or more than the upper limit, is a signal. The limits
  are `RUNS_LIMITS`, for 10 to 60 useful observations; outside that range the test is not applied.
- With fewer than 10 points the shift and trend rules are not applied (too little to tell signal
  from noise); the median and the points are still returned.
- With a baseline, the rules run over all the points against the frozen median, but a run never
  joins baseline points to later ones: a change after the baseline signals on the later points alone,
  and the baseline's points are not marked for it. The runs test is applied to the points the median
  was taken from (the baseline, or all), because its limits assume that the median splits them evenly.

`RUNS_LIMITS` is the paper's Table 1 ("Tests for number of runs above and below the median"), which
adapts Swed and Eisenhart's tables (Swed FS, Eisenhart C. "Tables for testing randomness of grouping
in a sequence of alternatives". Ann Math Stat 1943;14:66-87) at about 5% risk, for 10 to 60 useful
observations. The literal was transcribed from the table as it is reproduced in run-chart guidance;
as a guard against a mistyped row, `tests/test_charts.py` checks every row against the exact
distribution of the number of runs (`run_distribution`, with the useful observations split as evenly
as the median splits them): each limit is within one run of the count that leaves 2.5% in that tail
(`runs_limits_from_distribution`), and no row leaves more than 3.5% in either tail. The table is
slightly more cautious than that computation in some rows (20 useful observations: 6 to 16, where
2.5% a tail gives 7 to 15), and the table is what the rule uses.

XmR charts as NHS England and NHS Improvement's "Making Data Count" (2019) uses them
(https://www.england.nhs.uk/publication/making-data-count/), with its rules:

- Mean and process limits: mean +/- 2.66 x the mean moving range (3 sigma, sigma = mean moving range /
  1.128), and 2-sigma lines at two thirds of that distance, from the first N points (a baseline) or
  from all the points.
- Recalculated limits: from each point a manager marks as a change (a PDSA change) a new segment
  starts, with its own mean and limits; the rules never look across a change.
- A point beyond the process limits (an astronomical point); a run of 7 or more on one side of the mean
  (points on the mean neither break nor count, as on run charts); a trend of 7 or more rising or
  falling (equal neighbours counting once); two of three consecutive points beyond the same 2-sigma
  line.
- Variation in words (the icons): common cause, or special cause improving or concerning, given which
  direction is better; it describes the latest point. Assurance against a target from the latest
  segment's limits: consistently passing (the target lies outside the limits on the side that is worse,
  so every point should meet it), consistently failing (outside on the better side), hit and miss (the
  target lies within the limits, inclusive).
- Run charts suit few points or data that do not meet the SPC assumptions; XmR limits want at least
  `XMR_MIN_POINTS` points.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from math import comb

SHIFT_LENGTH = 6
TREND_LENGTH = 5
MIN_POINTS = 10
XMR_SHIFT_LENGTH = 7
XMR_TREND_LENGTH = 7
XMR_MIN_POINTS = 20
XMR_SCALE = 2.66  # 3 / d2, d2 = 1.128 for moving ranges of two points
RUNS_TAIL = Fraction(25, 1000)

# Useful observations -> (lower, upper): fewer runs than lower are too few, more than upper too many.
# Perla, Provost and Murray 2011, Table 1 (see the module docstring).
RUNS_LIMITS: dict[int, tuple[int, int]] = {
    10: (3, 9), 11: (3, 10), 12: (3, 11), 13: (4, 11), 14: (4, 12), 15: (5, 12),
    16: (5, 13), 17: (5, 13), 18: (6, 14), 19: (6, 15), 20: (6, 16), 21: (7, 16),
    22: (7, 17), 23: (7, 17), 24: (8, 18), 25: (8, 18), 26: (9, 19), 27: (10, 19),
    28: (10, 20), 29: (10, 20), 30: (11, 21), 31: (11, 22), 32: (11, 23), 33: (12, 23),
    34: (12, 24), 35: (13, 24), 36: (13, 25), 37: (13, 25), 38: (14, 26), 39: (14, 26),
    40: (15, 27), 41: (16, 27), 42: (16, 28), 43: (17, 28), 44: (17, 29), 45: (17, 30),
    46: (17, 31), 47: (18, 31), 48: (18, 32), 49: (19, 32), 50: (19, 33), 51: (20, 33),
    52: (20, 34), 53: (21, 34), 54: (21, 35), 55: (22, 35), 56: (22, 36), 57: (23, 36),
    58: (23, 37), 59: (24, 38), 60: (24, 38),
}  # fmt: skip

Formatter = Callable[[float], str]


def _plain(value: float) -> str:
    return f"{value:g}"


def _points(indices: Sequence[int], total: int) -> str:
    """ "the last 7 points" or "points 3 to 9 (7 in a row)", numbered from 1 as a reader counts."""
    if indices[-1] == total - 1:
        return f"the last {len(indices)} points"
    return f"points {indices[0] + 1} to {indices[-1] + 1} ({len(indices)} in a row)"


# -- Signals ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signal:
    """One rule firing: the points it marks, in order, and the line they were judged against."""

    kind: str  # "shift", "trend", "astronomical" or "two_of_three"
    direction: str  # "above"/"below" (shift, astronomical, two of three) or "up"/"down" (trend)
    indices: tuple[int, ...]
    centre: float | None = None
    centre_name: str = "median"  # "median", "baseline median" or "mean"
    total: int = 0  # points in the series, to say "the last N points"

    @property
    def start(self) -> int:
        return self.indices[0]

    @property
    def end(self) -> int:
        return self.indices[-1]

    @property
    def length(self) -> int:
        return len(self.indices)

    @property
    def high(self) -> bool:
        """True when the signal points to higher values (above the line, or rising)."""
        return self.direction in ("above", "up")

    def describe(self, fmt: Formatter = _plain) -> str:
        where = _points(self.indices, self.total or self.end + 1)
        line = f"the {self.centre_name} of {fmt(self.centre)}" if self.centre is not None else f"the {self.centre_name}"
        if self.kind == "shift":
            return f"Shift: {where} are {self.direction} {line}"
        if self.kind == "trend":
            return f"Trend: {where} are {'rising' if self.high else 'falling'}"
        numbers = ", ".join(str(i + 1) for i in self.indices)
        if self.kind == "astronomical":
            return f"Beyond the {'upper' if self.high else 'lower'} process limit: point {numbers}"
        return f"Two of three beyond the {'upper' if self.high else 'lower'} 2-sigma line: points {numbers}"


def _sides(values: Sequence[float], centre: float, start: int, stop: int) -> list[tuple[int, int]]:
    """(index, +1 above / -1 below) for the points in [start, stop) that are off the centre line."""
    return [(i, 1 if values[i] > centre else -1) for i in range(start, stop) if values[i] != centre]


def _shifts_in(values, centre, start, stop, length, centre_name) -> list[Signal]:
    signals: list[Signal] = []
    run: list[int] = []
    side = 0
    for index, this_side in [*_sides(values, centre, start, stop), (None, 0)]:
        if this_side != side:
            if len(run) >= length:
                direction = "above" if side > 0 else "below"
                signals.append(Signal("shift", direction, tuple(run), centre, centre_name, len(values)))
            run, side = [], this_side
        if index is not None:
            run.append(index)
    return signals


def _trends_in(values, start, stop, length) -> list[Signal]:
    # Equal neighbours count once: keep the first of each group of equal consecutive values.
    kept = [i for i in range(start, stop) if i == start or values[i] != values[i - 1]]
    signals: list[Signal] = []
    run: list[int] = kept[:1]
    direction = 0
    for previous, current in zip(kept, kept[1:], strict=False):
        step = 1 if values[current] > values[previous] else -1
        if step == direction:
            run.append(current)
            continue
        if len(run) >= length and direction:
            signals.append(Signal("trend", "up" if direction > 0 else "down", tuple(run), total=len(values)))
        run, direction = [previous, current], step
    if len(run) >= length and direction:
        signals.append(Signal("trend", "up" if direction > 0 else "down", tuple(run), total=len(values)))
    return signals


def _spans(total: int, cuts: Iterable[int]) -> list[tuple[int, int]]:
    """[start, stop) spans of a series of `total` points cut before each index in `cuts`."""
    edges = [0, *sorted({c for c in cuts if 0 < c < total}), total]
    return [(a, b) for a, b in zip(edges, edges[1:], strict=False) if a < b]


# -- Run charts ------------------------------------------------------------------------------------


def _baseline_length(values: Sequence[float], baseline: int | None) -> int | None:
    if baseline is None:
        return None
    if baseline < 1:
        raise ValueError("A baseline needs at least one point.")
    return min(baseline, len(values))


def run_chart_median(values: Sequence[float], baseline: int | None = None) -> float | None:
    """The median of the first `baseline` points (frozen), or of all points; None with no points."""
    n = _baseline_length(values, baseline)
    points = values[:n] if n is not None else values
    return statistics.median(points) if points else None


def _centre_name(baseline: int | None) -> str:
    return "median" if baseline is None else "baseline median"


def shifts(values: Sequence[float], baseline: int | None = None, length: int = SHIFT_LENGTH) -> list[Signal]:
    """Runs of `length` or more points on one side of the (baseline) median; no run joins the baseline
    to later points."""
    values = tuple(values)
    median = run_chart_median(values, baseline)
    if median is None:
        return []
    n = _baseline_length(values, baseline)
    return [
        signal
        for start, stop in _spans(len(values), [n] if n else [])
        for signal in _shifts_in(values, median, start, stop, length, _centre_name(baseline))
    ]


def trends(values: Sequence[float], baseline: int | None = None, length: int = TREND_LENGTH) -> list[Signal]:
    """Runs of `length` or more points all rising or all falling (equal neighbours counting once); no
    run joins the baseline to later points."""
    values = tuple(values)
    n = _baseline_length(values, baseline)
    return [
        signal
        for start, stop in _spans(len(values), [n] if n else [])
        for signal in _trends_in(values, start, stop, length)
    ]


@dataclass(frozen=True)
class RunsTest:
    """The runs test: how many runs the useful observations make, against the table's limits."""

    useful: int
    runs: int
    lower: int | None  # None when the test is not applied
    upper: int | None
    indices: tuple[int, ...]  # the useful observations tested
    centre_name: str = "median"

    @property
    def applied(self) -> bool:
        return self.lower is not None

    @property
    def verdict(self) -> str:
        """ "too few runs", "too many runs", "no signal", "too few points" or "beyond the table"."""
        if self.lower is None or self.upper is None:
            return "too few points" if self.useful < min(RUNS_LIMITS) else "beyond the table"
        if self.runs < self.lower:
            return "too few runs"
        if self.runs > self.upper:
            return "too many runs"
        return "no signal"

    @property
    def signal(self) -> bool:
        return self.verdict in ("too few runs", "too many runs")

    @property
    def marked(self) -> tuple[int, ...]:
        """The points the rule marks: the useful observations, when it signals."""
        return self.indices if self.signal else ()

    def describe(self, fmt: Formatter = _plain) -> str:
        counted = f"{self.runs} runs in {self.useful} useful observations"
        if self.verdict == "too few points":
            return f"Runs: {counted}; the runs test needs at least {min(RUNS_LIMITS)} points off the {self.centre_name}"
        if self.verdict == "beyond the table":
            return f"Runs: {counted}; the runs test table stops at {max(RUNS_LIMITS)}"
        limits = f"fewer than {self.lower} would be too few, more than {self.upper} too many"
        if self.signal:
            return f"Runs: {counted}, {self.verdict} ({limits})"
        return f"Runs: {counted}, within the limits ({limits})"


def count_runs(values: Sequence[float], centre: float) -> tuple[int, tuple[int, ...]]:
    """(number of runs, indices of the useful observations) about a centre line."""
    sides = _sides(values, centre, 0, len(values))
    runs = sum(1 for k, (_, side) in enumerate(sides) if k == 0 or side != sides[k - 1][1])
    return runs, tuple(i for i, _ in sides)


def runs_test(values: Sequence[float], baseline: int | None = None) -> RunsTest:
    """The runs test on the points the median comes from (the baseline, or all)."""
    values = tuple(values)
    median = run_chart_median(values, baseline)
    n = _baseline_length(values, baseline)
    tested = values[:n] if n is not None else values
    runs, indices = count_runs(tested, median) if median is not None else (0, ())
    lower, upper = RUNS_LIMITS.get(len(indices), (None, None))
    return RunsTest(len(indices), runs, lower, upper, indices, _centre_name(baseline))


def run_distribution(n1: int, n2: int) -> dict[int, Fraction]:
    """The exact distribution of the number of runs in a random order of n1 of one kind and n2 of the
    other (Swed and Eisenhart 1943): number of runs -> probability."""
    total = comb(n1 + n2, n1)
    distribution: dict[int, Fraction] = {}
    for runs in range(2, n1 + n2 + 1):
        k = runs // 2
        if runs % 2 == 0:
            ways = 2 * comb(n1 - 1, k - 1) * comb(n2 - 1, k - 1)
        else:
            ways = comb(n1 - 1, k - 1) * comb(n2 - 1, k) + comb(n1 - 1, k) * comb(n2 - 1, k - 1)
        if ways:
            distribution[runs] = Fraction(ways, total)
    return distribution


def runs_limits_from_distribution(useful: int, tail: Fraction = RUNS_TAIL) -> tuple[int, int]:
    """(lower, upper) for `useful` observations split evenly about the median, at most `tail` in each
    tail: the exact computation `RUNS_LIMITS` is checked against."""
    distribution = run_distribution(useful // 2, useful - useful // 2)

    def first_beyond(order: list[int]) -> int:
        cumulative = Fraction(0)
        for runs in order:
            cumulative += distribution[runs]
            if cumulative > tail:
                return runs
        raise ValueError("No limit: the tail never passes the risk.")

    return first_beyond(sorted(distribution)), first_beyond(sorted(distribution, reverse=True))


@dataclass(frozen=True)
class RunChartSignals:
    """A run chart: its median and what each rule found."""

    values: tuple[float, ...]
    median: float | None
    baseline: int | None  # the number of points the median was frozen from, or None for all
    shifts: tuple[Signal, ...] = field(default=())
    trends: tuple[Signal, ...] = field(default=())
    runs: RunsTest | None = None

    @property
    def enough_points(self) -> bool:
        return len(self.values) >= MIN_POINTS

    @property
    def signals(self) -> tuple[Signal, ...]:
        return tuple(sorted(self.shifts + self.trends, key=lambda s: (s.start, s.kind)))

    @property
    def marked(self) -> tuple[int, ...]:
        """Every point some rule marks, in order."""
        points = {i for s in self.signals for i in s.indices}
        points.update(self.runs.marked if self.runs else ())
        return tuple(sorted(points))

    def describe(self, fmt: Formatter = _plain) -> list[str]:
        """One plain-English sentence per finding."""
        if self.median is None:
            return ["No points yet."]
        lines = [f"{_centre_name(self.baseline).capitalize()}: {fmt(self.median)}"]
        if not self.enough_points:
            lines.append(f"Too few points for the run-chart rules: {len(self.values)} of {MIN_POINTS}.")
            return lines
        lines += [s.describe(fmt) for s in self.signals]
        if self.runs is not None:
            lines.append(self.runs.describe(fmt))
        return lines


def run_chart_signals(values: Sequence[float], baseline: int | None = None) -> RunChartSignals:
    """The run chart of a series in time order: its median and the shifts, trends and runs test.

    `baseline`: freeze the median from the first `baseline` points (all of them when the series is
    shorter) and judge the later points against it. Below `MIN_POINTS` points only the median is
    given; the runs test reports "too few points" below 10 useful observations.
    """
    values = tuple(float(v) for v in values)
    median = run_chart_median(values, baseline)
    if median is None:
        return RunChartSignals(values=(), median=None, baseline=baseline)
    if len(values) < MIN_POINTS:
        return RunChartSignals(values=values, median=median, baseline=baseline, runs=runs_test(values, baseline))
    return RunChartSignals(
        values=values,
        median=median,
        baseline=baseline,
        shifts=tuple(shifts(values, baseline)),
        trends=tuple(trends(values, baseline)),
        runs=runs_test(values, baseline),
    )


# -- XmR charts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """An XmR segment's mean and limits."""

    mean: float
    mean_moving_range: float

    @property
    def sigma(self) -> float:
        return XMR_SCALE * self.mean_moving_range / 3

    @property
    def upper(self) -> float:
        return self.mean + XMR_SCALE * self.mean_moving_range

    @property
    def lower(self) -> float:
        return self.mean - XMR_SCALE * self.mean_moving_range

    @property
    def upper_2sigma(self) -> float:
        return self.mean + 2 * XMR_SCALE * self.mean_moving_range / 3

    @property
    def lower_2sigma(self) -> float:
        return self.mean - 2 * XMR_SCALE * self.mean_moving_range / 3


def xmr_limits(values: Sequence[float]) -> Limits:
    """Mean and limits from these points; one point has no moving range, so its limits are its mean."""
    if not values:
        raise ValueError("Limits need at least one point.")
    ranges = [abs(b - a) for a, b in zip(values, values[1:], strict=False)]
    return Limits(statistics.fmean(values), statistics.fmean(ranges) if ranges else 0.0)


@dataclass(frozen=True)
class Segment:
    """The points [start, stop) between two changes, with limits from the first `baseline` of them."""

    start: int
    stop: int
    baseline: int
    limits: Limits


def _astronomical(values, segment: Segment) -> list[Signal]:
    """One signal per point beyond the process limits."""
    limits = segment.limits
    return [
        Signal("astronomical", "above" if values[i] > limits.upper else "below", (i,), total=len(values))
        for i in range(segment.start, segment.stop)
        if values[i] > limits.upper or values[i] < limits.lower
    ]


def _two_of_three(values, segment: Segment) -> list[Signal]:
    signals: list[Signal] = []
    limits = segment.limits
    for direction, beyond in (
        ("above", lambda v: v > limits.upper_2sigma),
        ("below", lambda v: v < limits.lower_2sigma),
    ):
        marked: set[int] = set()
        for first in range(segment.start, segment.stop - 2):
            window = [i for i in range(first, first + 3) if beyond(values[i])]
            if len(window) >= 2:
                marked.update(window)
        # Overlapping windows join into one signal while the marked points stay within two of each other.
        group: list[int] = []
        for index in sorted(marked):
            if group and index - group[-1] > 2:
                signals.append(Signal("two_of_three", direction, tuple(group), total=len(values)))
                group = []
            group.append(index)
        if group:
            signals.append(Signal("two_of_three", direction, tuple(group), total=len(values)))
    return signals


@dataclass(frozen=True)
class XmrChart:
    values: tuple[float, ...]
    segments: tuple[Segment, ...]
    signals: tuple[Signal, ...]
    higher_is_better: bool | None
    target: float | None

    def segment_of(self, index: int) -> Segment:
        return next(s for s in self.segments if s.start <= index < s.stop)

    @property
    def marked(self) -> tuple[int, ...]:
        return tuple(sorted({i for s in self.signals for i in s.indices}))

    def _improving(self, signal: Signal) -> bool | None:
        return None if self.higher_is_better is None else signal.high == self.higher_is_better

    @property
    def variation(self) -> str:
        """The variation icon for the latest point: "common cause", "special cause improving",
        "special cause concerning", "special cause" (no better direction given) or "special cause
        improving and concerning" (signals both ways mark the latest point)."""
        if not self.values:
            return "common cause"
        last = len(self.values) - 1
        kinds = {self._improving(s) for s in self.signals if last in s.indices}
        if not kinds:
            return "common cause"
        if kinds == {True}:
            return "special cause improving"
        if kinds == {False}:
            return "special cause concerning"
        if kinds == {None}:
            return "special cause"
        return "special cause improving and concerning"

    @property
    def assurance(self) -> str | None:
        """ "consistently passing", "consistently failing" or "hit and miss" against the target, from
        the latest segment's limits; None without a target or a better direction."""
        if self.target is None or self.higher_is_better is None or not self.segments:
            return None
        limits = self.segments[-1].limits
        if self.higher_is_better:
            good_floor, bad_ceiling = limits.lower > self.target, limits.upper < self.target
        else:
            good_floor, bad_ceiling = limits.upper < self.target, limits.lower > self.target
        if good_floor:
            return "consistently passing"
        if bad_ceiling:
            return "consistently failing"
        return "hit and miss"

    def describe(self, fmt: Formatter = _plain) -> list[str]:
        if not self.values:
            return ["No points yet."]
        lines = []
        for segment in self.segments:
            limits = segment.limits
            lines.append(
                f"Points {segment.start + 1} to {segment.stop}: mean {fmt(limits.mean)}, process limits "
                f"{fmt(limits.lower)} to {fmt(limits.upper)} (from {segment.baseline} points)"
            )
        for signal in self.signals:
            improving = self._improving(signal)
            note = "" if improving is None else (" (improving)" if improving else " (concerning)")
            lines.append(signal.describe(fmt) + note)
        lines.append(f"Variation: {self.variation}.")
        if self.assurance is not None:
            where = {
                "consistently passing": "the target lies outside the process limits, on the worse side",
                "consistently failing": "the target lies outside the process limits, on the better side",
                "hit and miss": "the target lies within the process limits",
            }[self.assurance]
            lines.append(f"Assurance against the target of {fmt(self.target)}: {self.assurance} ({where}).")
        return lines


def xmr_chart(
    values: Sequence[float],
    *,
    baseline: int | None = None,
    changes: Iterable[int] = (),
    higher_is_better: bool | None = None,
    target: float | None = None,
) -> XmrChart:
    """An XmR chart with Making Data Count's rules.

    `changes`: indices of points a manager marked as a change (a PDSA change); each starts a segment
    with its own mean and limits (a change at the first point, or past the last, changes nothing).
    `baseline`: take each segment's limits from its first `baseline` points (all of them when it has
    fewer), frozen over the rest of the segment. `higher_is_better` gives the icons their direction.
    """
    values = tuple(float(v) for v in values)
    if baseline is not None and baseline < 1:
        raise ValueError("A baseline needs at least one point.")
    changes = list(changes)
    if any(c < 0 for c in changes):
        raise ValueError("A change point cannot come before the first point.")
    segments = []
    for start, stop in _spans(len(values), changes):
        used = min(baseline, stop - start) if baseline is not None else stop - start
        segments.append(Segment(start, stop, used, xmr_limits(values[start : start + used])))
    signals: list[Signal] = []
    for segment in segments:
        mean = segment.limits.mean
        signals += _astronomical(values, segment)
        signals += _shifts_in(values, mean, segment.start, segment.stop, XMR_SHIFT_LENGTH, "mean")
        signals += _trends_in(values, segment.start, segment.stop, XMR_TREND_LENGTH)
        signals += _two_of_three(values, segment)
    signals.sort(key=lambda s: (s.start, s.kind))
    return XmrChart(values, tuple(segments), tuple(signals), higher_is_better, target)


def suggested_chart(points: int) -> str:
    """ "xmr" from `XMR_MIN_POINTS` points, "run" below (too few points for trustworthy limits)."""
    return "xmr" if points >= XMR_MIN_POINTS else "run"
