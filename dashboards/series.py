"""The series the cohort and aim pages chart: plain values in time order, read in a constant number
of queries, for the chart rules of dashboards.charts.

For a cohort, and Trust-wide across every enrolment the person may see (programmes.access):

- adoption: the mean adoption score (checklists.sustainment.adoption_score) across the teams by
  programme week (dashboards.selectors.programme_week_on, from each team's session 1 date); a
  team with two checklists in one week counts its latest;
- on time: of the sessions due in each programme week whose on-time rule is decided (held, or
  past programmes.models.last_on_time_day()), the percentage held by that day; cancelled
  sessions and sessions still within their time are left out;
- first coaching: days from session 1 held to the first coaching session held
  (programmes.models.first_coaching_wait), one point per enrolment in order of session 1; teams
  still waiting are left out until their first coaching is held.

Withdrawn enrolments are left out: their open sessions would count as late for ever. PDSA cycles
(of the cohort; Trust-wide, of the cohorts the person may see) become markers: on the weekly series
at the programme week of the cohort's first session 1 (a cohort only), on the first-coaching
series before the first enrolment whose session 1 came on or after the day. A decision to adopt or
adapt is a change (the XmR chart recalculates its limits there); a cycle's start is only marked.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from checklists.models import Checklist
from checklists.sustainment import adoption_score_of
from core.dates import LONDON
from programmes.access import enrolments_visible_to
from programmes.models import (
    Cohort,
    Enrolment,
    EnrolmentStatus,
    PdsaCycle,
    PdsaDecision,
    Session,
    first_coaching_wait,
    last_on_time_day,
)

from .selectors import programme_week_on

ADOPTION, ON_TIME, FIRST_COACHING = "adoption", "on_time", "first_coaching"


@dataclass(frozen=True)
class SeriesPoint:
    label: str  # "Week 4", or the team and cohort
    value: float
    count: int = 1  # the observations behind it (teams, sessions)
    position: int | None = None  # the programme week, or the place in session 1 order


@dataclass(frozen=True)
class Marker:
    """A PDSA cycle marked before the point at `index`."""

    index: int
    text: str
    change: bool  # a decision to adopt or adapt: the XmR chart starts new limits here


@dataclass(frozen=True)
class Series:
    key: str
    title: str
    value_name: str
    x_name: str
    unit: str  # "%" or "days"
    higher_is_better: bool
    points: tuple[SeriesPoint, ...]
    markers: tuple[Marker, ...] = ()

    @property
    def values(self) -> list[float]:
        return [p.value for p in self.points]

    @property
    def changes(self) -> list[int]:
        return sorted({m.index for m in self.markers if m.change})

    def fmt(self, value: float) -> str:
        if self.unit == "%":
            return f"{value:.0f}%"
        shown = f"{value:.1f}".rstrip("0").rstrip(".")
        return f"{shown} day" if shown == "1" else f"{shown} days"


@dataclass(frozen=True)
class _Cycle:
    title: str
    started_on: dt.date
    decided_on: dt.date | None
    decision: str


def _live(enrolments: QuerySet[Enrolment]) -> QuerySet[Enrolment]:
    return enrolments.exclude(status=EnrolmentStatus.WITHDRAWN)


def _weekly_markers(cycles: list[_Cycle], *, first_session_1: dt.date | None, weeks: list[int]) -> list[Marker]:
    if first_session_1 is None or not weeks:
        return []

    def index_at(day: dt.date) -> int | None:
        week = (day - first_session_1).days // 7 + 1
        index = next((i for i, w in enumerate(weeks) if w >= week), None)
        return index if index else None  # before the first point or after the last: not on the chart

    return _markers(cycles, index_at)


def _markers(cycles: list[_Cycle], index_at: Callable[[dt.date], int | None]) -> list[Marker]:
    markers = []
    for cycle in cycles:
        if (index := index_at(cycle.started_on)) is not None:
            markers.append(Marker(index, f"PDSA started: {cycle.title}", change=False))
        if cycle.decided_on and (index := index_at(cycle.decided_on)) is not None:
            change = cycle.decision in (PdsaDecision.ADOPT, PdsaDecision.ADAPT)
            label = PdsaDecision(cycle.decision).label.lower() if cycle.decision else "decided"
            markers.append(Marker(index, f"PDSA {label}: {cycle.title}", change=change))
    return sorted(markers, key=lambda m: (m.index, m.text))


def _adoption(enrolments: QuerySet[Enrolment]) -> list[SeriesPoint]:
    """One query: each of these enrolments' checklists with its ratings' sum and count (summed in
    SQL, so a row per checklist, not per rating) and its session's dates."""
    scores: dict[int, float] = {}
    where: dict[int, tuple[int, int, dt.datetime, dt.date]] = {}
    rows = (
        Checklist.objects.filter(session__enrolment__in=enrolments)
        .annotate(total=Sum("ratings__level"), rated=Count("ratings"))
        .filter(rated__gt=0)
        .order_by()
        .values_list(
            "pk",
            "total",
            "rated",
            "session__enrolment_id",
            "session__enrolment__status",
            "session__enrolment__session1_date",
            "session__held_on",
            "completed_at",
        )
    )
    for checklist_id, total, rated, enrolment_id, status, session1_date, held_on, completed_at in rows:
        scores[checklist_id] = adoption_score_of(total=total, count=rated)
        # The session's day; a checklist on a session not marked held counts on its London day.
        day = held_on or timezone.localtime(completed_at, LONDON).date()
        week = programme_week_on(status=status, session1_date=session1_date, today=day)
        if week is not None:
            where[checklist_id] = (enrolment_id, week, completed_at, day)
    latest: dict[tuple[int, int], tuple[tuple, float]] = {}  # (enrolment, week) -> latest checklist's score
    for checklist_id, (enrolment_id, week, completed_at, day) in where.items():
        key, order = (enrolment_id, week), (day, completed_at, checklist_id)
        if key not in latest or latest[key][0] < order:
            latest[key] = (order, scores[checklist_id])
    by_week: dict[int, list[float]] = {}
    for (_, week), (_, score) in latest.items():
        by_week.setdefault(week, []).append(score)
    return [
        SeriesPoint(f"Week {week}", statistics.fmean(scores), len(scores), week)
        for week, scores in sorted(by_week.items())
    ]


