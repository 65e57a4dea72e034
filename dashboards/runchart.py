"""Run-chart rules as used in the NHS, on a series of values in time order.

- Median line: the median of all points.
- Shift: 6 or more consecutive points all above or all below the median. Points on the median
  neither break a run nor count towards it.
- Trend: 5 or more consecutive points all going up or all going down. Equal neighbours count as
  one point (they neither break nor add to the run).
- With fewer than 10 points the rules are not applied: there is too little to tell signal from noise.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

SHIFT_LENGTH = 6
TREND_LENGTH = 5
MIN_POINTS = 10


@dataclass(frozen=True)
class Signal:
    kind: str  # "shift" or "trend"
    direction: str  # "above"/"below" for shifts, "up"/"down" for trends
    indices: tuple[int, ...]  # the points that count, in order

    @property
    def start(self) -> int:
        return self.indices[0]

    @property
    def end(self) -> int:
        return self.indices[-1]

    @property
    def length(self) -> int:
        return len(self.indices)

    def describe(self) -> str:
        if self.kind == "shift":
            return f"Shift: {self.length} points in a row {self.direction} the median"
        rising = "rising" if self.direction == "up" else "falling"
        return f"Trend: {self.length} points in a row {rising}"


@dataclass(frozen=True)
class RunChart:
    values: tuple[float, ...]
    median: float | None
    signals: tuple[Signal, ...] = field(default=())

    @property
    def enough_points(self) -> bool:
        return len(self.values) >= MIN_POINTS

    @property
    def shifts(self) -> list[Signal]:
        return [s for s in self.signals if s.kind == "shift"]

    @property
    def trends(self) -> list[Signal]:
        return [s for s in self.signals if s.kind == "trend"]


def find_shifts(values: Sequence[float], median: float, length: int = SHIFT_LENGTH) -> list[Signal]:
    signals: list[Signal] = []
    run: list[int] = []
    side = 0
    for index, value in enumerate(values):
        if value == median:
            continue  # on the median: neither breaks nor counts
        this_side = 1 if value > median else -1
        if this_side != side:
            if len(run) >= length:
                signals.append(Signal("shift", "above" if side > 0 else "below", tuple(run)))
            run, side = [], this_side
        run.append(index)
    if len(run) >= length:
        signals.append(Signal("shift", "above" if side > 0 else "below", tuple(run)))
    return signals


def find_trends(values: Sequence[float], length: int = TREND_LENGTH) -> list[Signal]:
    # Equal neighbours count once: keep the first of each group of equal consecutive values.
    kept = [i for i, v in enumerate(values) if i == 0 or v != values[i - 1]]
    signals: list[Signal] = []
    run: list[int] = kept[:1]
    direction = 0
    for previous, current in zip(kept, kept[1:], strict=False):
        step = 1 if values[current] > values[previous] else -1
        if step == direction:
            run.append(current)
            continue
        if len(run) >= length:
            signals.append(Signal("trend", "up" if direction > 0 else "down", tuple(run)))
        run, direction = [previous, current], step
    if len(run) >= length and direction:
        signals.append(Signal("trend", "up" if direction > 0 else "down", tuple(run)))
    return signals


def run_chart(values: Sequence[float]) -> RunChart:
    """The median and, with enough points, the shifts and trends of a series."""
    values = tuple(values)
    if not values:
        return RunChart(values=(), median=None)
    median = statistics.median(values)
    if len(values) < MIN_POINTS:
        return RunChart(values=values, median=median)
    signals = sorted(find_shifts(values, median) + find_trends(values), key=lambda s: (s.start, s.kind))
    return RunChart(values=values, median=median, signals=tuple(signals))
