"""Run charts and XmR charts of a dashboards.series.Series as server-rendered SVG: this module places
the points, centre lines, limits and PDSA markers and writes the title, description and the answer
to "is this better?"; dashboards/_spc_chart.html draws it, so every text goes through Django's
escaping.

Every rule is dashboards.charts': a run chart (charts.run_chart_signals) or an XmR chart
(charts.xmr_chart), as charts.suggested_chart() says for the number of points. The baseline:

- run chart: the points before the first PDSA change (a decision to adopt or adapt), when there
  are at least BASELINE_MIN of them and one after; else the median of all points;
- XmR chart: each segment's limits from its first charts.XMR_MIN_POINTS points (a new segment at
  each PDSA change), frozen over the rest of the segment.

Points are placed evenly in series order (programme weeks, or teams in order of session 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from . import charts
from .series import Series

WIDTH = 720
HEIGHT = 330
PLOT_LEFT = 64
PLOT_RIGHT = WIDTH - 24
PLOT_TOP = 34
PLOT_BOTTOM = HEIGHT - 70
MAX_X_TICKS = 14
BASELINE_MIN = 6  # points before a change for a run chart to freeze its median there


def _r(value: float) -> float:
    return round(value, 1)


@dataclass(frozen=True)
class PlacedPoint:
    label: str
    value_text: str
    count: int
    x: float
    y: float
    marked: bool  # some rule marks it: drawn as a square
    signals: tuple[str, ...]

    @property
    def square_x(self) -> float:
        return _r(self.x - 5.5)

    @property
    def square_y(self) -> float:
        return _r(self.y - 5.5)


@dataclass(frozen=True)
class Line:
    """A horizontal line over the points [x1, x2]: a centre line, a process limit or a 2-sigma line."""

    kind: str  # "centre", "extended" (a baseline median carried on), "limit" or "sigma"
    x1: float
    x2: float
    y: float
    label: str  # drawn at its right end; "" for none


@dataclass(frozen=True)
class PlacedMarker:
    short: str  # "P1"
    text: str
    change: bool
    x: float


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class SpcChartSvg:
    chart_id: str
    kind: str  # "run" or "xmr"
    series: Series
    title: str
    description: str
    answer: str  # "Is this better?" in words from the rules
    findings: list[str]  # the rules' describe(), one sentence each
    baseline_text: str
    points: list[PlacedPoint]
    line: str  # <polyline points>
    lines: list[Line]
    markers: list[PlacedMarker]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    enough_points: bool
    min_points: int
    has_signal: bool
    baseline_x: float | None = None  # the end of the baseline, drawn as a line
    width: int = WIDTH
    height: int = HEIGHT
    left: int = PLOT_LEFT
    right: int = PLOT_RIGHT
    top: int = PLOT_TOP
    bottom: int = PLOT_BOTTOM
    rules: list[str] = field(default_factory=list)

    @property
    def kind_name(self) -> str:
        return "XmR (SPC) chart" if self.kind == "xmr" else "Run chart"

    @property
    def y_name(self) -> str:
        return f"{self.series.value_name} ({self.series.unit})"

    @property
    def x_title_x(self) -> float:
        return (self.left + self.right) / 2

    @property
    def y_title_y(self) -> float:
        return (self.top + self.bottom) / 2


def _y_max(series: Series, extra: list[float]) -> float:
    if series.unit == "%":
        return 100.0
    top = max([*series.values, *extra, 1.0])
    step = 7 if top > 14 else 2
    return float(step * math.ceil(top / step))


def _y_ticks(y_max: float, unit: str, y_of) -> list[Tick]:
    if unit == "%":
        values = [0, 25, 50, 75, 100]
    else:
        step = y_max / 4
        values = [round(step * i, 1) for i in range(5)]
    suffix = "%" if unit == "%" else ""
    return [Tick(y_of(v), f"{v:g}{suffix}") for v in values]


def _short(series: Series, index: int) -> str:
    point = series.points[index]
    if point.label.startswith("Week "):
        return point.label.removeprefix("Week ")
    return str(index + 1)


def _run_baseline(series: Series) -> int | None:
    changes = series.changes
    if changes and BASELINE_MIN <= changes[0] < len(series.points):
        return changes[0]
    return None


def _answer(
    series: Series, signals: list[charts.Signal], enough: bool, centre_text: str, runs: charts.RunsTest | None = None
) -> str:
    if not series.points:
        return "Is this better? No points yet."
    if not enough:
        return (
            f"Is this better? Too few points to tell: the rules need {charts.MIN_POINTS}, "
            f"and there {'is' if len(series.points) == 1 else 'are'} {len(series.points)}."
        )
    latest = [s for s in signals if s.end == len(series.points) - 1] or signals
    if not latest and runs is not None and runs.signal:
        return f"Is this better? No shift or trend, but the points do not vary at random: {runs.describe(series.fmt)}."
    if not latest:
        return f"Is this better? No signal: the points vary around {centre_text} as before."
    signal = latest[-1]
    better = signal.high == series.higher_is_better
    direction = "higher" if series.higher_is_better else "lower"
    verdict = "better" if better else "worse"
    return f"Is this {verdict}? {signal.describe(series.fmt)} ({direction} is better)."


def spc_chart_svg(*, chart_id: str, series: Series) -> SpcChartSvg:
    """Places the chart of a series; a series below the rules' minimum still shows its points."""
    values = series.values
    n = len(values)
    kind = charts.suggested_chart(n)
    if kind == "xmr":
        xmr = charts.xmr_chart(
            values,
            baseline=charts.XMR_MIN_POINTS,
            changes=series.changes,
            higher_is_better=series.higher_is_better,
        )
        signals = list(xmr.signals)
        findings = xmr.describe(series.fmt)
        marked = set(xmr.marked)
        enough = True
        extra = [v for s in xmr.segments for v in (s.limits.upper, s.limits.lower)]
        baseline_text = (
            f"Mean and process limits from the first {charts.XMR_MIN_POINTS} points of each segment "
            "(a new segment starts at each PDSA change), frozen over the rest."
        )
        centre_text = "the mean"
        baseline = None
        runs = None
    else:
        baseline = _run_baseline(series)
        run = charts.run_chart_signals(values, baseline=baseline)
        signals = list(run.signals)
        findings = run.describe(series.fmt) if n else ["No points yet."]
        marked = set(run.marked) if run.enough_points else set()
        enough = run.enough_points
        extra = []
        if baseline is None:
            baseline_text = "Median of all the points (no PDSA change with enough points before it for a baseline)."
        else:
            baseline_text = (
                f"Baseline: the first {baseline} points, before the first PDSA change; its median is "
                "carried on over the later points."
            )
        runs = run.runs
        name = "baseline median" if baseline else "median"
        centre_text = f"the {name} of {series.fmt(run.median)}" if run.median is not None else f"the {name}"
    y_max = _y_max(series, extra)
    step = (PLOT_RIGHT - PLOT_LEFT) / max(n, 1)

    def x_of(index: float) -> float:
        return _r(PLOT_LEFT + step * (index + 0.5))

    def y_of(value: float) -> float:
        return _r(PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * max(0.0, min(y_max, value)) / y_max)

    in_signals: dict[int, list[str]] = {}
    for signal in signals:
        for index in signal.indices:
            in_signals.setdefault(index, []).append(signal.describe(series.fmt))
    points = [
        PlacedPoint(
            label=p.label,
            value_text=series.fmt(p.value),
            count=p.count,
            x=x_of(i),
            y=y_of(p.value),
            marked=i in marked,
            signals=tuple(in_signals.get(i, ())),
        )
        for i, p in enumerate(series.points)
    ]
    lines: list[Line] = []
    if kind == "xmr":
        for segment in xmr.segments:
            x1, x2 = x_of(segment.start - 0.4), x_of(segment.stop - 0.6)
            limits = segment.limits
            lines.append(Line("centre", x1, x2, y_of(limits.mean), f"Mean {series.fmt(limits.mean)}"))
            lines.append(Line("limit", x1, x2, y_of(limits.upper), f"Upper {series.fmt(limits.upper)}"))
            lines.append(Line("limit", x1, x2, y_of(limits.lower), f"Lower {series.fmt(limits.lower)}"))
            lines.append(Line("sigma", x1, x2, y_of(limits.upper_2sigma), ""))
            lines.append(Line("sigma", x1, x2, y_of(limits.lower_2sigma), ""))
    elif n:
        median = run.median
        label = f"{'Baseline median' if baseline else 'Median'} {series.fmt(median)}"
        if baseline:
            lines.append(Line("centre", x_of(-0.4), x_of(baseline - 0.6), y_of(median), ""))
            lines.append(Line("extended", x_of(baseline - 0.5), x_of(n - 0.6), y_of(median), label))
        else:
            lines.append(Line("centre", x_of(-0.4), x_of(n - 0.6), y_of(median), label))
    markers = [
        PlacedMarker(f"P{number}", m.text, m.change, x_of(m.index - 0.5))
        for number, m in enumerate(series.markers, start=1)
    ]
    every = max(1, math.ceil(n / MAX_X_TICKS))
    x_ticks = [Tick(x_of(i), _short(series, i)) for i in range(0, n, every)]
    signal_words = [s.describe(series.fmt) for s in signals]
    description = _description(series, kind, findings, n)
    rules = (
        [
            "A point beyond the process limits, 7 in a row on one side of the mean, 7 rising or falling, "
            "or two of three beyond the same 2-sigma line (Making Data Count) is a signal, drawn as a square."
        ]
        if kind == "xmr"
        else [
            "A shift is 6 or more points in a row on one side of the median (points on it neither count nor "
            "break the run); a trend is 5 or more rising or falling (equal neighbours count once); too few or "
            "too many runs is a signal too. Points a rule marks are drawn as squares."
        ]
    )
    return SpcChartSvg(
        chart_id=chart_id,
        kind=kind,
        series=series,
        title=series.title,
        description=description,
        answer=_answer(series, signals, enough, centre_text, runs),
        findings=findings,
        baseline_text=baseline_text,
        points=points,
        line=" ".join(f"{p.x},{p.y}" for p in points),
        lines=lines,
        markers=markers,
        x_ticks=x_ticks,
        y_ticks=_y_ticks(y_max, series.unit, y_of),
        enough_points=enough,
        min_points=charts.MIN_POINTS,
        has_signal=bool(signal_words) or (enough and runs is not None and runs.signal),
        baseline_x=x_of(baseline - 0.5) if kind == "run" and baseline else None,
        rules=rules,
    )


def _description(series: Series, kind: str, findings: list[str], n: int) -> str:
    if not n:
        return f"{series.title}: no points yet."
    values = series.values
    chart = "an XmR chart" if kind == "xmr" else "a run chart"
    words = [
        f"{series.title}, as {chart} of {n} point{'s' if n != 1 else ''} "
        f"({series.points[0].label} to {series.points[-1].label}): lowest {series.fmt(min(values))}, "
        f"highest {series.fmt(max(values))}."
    ]
    words += [f.rstrip(".") + "." for f in findings]
    if series.markers:
        words.append(f"{len(series.markers)} PDSA marker{'s' if len(series.markers) != 1 else ''} on the axis.")
    return " ".join(words)
