"""The series the cohort and aim pages chart: plain values in time order, read in a constant number
of queries whose rows do not grow with the teams (the weekly series are summed in SQL, a row per
programme week), for the chart rules of dashboards.charts.

For a cohort, and Trust-wide across every enrolment the person may see (programmes.access):

- adoption: the mean adoption score (checklists.sustainment.adoption_score_of, in SQL as
  adoption_score_expression) across the teams by programme week (dashboards.selectors.
  programme_week_on, in SQL as programme_week_expression: the day the session was held, or the
  checklist saved, counted from the team's session 1 date); a team with two checklists in one
  week counts its latest;
- on time: by the programme week the session was due (its plan row's week, which is its due
  date's: due dates are session 1's date plus the row's week offset), of the sessions whose
  on-time rule is decided (held, or past programmes.models.last_on_time_day(), in SQL as
  past_last_on_time_day()), the percentage held by that day (held_by_last_on_time_day());
  cancelled sessions and sessions still within their time are left out;
- first coaching: days from session 1 held to the first coaching session held
  (programmes.models.first_coaching_wait), one point per enrolment in order of session 1; teams
  still waiting are left out until their first coaching is held. Trust-wide, the latest
  TRUST_FIRST_COACHING_TEAMS teams only.

Withdrawn enrolments are left out: their open sessions would count as late for ever. PDSA cycles
(of the cohort; Trust-wide, of the cohorts the person may see) become markers: on the weekly series
at the programme week of the cohort's first session 1 (a cohort only), on the first-coaching
series before the first enrolment whose session 1 came on or after the day. A decision to adopt or
adapt is a change (the XmR chart recalculates its limits there) unless the manager unticked "new
chart limits" on the cycle (programmes.models.marks_chart_change); a cycle's start is only marked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, DateField, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate

from checklists.models import Checklist, ToolRating
from checklists.sustainment import adoption_score_expression
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
    held_by_last_on_time_day,
    marks_chart_change,
    past_last_on_time_day,
)

from .selectors import programme_week_expression

ADOPTION, ON_TIME, FIRST_COACHING = "adoption", "on_time", "first_coaching"
# The Trust-wide days to first coaching: the latest teams only, so that the chart stays readable
# and its cost does not grow with the Trust (a cohort's chart shows all of its teams).
TRUST_FIRST_COACHING_TEAMS = 60


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
    change: bool  # programmes.models.marks_chart_change: the XmR chart starts new limits here


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
    new_limits: bool = True


def _live(enrolments: QuerySet[Enrolment]) -> QuerySet[Enrolment]:
    return enrolments.exclude(status=EnrolmentStatus.WITHDRAWN)


def _started(enrolments: QuerySet[Enrolment]) -> QuerySet[Enrolment]:
    """A planned enrolment has no programme week yet (dashboards.selectors.programme_week_on)."""
    return enrolments.exclude(status=EnrolmentStatus.PLANNED)


def _weekly_markers(cycles: list[_Cycle], *, first_session_1: dt.date | None, weeks: list[int]) -> list[Marker]:
    if first_session_1 is None or not weeks:
        return []

    return _markers(cycles, lambda day: index_before(weeks, (day - first_session_1).days // 7 + 1))


def index_before(positions: list, at) -> int | None:
    """Where a marker at `at` (a day, or a programme week) goes on points at `positions` (in order):
    before the first point at or after it; None before the first point or after the last (not on
    the chart)."""
    index = next((i for i, position in enumerate(positions) if position >= at), None)
    return index if index else None


def _markers(cycles: list[_Cycle], index_at: Callable[[dt.date], int | None]) -> list[Marker]:
    markers = []
    for cycle in cycles:
        if (index := index_at(cycle.started_on)) is not None:
            markers.append(Marker(index, f"PDSA started: {cycle.title}", change=False))
        if cycle.decided_on and (index := index_at(cycle.decided_on)) is not None:
            change = marks_chart_change(decision=cycle.decision, new_limits=cycle.new_limits)
            label = PdsaDecision(cycle.decision).label.lower() if cycle.decision else "decided"
            markers.append(Marker(index, f"PDSA {label}: {cycle.title}", change=change))
    return sorted(markers, key=lambda m: (m.index, m.text))


def _sql(queryset: QuerySet) -> tuple[str, tuple]:
    return queryset.query.get_compiler(using=queryset.db).as_sql()


def _adoption(enrolments: QuerySet[Enrolment]) -> list[SeriesPoint]:
    """One query, a row per programme week: the mean adoption score of the week's checklists, a
    team's latest in the week only.

    Django cannot group an aggregate (each checklist's score, from its ratings summed by checklist
    before they are joined: the cheaper order) by another, nor filter a window function and then
    group, so the two parts are the ORM's and only the join, the latest-in-the-week rank and the
    mean by week around them are written out, in SQL that PostgreSQL and SQLite share."""
    # The session's day; a checklist on a session not marked held counts on its London day.
    day = Coalesce("session__held_on", TruncDate("completed_at", tzinfo=LONDON), output_field=DateField())
    week, has_week = programme_week_expression(day=day, session1_date="session__enrolment__session1_date")
    checklists = (
        Checklist.objects.filter(session__enrolment__in=_started(enrolments))
        .filter(has_week)
        .order_by()
        .values("pk", "completed_at", enrolment=F("session__enrolment_id"), day=day, week=week)
    )
    scores = (
        ToolRating.objects.order_by()
        .values("checklist_id")
        .annotate(score=adoption_score_expression(total=Sum("level"), count=Count("pk")))
    )
    try:
        (checklists_sql, checklists_params), (scores_sql, scores_params) = _sql(checklists), _sql(scores)
    except EmptyResultSet:  # no enrolment to see
        return []
    with connections[checklists.db].cursor() as cursor:
        cursor.execute(
            "SELECT week, AVG(score), COUNT(*) FROM ("  # noqa: S608 (the ORM's SQL and parameters)
            "SELECT week, score, ROW_NUMBER() OVER ("
            "PARTITION BY enrolment, week ORDER BY day DESC, completed_at DESC, pk DESC) AS newest "
            f"FROM ({checklists_sql}) checklist JOIN ({scores_sql}) scores ON scores.checklist_id = checklist.pk"
            ") ranked WHERE newest = 1 GROUP BY week ORDER BY week",
            (*checklists_params, *scores_params),
        )
        rows = cursor.fetchall()
    return [SeriesPoint(f"Week {week}", mean, teams, week) for week, mean, teams in rows]


def _on_time(enrolments: QuerySet[Enrolment], today: dt.date) -> list[SeriesPoint]:
    """One query, a row per programme week: the sessions not cancelled whose on-time rule is decided
    (held, or past their last on-time day), and how many of them were held by that day."""
    rows = (
        Session.objects.filter(enrolment__in=_started(enrolments), cancelled=False)
        .filter(Q(held_on__isnull=False) | past_last_on_time_day(today))
        .values(week=F("plan__week_offset") + 1)
        .annotate(decided=Count("pk"), on_time=Count("pk", filter=held_by_last_on_time_day()))
        .order_by("week")
        .values_list("week", "decided", "on_time")
    )
    return [SeriesPoint(f"Week {week}", 100 * on_time / decided, decided, week) for week, decided, on_time in rows]


def _first_coaching(
    enrolments: QuerySet[Enrolment], today: dt.date, *, latest: int | None = None
) -> list[tuple[dt.date, SeriesPoint]]:
    """One query: the enrolments' stored progress, in order of session 1 held; with `latest`, only
    that many of the most recent (read newest first, so the rows read are bounded)."""
    order = ("progress__session_1_held_on", "team__name", "pk")
    rows = enrolments.filter(
        progress__session_1_held_on__isnull=False, progress__first_coaching_held_on__isnull=False
    ).values_list(
        "team__name",
        "team__site__code",
        "cohort__name",
        "progress__session_1_held_on",
        "progress__first_coaching_held_on",
    )
    if latest is None:
        rows = list(rows.order_by(*order))
    else:
        rows = list(rows.order_by(*(f"-{field}" for field in order))[:latest])[::-1]
    points = []
    for team, site, cohort, session_1, first_coaching in rows:
        wait = first_coaching_wait(session_1_held_on=session_1, first_coaching_held_on=first_coaching, today=today)
        points.append((session_1, SeriesPoint(f"{team}, {site} ({cohort})", wait.days, 1, len(points) + 1)))
    return points


def _cycles(cycles: QuerySet[PdsaCycle]) -> list[_Cycle]:
    return [
        _Cycle(*row)
        for row in cycles.order_by("started_on", "pk").values_list(
            "title", "started_on", "decided_on", "decision", "new_limits"
        )
    ]


def _series(
    *,
    where: str,
    enrolments: QuerySet[Enrolment],
    cycles: list[_Cycle],
    first_session_1: dt.date | None,
    today: dt.date,
    latest_teams: int | None = None,
) -> list[Series]:
    adoption = _adoption(enrolments)
    on_time = _on_time(enrolments, today)
    waits = _first_coaching(enrolments, today, latest=latest_teams)
    days = [day for day, _ in waits]
    teams = "Team, in order of session 1"
    if latest_teams is not None and len(waits) == latest_teams:
        teams += f" (the latest {latest_teams})"

    def wait_index(day: dt.date) -> int | None:
        return index_before(days, day)

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
            x_name=teams,
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
    series marks the cycles of the cohorts the person sees (and those linked to no cohort) and shows
    the latest TRUST_FIRST_COACHING_TEAMS teams. Four queries, whose rows do not grow with the teams."""
    enrolments = _live(enrolments_visible_to(user))
    cohorts = enrolments_visible_to(user).values("cohort_id")
    cycles = PdsaCycle.objects.filter(Q(cohort__in=cohorts) | Q(cohort__isnull=True))
    return _series(
        where="Trust-wide",
        enrolments=enrolments,
        cycles=_cycles(cycles),
        first_session_1=None,
        today=today,
        latest_teams=TRUST_FIRST_COACHING_TEAMS,
    )
