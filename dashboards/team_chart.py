"""A team's adoption score over time, for the team page: one point per checklist across every
enrolment of the team this person may see (a team can take part in more than one cohort over the
years), oldest first, as a dashboards.series.Series that dashboards.spc_svg draws with the run-chart
or XmR rules of dashboards.charts.

- A point: a checklist with at least one rating, its adoption score from the ratings' sum and count
  (checklists.sustainment.adoption_score_of); its day is the session's day held, or due when the
  session is not marked held (the order of the team page's heatmap).
- Access: the enrolments of programmes.access.enrolments_visible_to, as the team page lists them
  (a coach: the enrolments they coach).
- Markers: the PDSA cycles about these enrolments' programmes (their cohorts', their versions', and
  programme-wide ones), placed by dashboards.series' rule: before the first checklist on or after
  the day, and a decision to adopt or adapt is a change. Coaching sessions are not marked: a Series
  marks PDSA cycles only.

And its huddles week by week (huddle_series): the share of the planned huddle days checked in at
its board, from programmes.selectors.huddles.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from checklists.models import Checklist
from checklists.sustainment import adoption_score_of
from programmes.access import enrolments_visible_to
from programmes.models import Enrolment, PdsaCycle, Team
from programmes.selectors.huddles import TeamHuddles

from .series import Series, SeriesPoint, _cycles, _markers, index_before

TEAM_ADOPTION = "team_adoption"
TEAM_HUDDLES = "team_huddles"


def team_pdsa_cycles(enrolments: QuerySet[Enrolment]) -> QuerySet[PdsaCycle]:
    """PDSA cycles about these enrolments' programmes: their cohorts', their versions', or
    programme-wide (linked to neither)."""
    return PdsaCycle.objects.filter(
        Q(cohort__in=enrolments.values("cohort_id"))
        | Q(template__in=enrolments.values("cohort__template_id"))
        | Q(cohort__isnull=True, template__isnull=True)
    )


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def team_series(*, team: Team, user) -> Series:
    """The adoption score of each of the team's checklists that this person may see, oldest first,
    with the PDSA cycles as markers. Two queries (the checklists with their ratings summed in SQL,
    the PDSA cycles), one when there is no checklist."""
    enrolments = enrolments_visible_to(user, Enrolment.objects.filter(team=team))
    rows = (
        Checklist.objects.filter(session__enrolment__in=enrolments)
        .annotate(
            total=Sum("ratings__level"), rated=Count("ratings"), day=Coalesce("session__held_on", "session__due_date")
        )
        .filter(rated__gt=0)
        .order_by("day", "session__enrolment__session1_date", "session__number", "pk")
        .values_list("total", "rated", "day", "session__number", "session__enrolment__cohort__name")
    )
    days: list[dt.date] = []
    points: list[SeriesPoint] = []
    for total, rated, day, number, cohort in rows:
        days.append(day)
        label = f"Session {number}, {cohort} ({_day(day)})"
        points.append(SeriesPoint(label, adoption_score_of(total=total, count=rated), rated, len(points) + 1))

    markers = _markers(_cycles(team_pdsa_cycles(enrolments)), partial(index_before, days)) if points else []
    return Series(
        key=TEAM_ADOPTION,
        title=f"Adoption score at each checklist, {team.name}",
        value_name="Adoption score",
        x_name="Checklist, oldest first",
        unit="%",
        higher_is_better=True,
        points=tuple(points),
        markers=tuple(markers),
    )


def huddle_series(*, team: Team, huddles: TeamHuddles) -> Series:
    """The share of the planned huddle days checked in at the team's board, a point per week with
    huddles planned (programmes.huddles.HuddleWeek.pct), oldest first. No query."""
    points = []
    for week in huddles.weeks:
        if week.pct is None:
            continue
        held = min(week.held, week.planned)
        days = f"{held} of {week.planned} planned day{'' if week.planned == 1 else 's'}"
        label = f"From Mon {_day(week.monday)}: {days} checked in"  # the axis numbers the weeks
        points.append(SeriesPoint(label, week.pct, week.planned, len(points) + 1))
    return Series(
        key=TEAM_HUDDLES,
        title=f"Planned huddle days checked in at the board each week, {team.name}",
        value_name="Planned huddle days checked in",
        x_name="Week, oldest first",
        unit="%",
        higher_is_better=True,
        points=tuple(points),
    )
