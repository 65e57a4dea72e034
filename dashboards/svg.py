"""Run charts as server-rendered SVG: this module places everything (points, median, axes, markers,
signal labels) and writes the chart's title and description; the template
dashboards/_run_chart.html draws it, so every piece of text goes through Django's escaping.

The rules (median, shifts, trends, too few points) are dashboards.runchart's; nothing here decides
what is a signal, only where to draw it and how to say it in words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from .runchart import MIN_POINTS, RunChart, Signal, run_chart

WIDTH = 720
HEIGHT = 330
PLOT_LEFT = 64
PLOT_RIGHT = WIDTH - 24
PLOT_TOP = 30
PLOT_BOTTOM = HEIGHT - 80
Y_TICKS = (0, 25, 50, 75, 100)
MAX_X_TICKS = 8


@dataclass(frozen=True)
class ChartPoint:
    date: dt.date
    value: float  # 0 to 100
    label: str  # e.g. "Session 4"


@dataclass(frozen=True)
class ChartMarker:
    """Something that happened on a day, marked on the time axis."""

    date: dt.date
    kind: str  # "coaching" or "pdsa"
    short: str  # drawn on the chart, e.g. "C3"
    text: str  # said in full in the key and the table


@dataclass(frozen=True)
class PlacedPoint:
    point: ChartPoint
    x: float
    y: float
    shape: str  # "circle"; "square" in a shift; "diamond" in a trend (a shift wins)
    signals: tuple[str, ...]  # the signals it belongs to, in words

    @property
    def value_label(self) -> str:
        return percent_label(self.point.value)

    @property
    def square_x(self) -> float:
        return _r(self.x - 5.5)

    @property
    def square_y(self) -> float:
        return _r(self.y - 5.5)

    @property
    def diamond(self) -> str:
        """The points of a diamond around (x, y), for <polygon points>."""
        x, y, r = self.x, self.y, 6.5
        return f"{x},{_r(y - r)} {_r(x + r)},{y} {x},{_r(y + r)} {_r(x - r)},{y}"


@dataclass(frozen=True)
class PlacedMarker:
    marker: ChartMarker
    x: float

    @property
    def triangle(self) -> str:
        x, y = self.x, PLOT_BOTTOM + 5
        return f"{x},{y} {_r(x - 5)},{y + 9} {_r(x + 5)},{y + 9}"


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class SignalLabel:
    text: str  # short, drawn over the signal's points
    x: float
    y: float
    x1: float  # the bracket over the points
    x2: float
    bracket_y: float

    @property
    def bracket(self) -> str:
        """A bracket over the points, for <polyline points>."""
        end = _r(self.bracket_y + 6)
        return f"{self.x1},{end} {self.x1},{self.bracket_y} {self.x2},{self.bracket_y} {self.x2},{end}"


@dataclass(frozen=True)
class RunChartSvg:
    chart_id: str
    title: str
    description: str
    value_name: str
    chart: RunChart
    points: list[PlacedPoint]
    line: str  # <polyline points>
    median_y: float | None
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    markers: list[PlacedMarker]
    signal_labels: list[SignalLabel]
    signal_texts: list[str]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = PLOT_LEFT
    right: int = PLOT_RIGHT
    top: int = PLOT_TOP
    bottom: int = PLOT_BOTTOM

    @property
    def median_label(self) -> str:
        return "" if self.chart.median is None else percent_label(self.chart.median)

    @property
    def enough_points(self) -> bool:
        return self.chart.enough_points

    @property
    def min_points(self) -> int:
        return MIN_POINTS

    @property
    def coaching_markers(self) -> list[PlacedMarker]:
        return [m for m in self.markers if m.marker.kind == "coaching"]

    @property
    def pdsa_markers(self) -> list[PlacedMarker]:
        return [m for m in self.markers if m.marker.kind == "pdsa"]

    @property
    def x_axis_y(self) -> int:
        return self.bottom

    @property
    def x_title_x(self) -> float:
        return (self.left + self.right) / 2

    @property
    def y_title_y(self) -> float:
        return (self.top + self.bottom) / 2


def _r(value: float) -> float:
    return round(value, 1)


def percent_label(value: float) -> str:
    return f"{value:.0f}%"


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _domain(dates: Sequence[dt.date]) -> tuple[dt.date, dt.date]:
    first, last = min(dates), max(dates)
    pad = max(dt.timedelta(days=3), (last - first) * 0.04)
    return first - pad, last + pad


def _month_ticks(start: dt.date, end: dt.date, x_of) -> list[Tick]:
    months = []
    day = dt.date(start.year, start.month, 1)
    while day <= end:
        if day >= start:
            months.append(day)
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    step = -(-len(months) // MAX_X_TICKS) if months else 1
    return [Tick(x_of(day), f"{day:%b %Y}") for day in months[::step]]


def _signal_words(signal: Signal, points: Sequence[ChartPoint]) -> str:
    first, last = points[signal.start], points[signal.end]
    return (
        f"{signal.describe()}, {first.label.lower()} ({_day(first.date)}) to {last.label.lower()} ({_day(last.date)})"
    )


def _description(
    *, value_name: str, points: Sequence[ChartPoint], chart: RunChart, signal_texts: list[str], markers
) -> str:
    values = [p.value for p in points]
    n = len(points)
    words = [
        f"{value_name} at {n} checklist{'s' if n != 1 else ''}"
        + (f", from {_day(points[0].date)} to {_day(points[-1].date)}" if n > 1 else f" on {_day(points[0].date)}")
        + f": lowest {percent_label(min(values))}, highest {percent_label(max(values))}, "
        f"median {percent_label(chart.median)}."
    ]
    if not chart.enough_points:
        words.append(f"With fewer than {MIN_POINTS} points the shift and trend rules are not applied yet.")
    elif signal_texts:
        words.append("Signals: " + "; ".join(signal_texts) + ".")
    else:
        words.append("No shift or trend: no sign of change beyond the usual variation.")
    coaching = sum(1 for m in markers if m.kind == "coaching")
    pdsa = sum(1 for m in markers if m.kind == "pdsa")
    if coaching or pdsa:
        marked = []
        if coaching:
            marked.append(f"{coaching} coaching session{'s' if coaching != 1 else ''} (C)")
        if pdsa:
            marked.append(f"{pdsa} PDSA change{'s' if pdsa != 1 else ''} (P)")
        words.append("Marked on the time axis: " + " and ".join(marked) + ".")
    return " ".join(words)


def run_chart_svg(
    *,
    chart_id: str,
    title: str,
    value_name: str,
    points: Sequence[ChartPoint],
    markers: Sequence[ChartMarker] = (),
) -> RunChartSvg:
    """Places a run chart of percentages (0-100) over time. points: oldest first, at least one."""
    if not points:
        raise ValueError("A run chart needs at least one point.")
    chart = run_chart([p.value for p in points])
    start, end = _domain([p.date for p in points] + [m.date for m in markers])
    span = (end - start).days or 1

    def x_of(day: dt.date) -> float:
        return _r(PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * (day - start).days / span)

    def y_of(value: float) -> float:
        return _r(PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * max(0.0, min(100.0, value)) / 100)

    signal_texts = [_signal_words(signal, points) for signal in chart.signals]
    in_signals: dict[int, list[Signal]] = {}
    for signal in chart.signals:
        for index in signal.indices:
            in_signals.setdefault(index, []).append(signal)
    placed = []
    for index, point in enumerate(points):
        signals = in_signals.get(index, [])
        kinds = {s.kind for s in signals}
        shape = "square" if "shift" in kinds else "diamond" if "trend" in kinds else "circle"
        placed.append(
            PlacedPoint(
                point=point,
                x=x_of(point.date),
                y=y_of(point.value),
                shape=shape,
                signals=tuple(s.describe() for s in signals),
            )
        )
    labels = []
    for number, signal in enumerate(chart.signals):
        xs = [placed[i].x for i in signal.indices]
        top = min(placed[i].y for i in signal.indices)
        bracket_y = _r(max(PLOT_TOP + 4, top - 12 - 14 * (number % 2)))
        arrow = {"above": "above median", "below": "below median", "up": "rising", "down": "falling"}[signal.direction]
        labels.append(
            SignalLabel(
                text=f"{signal.kind.capitalize()}: {signal.length} {arrow}",
                x=_r((min(xs) + max(xs)) / 2),
                y=_r(bracket_y - 4),
                x1=min(xs),
                x2=max(xs),
                bracket_y=bracket_y,
            )
        )
    return RunChartSvg(
        chart_id=chart_id,
        title=title,
        description=_description(
            value_name=value_name, points=points, chart=chart, signal_texts=signal_texts, markers=markers
        ),
        value_name=value_name,
        chart=chart,
        points=placed,
        line=" ".join(f"{p.x},{p.y}" for p in placed),
        median_y=y_of(chart.median),
        x_ticks=_month_ticks(start, end, x_of),
        y_ticks=[Tick(y_of(v), f"{v}%") for v in Y_TICKS],
        markers=[PlacedMarker(marker=m, x=x_of(m.date)) for m in markers],
        signal_labels=labels,
        signal_texts=signal_texts,
    )