def _on_time(enrolments: QuerySet[Enrolment], today: dt.date) -> list[SeriesPoint]:
    """One query: the sessions of these enrolments that are not cancelled."""
    decided: dict[int, list[bool]] = {}
    rows = (
        Session.objects.filter(enrolment__in=enrolments, cancelled=False)
        .values_list("due_date", "agreed_start", "held_on", "enrolment__status", "enrolment__session1_date")
        .order_by()
    )
    for due_date, agreed_start, held_on, status, session1_date in rows:
        last_day = last_on_time_day(due_date=due_date, agreed_start=agreed_start)
        if held_on is None and last_day >= today:
            continue  # still within its time: not decided yet
        week = programme_week_on(status=status, session1_date=session1_date, today=due_date)
        if week is not None:
            decided.setdefault(week, []).append(held_on is not None and held_on <= last_day)
    return [
        SeriesPoint(f"Week {week}", 100 * sum(flags) / len(flags), len(flags), week)
        for week, flags in sorted(decided.items())
    ]


def _first_coaching(enrolments: QuerySet[Enrolment], today: dt.date) -> list[tuple[dt.date, SeriesPoint]]:
    """One query: the enrolments' stored progress, in order of session 1 held."""
    rows = (
        enrolments.filter(progress__session_1_held_on__isnull=False, progress__first_coaching_held_on__isnull=False)
        .order_by("progress__session_1_held_on", "team__name", "pk")
        .values_list(
            "team__name",
            "team__site__code",
            "cohort__name",
            "progress__session_1_held_on",
            "progress__first_coaching_held_on",
        )
    )
    points = []
    for team, site, cohort, session_1, first_coaching in rows:
        wait = first_coaching_wait(session_1_held_on=session_1, first_coaching_held_on=first_coaching, today=today)
        points.append((session_1, SeriesPoint(f"{team}, {site} ({cohort})", wait.days, 1, len(points) + 1)))
    return points


def _cycles(cycles: QuerySet[PdsaCycle]) -> list[_Cycle]:
    return [
        _Cycle(*row)
        for row in cycles.order_by("started_on", "pk").values_list("title", "started_on", "decided_on", "decision")
    ]


def _series(
    *,
    where: str,
    enrolments: QuerySet[Enrolment],
    cycles: list[_Cycle],
    first_session_1: dt.date | None,
    today: dt.date,
) -> list[Series]:
    adoption = _adoption(enrolments)
    on_time = _on_time(enrolments, today)
    waits = _first_coaching(enrolments, today)
    days = [day for day, _ in waits]

    def wait_index(day: dt.date) -> int | None:
        index = next((i for i, d in enumerate(days) if d >= day), None)
        return index if index else None

    return [
        Series(
            key=ADOPTION,
            title=f"Mean adoption score by programme week, {where}",
            value_name="Mean adoption score",
            x_name="Programme week",
            unit="%",
            higher_is_better=True,
            points=tuple(adoption),
            markers=tuple(
                _weekly_markers(cycles, first_session_1=first_session_1, weeks=[p.position for p in adoption])
            ),
        ),
        Series(
            key=ON_TIME,
            title=f"Sessions held on time by programme week, {where}",
            value_name="Sessions held on time",
            x_name="Programme week the session was due",
            unit="%",
            higher_is_better=True,
            points=tuple(on_time),
            markers=tuple(
                _weekly_markers(cycles, first_session_1=first_session_1, weeks=[p.position for p in on_time])
            ),
        ),
        Series(
            key=FIRST_COACHING,
            title=f"Days to first coaching, {where}",
            value_name="Days to first coaching",
            x_name="Team, in order of session 1",
            unit="days",
            higher_is_better=False,
            points=tuple(p for _, p in waits),
            markers=tuple(_markers(cycles, wait_index)),
        ),
    ]


def cohort_series(*, cohort: Cohort, user, today: dt.date) -> list[Series]:
    """The cohort's three series (adoption, on time, first coaching), over the enrolments this
    person may see. Five queries: the first session 1, the PDSA cycles, and one per series."""
    enrolments = _live(enrolments_visible_to(user, Enrolment.objects.filter(cohort=cohort)))
    first = enrolments.order_by("session1_date").values_list("session1_date", flat=True).first()
    return _series(
        where=cohort.name,
        enrolments=enrolments,
        cycles=_cycles(PdsaCycle.objects.filter(cohort=cohort)),
        first_session_1=first,
        today=today,
    )


def trust_series(*, user, today: dt.date) -> list[Series]:
    """The same three series across every cohort, over the enrolments this person may see (a coach:
    their own teams). The weekly series mix cohorts, so they mark no PDSA cycles; the first-coaching
    series marks the cycles of the cohorts the person sees (and those linked to no cohort). Four
    queries."""
    enrolments = _live(enrolments_visible_to(user))
    cohorts = enrolments_visible_to(user).values("cohort_id")
    cycles = PdsaCycle.objects.filter(Q(cohort__in=cohorts) | Q(cohort__isnull=True))
    return _series(where="Trust-wide", enrolments=enrolments, cycles=_cycles(cycles), first_session_1=None, today=today)
