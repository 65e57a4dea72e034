"""The programme's aim and its measures (DESIGN.md "Cohort and aim"), for the aim page, a cohort's
page and its printable PDSA report. Each measure carries its figure, its numerator and
denominator, and how it was computed, in words, so that a board can check it.

The figures come from the same rules as the dashboard (session status, slots state, the stored
checklist standing, the feedback figures), so a team counts the same way everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, When, Window
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact, LessThan, LessThanOrEqual

from checklists.models import Tool
from checklists.selectors import ToolStanding
from checklists.sustainment import Sustainment
from coaching.models import SlotsState, slots_state_expression, slots_state_on
from feedback.selectors import FeedbackFigures, feedback_figures, min_group, percentage
from programmes.access import enrolments_visible_to
from programmes.models import (
    Cohort,
    Enrolment,
    PdsaCycle,
    ProgrammeTemplate,
    Session,
    SessionChange,
    SessionPlan,
    first_coaching_wait,
    first_coaching_wait_limit,
    grace_days,
    overdue_cutoff,
)
from programmes.reference_data import TEMPLATE_NAME
from programmes.selectors import TARGET_DEADLINE, TARGET_LABEL, ProgrammeVersions, programme_versions

from .selectors import ProgressRow, cohort_progress_rows

AIM = (
    "A comprehensive training package by 31 March 2026, evidenced by feedback and success in teams "
    "implementing the components of a QMS."
)
AIM_DATE = dt.date(2026, 3, 31)


@dataclass(frozen=True)
class Measure:
    key: str
    name: str
    figure: str  # the headline, e.g. "50%"
    detail: str  # the numerator and denominator in words
    how: str  # how it was computed
    numerator: int | None = None
    denominator: int | None = None
    percent: Decimal | None = None
    withheld: bool = False


@dataclass(frozen=True)
class EnrolmentFacts:
    """What the measures read about one enrolment, as plain values (enrolment_facts())."""

    enrolment_id: int
    cohort_id: int
    slots: SlotsState
    session_1_held_on: dt.date | None
    review_due: dt.date | None  # the first session of the template's review kind (the 12-week review)
    review_held_on: dt.date | None
    # At the review's own checklist (checklists.models.EnrolmentStanding); None without one.
    review_sustained: int | None
    review_tools: int | None
    first_coaching_held_on: dt.date | None = None  # the first coaching session's day held


def enrolment_facts(*, user, today: dt.date, cohort: Cohort | None = None) -> list[EnrolmentFacts]:
    """Every enrolment this user may see (of one cohort, if given): one query of plain values,
    whatever their number. Session 1's day held and the review's due and held days are the stored
    session figures (programmes.models.EnrolmentProgress), the review's checklist figures the stored
    standing (checklists.models.EnrolmentStanding): both kept current by every write."""
    enrolments = enrolments_visible_to(user)
    if cohort is not None:
        enrolments = enrolments.filter(cohort=cohort)
    rows = enrolments.order_by().values_list(
        "pk",
        "cohort_id",
        "agreement__agreed_on",
        "progress__session_1_held_on",
        "progress__review_due_date",
        "progress__review_held_on",
        "checklist_standing__review_sustained_count",
        "checklist_standing__review_tool_count",
        "progress__first_coaching_held_on",
    )
    return [_facts(*row) for row in rows]


def loaded_enrolment_facts(enrolment: Enrolment) -> EnrolmentFacts:
    """enrolment_facts() for an enrolment loaded with its agreement, progress and checklist_standing
    (select_related): no query."""

    def loaded(name: str):
        return getattr(enrolment, name) if hasattr(enrolment, name) else None  # None: no such row

    agreement, progress, standing = loaded("agreement"), loaded("progress"), loaded("checklist_standing")
    return _facts(
        enrolment.pk,
        enrolment.cohort_id,
        agreement.agreed_on if agreement else None,
        progress.session_1_held_on if progress else None,
        progress.review_due_date if progress else None,
        progress.review_held_on if progress else None,
        standing.review_sustained_count if standing else None,
        standing.review_tool_count if standing else None,
        progress.first_coaching_held_on if progress else None,
    )


def _facts(
    pk: int,
    cohort_id: int,
    agreed_on: dt.date | None,
    session_1_held_on: dt.date | None,
    review_due: dt.date | None,
    review_held_on: dt.date | None,
    review_sustained: int | None,
    review_tools: int | None,
    first_coaching_held_on: dt.date | None,
) -> EnrolmentFacts:
    return EnrolmentFacts(
        enrolment_id=pk,
        cohort_id=cohort_id,
        slots=slots_state_on(agreed_on=agreed_on, session_1_held_on=session_1_held_on),
        session_1_held_on=session_1_held_on,
        review_due=review_due,
        review_held_on=review_held_on,
        review_sustained=review_sustained,
        review_tools=review_tools,
        first_coaching_held_on=first_coaching_held_on,
    )


@dataclass
class MeasureCounts:
    """What the team measures count over some teams: from their facts (of_facts(), the rules in
    Python) or in SQL (measure_counts(), their twin). Counts of teams unless said otherwise."""

    teams: int = 0
    with_review: int = 0  # with a 12-week review
    review_counted: int = 0  # ... held, or past its due date plus the grace days
    on_time: int = 0  # ... held no later than the grace days after its due date
    started: int = 0  # session 1 held
    agreed: int = 0  # ... with the slots agreed at session 1
    standings: int = 0  # with a checklist at the 12-week review
    sustained: int = 0  # tools sustained on those checklists
    rated: int = 0  # tools those checklists rated
    waiting_long: int = 0  # no coaching session held yet, waiting over the limit
    waits: dict[int, int] = field(default_factory=dict)  # days to first coaching held -> teams

    def add(self, other: MeasureCounts) -> None:
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for days, teams in other.waits.items():
            self.waits[days] = self.waits.get(days, 0) + teams

    @classmethod
    def of_facts(cls, facts: Sequence[EnrolmentFacts], *, today: dt.date) -> MeasureCounts:
        grace = dt.timedelta(grace_days())
        cutoff = overdue_cutoff(today)
        counts = cls(teams=len(facts))
        for f in facts:
            if f.review_due is not None:
                counts.with_review += 1
                counts.review_counted += f.review_held_on is not None or f.review_due < cutoff
                counts.on_time += f.review_held_on is not None and f.review_held_on <= f.review_due + grace
            if f.session_1_held_on is not None:
                counts.started += 1
                counts.agreed += f.slots == SlotsState.AGREED_AT_SESSION_1
            if f.review_tools is not None:
                counts.standings += 1
                counts.sustained += f.review_sustained
                counts.rated += f.review_tools
            wait = first_coaching_wait(
                session_1_held_on=f.session_1_held_on, first_coaching_held_on=f.first_coaching_held_on, today=today
            )
            if wait is not None and wait.waiting:
                counts.waiting_long += wait.too_long
            elif wait is not None:
                counts.waits[wait.days] = counts.waits.get(wait.days, 0) + 1
        return counts


_COUNTS = [name for name in MeasureCounts.__dataclass_fields__ if name != "waits"]


def measure_counts(
    enrolments: QuerySet, *, today: dt.date, cohort_ids: Sequence[int]
) -> tuple[MeasureCounts, dict[int, MeasureCounts]]:
    """MeasureCounts.of_facts() in SQL: over these enrolments, and per cohort for the given cohorts.

    One query whose rows do not grow with the teams: grouped by cohort (the given ones; every other
    cohort together) and by the days to first coaching, which take few values. The rules are
    of_facts()'s, as conditions on the stored figures (EnrolmentProgress, EnrolmentStanding).
    """
    progress = "progress__"
    due, held = F(f"{progress}review_due_date"), F(f"{progress}review_held_on")
    session_1 = Q(**{f"{progress}session_1_held_on__isnull": False})
    standing = Q(checklist_standing__review_tool_count__isnull=False)
    limit_day = today - dt.timedelta(first_coaching_wait_limit())
    conditions = {
        "teams": Q(),
        "with_review": Q(**{f"{progress}review_due_date__isnull": False}),
        "review_counted": Q(**{f"{progress}review_due_date__isnull": False})
        & (Q(**{f"{progress}review_held_on__isnull": False}) | LessThan(due, overdue_cutoff(today))),
        "on_time": Q(LessThanOrEqual(held - due, dt.timedelta(grace_days()))),
        "started": session_1,
        "agreed": Q(Exact(slots_state_expression(), SlotsState.AGREED_AT_SESSION_1.value)),
        "standings": standing,
    }
    sums = {name: Count("pk", filter=condition) if condition else Count("pk") for name, condition in conditions.items()}
    sums["sustained"] = Coalesce(Sum("checklist_standing__review_sustained_count", filter=standing), 0)
    sums["rated"] = Coalesce(Sum("checklist_standing__review_tool_count", filter=standing), 0)
    sums["waiting_long"] = Count(
        "pk",
        filter=session_1
        & Q(**{f"{progress}first_coaching_held_on__isnull": True, f"{progress}session_1_held_on__lt": limit_day}),
    )
    ids = list(cohort_ids)
    bucket = Case(When(cohort_id__in=ids, then=F("cohort_id")), default=None, output_field=IntegerField())
    rows = (
        enrolments.order_by()
        .values(bucket=bucket, wait=F(f"{progress}first_coaching_held_on") - F(f"{progress}session_1_held_on"))
        .annotate(**sums)
        .values_list("bucket", "wait", *sums)
    )
    overall = MeasureCounts()
    by_cohort = {pk: MeasureCounts() for pk in ids}
    for cohort_id, wait, *values in rows:
        counts = MeasureCounts(**dict(zip(sums, values, strict=True)))
        if wait is not None:  # as first_coaching_wait(): the days, never fewer than 0
            counts.waits = {max(0, wait.days): counts.teams}
        overall.add(counts)
        if cohort_id is not None:
            by_cohort[cohort_id].add(counts)
    return overall, by_cohort


def _percent_figure(part: int, whole: int, *, none: str) -> tuple[str, Decimal | None]:
    percent = percentage(part, whole)
    return (none if percent is None else f"{percent:.1f}%".replace(".0%", "%")), percent


def _teams(n: int) -> str:
    return f"{n} team{'s' if n != 1 else ''}"


# --- The measures ---------------------------------------------------------------------------------


def positive_measure(figures: FeedbackFigures | None) -> Measure:
    how = (
        "Of all answers to “As a result of this session I feel I could make improvements in my workplace”, "
        "the share answering Yes (Not sure and No count against), over every session with a feedback link."
    )
    common = {"key": "positive", "name": "Attendees who feel they could make improvements", "how": how}
    if figures is not None and figures.withheld:
        return Measure(
            **common,
            figure="Not shown",
            detail=f"Fewer than {figures.min_group} responses: figures appear once a group has "
            f"{figures.min_group} or more, so that no one's answers can be picked out.",
            withheld=True,
        )
    yes = figures.yes if figures else 0
    responses = figures.responses if figures else 0
    figure, percent = _percent_figure(yes, responses, none="No responses yet")
    if responses:
        detail = f"{yes} of {responses} response{'s' if responses != 1 else ''} answered Yes"
        detail += f" ({figures.not_sure} not sure, {figures.no} no)"
    else:
        detail = "No attendee has answered the feedback form yet"
    return Measure(**common, figure=figure, detail=detail + ".", numerator=yes, denominator=responses, percent=percent)


def on_time_measure(counts: MeasureCounts) -> Measure:
    grace = grace_days()
    counted, on_time = counts.review_counted, counts.on_time
    waiting = counts.with_review - counted
    figure, percent = _percent_figure(on_time, counted, none="None due yet")
    if counted:
        detail = f"{on_time} of {_teams(counted)} held the 12-week review by its due date plus {grace} days' grace"
        if waiting:
            detail += f"; {_teams(waiting)} not due yet"
    else:
        detail = f"No team's 12-week review is due yet ({_teams(waiting)} on the way)"
    return Measure(
        key="on_time",
        name="Teams finishing the 12 weeks on time",
        figure=figure,
        detail=detail + ".",
        how=(
            "Teams whose 12-week review has been held, or whose review is past its due date plus the "
            f"{grace}-day grace period (held or not, withdrawn or not); on time when held no later than "
            f"{grace} days after its due date. Teams not yet at that point are not counted."
        ),
        numerator=on_time,
        denominator=counted,
        percent=percent,
    )


def slots_measure(counts: MeasureCounts) -> Measure:
    agreed, started = counts.agreed, counts.started
    figure, percent = _percent_figure(agreed, started, none="No session 1 held yet")
    detail = (
        f"{agreed} of {_teams(started)} that have held session 1 agreed their coaching slots on or before that day."
        if started
        else "No team has held session 1 yet."
    )
    return Measure(
        key="slots",
        name="Coaching slots agreed at session 1",
        figure=figure,
        detail=detail,
        how=(
            "Teams that have held session 1; counted when their coaching slots were agreed, on a meeting the team "
            "already holds, on or before the day session 1 was held (the day the coach says they were agreed, "
            "which may be before the day they were typed in)."
        ),
        numerator=agreed,
        denominator=started,
        percent=percent,
    )


def sustained_measure(counts: MeasureCounts, *, run_length: int) -> Measure:
    sustained, rated, standings = counts.sustained, counts.rated, counts.standings
    figure, percent = _percent_figure(sustained, rated, none="No 12-week checklist yet")
    if standings:
        detail = (
            f"{sustained} of {rated} tools sustained on the 12-week review checklists of {_teams(standings)} "
            f"({sustained / standings:.1f} tools per team on average)"
        )
    else:
        detail = "No team has a checklist at its 12-week review yet"
    return Measure(
        key="sustained",
        name="Tools sustained at week 12",
        figure=figure,
        detail=detail + ".",
        how=(
            "On each team's checklist at its 12-week review: the tools whose latest "
            f"{run_length} rating{'s' if run_length != 1 else ''} up to that checklist "
            f"{'are all' if run_length != 1 else 'is'} “Most of the time”, over the tools that checklist rated. "
            "Teams with no checklist at their review are left out."
        ),
        numerator=sustained,
        denominator=rated,
        percent=percent,
    )


def first_coaching_measure(counts: MeasureCounts) -> Measure:
    """The wait to first coaching (programmes.models.first_coaching_wait): its median over the teams
    whose first coaching session is held, and the teams within the limit (those still waiting count
    against it once they are over it)."""
    limit = first_coaching_wait_limit()
    measured = sum(counts.waits.values())
    within = sum(teams for days, teams in counts.waits.items() if days <= limit)
    counted = measured + counts.waiting_long  # a team still within the limit is not judged yet
    _, percent = _percent_figure(within, counted, none="")
    if measured:
        figure = f"{_median_days(counts.waits)} days"
        detail = (
            f"Median over {_teams(measured)} with a coaching session held (longest {max(counts.waits)} days); "
            f"{within} of {counted} within {limit} days"
        )
    else:
        figure = "No coaching session held yet"
        detail = "No team has held a coaching session yet"
    if counts.waiting_long:
        detail += f"; {_teams(counts.waiting_long)} still waiting after more than {limit} days"
    return Measure(
        key="first_coaching",
        name="Wait to first coaching",
        figure=figure,
        detail=detail + ".",
        how=(
            "Days from session 1 held to the team's first coaching session held. Teams still waiting count "
            f"against the {limit}-day limit once they pass it, and their improvement manager is told."
        ),
        numerator=within,
        denominator=counted,
        percent=percent,
    )


def _median_days(waits: dict[int, int]) -> str:
    """The median of whole days given as {days: how many}, as a whole or half day."""
    n = sum(waits.values())
    middle = []  # the days at sorted positions (n - 1) // 2 and n // 2
    seen = 0
    for days in sorted(waits):
        seen += waits[days]
        while len(middle) < 2 and seen > ((n - 1) // 2 if not middle else n // 2):
            middle.append(days)
    return f"{(middle[0] + middle[1]) / 2:g}"


def version_measure(programme: ProgrammeVersions | None, *, follows: ProgrammeTemplate | None = None) -> Measure:
    current = programme.current if programme else None
    figure = f"Version {current.version}" if current else "No version published"
    detail = programme.target.summary if programme else "No programme has been set up."
    if current is not None:
        detail = f"Published {current.published_on.day} {current.published_on:%b %Y}. {detail}"
    if follows is not None:
        detail += f" This cohort follows version {follows.version}."
    name = programme.name if programme else "the programme"
    return Measure(
        key="version",
        name="Current programme version against the version 1.0 target",
        figure=figure,
        detail=detail,
        how=(
            f"The latest published version of {name}, against the target {TARGET_LABEL} "
            f"(published on or before {TARGET_DEADLINE.day} {TARGET_DEADLINE:%B %Y})."
        ),
    )


def measures_for(
    counts: MeasureCounts,
    *,
    feedback: FeedbackFigures | None,
    programme: ProgrammeVersions | None,
    follows: ProgrammeTemplate | None = None,
    run_length: int,
) -> list[Measure]:
    return [
        positive_measure(feedback),
        on_time_measure(counts),
        slots_measure(counts),
        sustained_measure(counts, run_length=run_length),
        first_coaching_measure(counts),
        version_measure(programme, follows=follows),
    ]


# --- The aim page: every cohort -----------------------------------------------------------------


@dataclass(frozen=True)
class CohortMeasures:
    cohort: Cohort
    team_count: int
    measures: list[Measure]

    def measure(self, key: str) -> Measure:
        return next(m for m in self.measures if m.key == key)


@dataclass(frozen=True)
class Deadline:
    """A deadline as seen on one day: how many days are left, or how long ago it passed."""

    date: dt.date
    today: dt.date

    @property
    def days_left(self) -> int:
        """Days to go (0 on the day itself); negative once the deadline has passed."""
        return (self.date - self.today).days

    @property
    def passed(self) -> bool:
        return self.days_left < 0

    @property
    def words(self) -> str:
        when = f"{self.date:%-d %B %Y}"
        days = abs(self.days_left)
        plural = "" if days == 1 else "s"
        if self.passed:
            return f"The deadline, {when}, passed {days} day{plural} ago."
        if days == 0:
            return f"The deadline, {when}, is today."
        return f"The deadline is {when}: {days} day{plural} to go."


@dataclass(frozen=True)
class AimPage:
    aim: str
    aim_date: dt.date
    deadline: Deadline  # the aim's deadline, seen today
    measures: list[Measure]  # every team this user may see
    cohorts: list[CohortMeasures]  # this page's cohorts, newest first
    cohort_page: Page  # of the cohorts with a team this user may see
    programmes: list[ProgrammeVersions]
    team_count: int
    min_group: int

    @property
    def cohort_count(self) -> int:
        return self.cohort_page.paginator.count


AIM_COHORTS_PER_PAGE = 20


def _cohort_page(cohorts: QuerySet[Cohort], page: object) -> Page:
    """Paginator(cohorts).get_page(page) in one query: the page's cohorts with their count as a window
    over them all. A page past the last, or below 1, or no cohorts: Paginator's own two queries."""
    paginator = Paginator(cohorts, AIM_COHORTS_PER_PAGE)
    try:
        number = int(page)
    except (TypeError, ValueError):
        number = 1  # as get_page(): not a number, the first page
    if number >= 1:
        start = (number - 1) * AIM_COHORTS_PER_PAGE
        rows = list(cohorts.annotate(cohorts_in_all=Window(Count("pk")))[start : start + AIM_COHORTS_PER_PAGE])
        if rows:
            paginator.count = rows[0].cohorts_in_all  # its cached_property, set: no COUNT query
            return Page(rows, number, paginator)
    return paginator.get_page(page)


def aim_page(*, user, today: dt.date, run_length: int, page: object = 1) -> AimPage:
    """The measures over every team this user may see, and one page of cohorts with theirs.

    Four queries, whatever the number of teams and cohorts: the feedback figures (1), the programme
    versions (1), the page's cohorts with their count (1: _cohort_page()), and the teams counted for
    the measures in SQL, overall and for the page's cohorts (1: measure_counts()).
    """
    visible = enrolments_visible_to(user)
    feedback = feedback_figures(user=user, cohort_ids=[])  # the overall and cohort levels only
    programmes = programme_versions(today=today)
    by_name = {p.name: p for p in programmes}
    cohorts = Cohort.objects.filter(pk__in=visible.values("cohort_id")).select_related("template")
    paged = _cohort_page(cohorts.order_by("-start_date", "name", "pk"), page)
    overall, by_cohort = measure_counts(visible, today=today, cohort_ids=[c.pk for c in paged.object_list])
    return AimPage(
        aim=AIM,
        aim_date=AIM_DATE,
        deadline=Deadline(date=AIM_DATE, today=today),
        measures=measures_for(
            overall,
            feedback=feedback.overall if feedback.has_links else None,
            programme=by_name.get(TEMPLATE_NAME, programmes[0] if programmes else None),
            run_length=run_length,
        ),
        cohorts=[
            CohortMeasures(
                cohort=cohort,
                team_count=by_cohort[cohort.pk].teams,
                measures=measures_for(
                    by_cohort[cohort.pk],
                    feedback=feedback.cohorts.get(cohort.pk),
                    programme=by_name.get(cohort.template.name),
                    follows=cohort.template,
                    run_length=run_length,
                ),
            )
            for cohort in paged.object_list
        ],
        cohort_page=paged,
        programmes=programmes,
        team_count=overall.teams,
        min_group=min_group(),
    )


# --- A cohort's page: its measures and the tool-by-team heatmap ---------------------------------


@dataclass(frozen=True)
class TeamReview:
    """A team's row with its 12-week review session (None: its version has none), for the report."""

    row: ProgressRow
    review: Session | None


@dataclass(frozen=True)
class HeatmapRow:
    row: ProgressRow
    cells: list[ToolStanding | None]  # one per tool; None: not rated yet


@dataclass(frozen=True)
class ToolTally:
    """How many of the cohort's teams have a tool sustained, embedding or not yet, at their latest checklist."""

    tool: Tool
    sustained: int
    embedding: int
    not_yet: int
    not_rated: int

    @property
    def rated(self) -> int:
        return self.sustained + self.embedding + self.not_yet


@dataclass(frozen=True)
class CohortPage:
    cohort: Cohort
    measures: list[Measure]
    rows: list[ProgressRow]  # by site and team
    facts: list[EnrolmentFacts]  # the same order
    team_reviews: list[TeamReview]  # the same order
    tools: list[Tool]
    heatmap: list[HeatmapRow]
    tallies: list[ToolTally]
    plans: list[SessionPlan]
    feedback: FeedbackFigures | None
    run_length: int
    teams_with_checklist: int
    pdsa_cycles: list[PdsaCycle] = field(default_factory=list)
    moves: int = 0

    def measure(self, key: str) -> Measure:
        return next(m for m in self.measures if m.key == key)

    @property
    def held(self) -> int:
        return sum(r.team_row.held_count for r in self.rows)

    @property
    def due(self) -> int:
        return sum(r.sessions_due for r in self.rows)

    @property
    def cancelled(self) -> int:
        return sum(1 for r in self.rows for s in r.team_row.sessions if s.cancelled)

    @property
    def overdue(self) -> int:
        return sum(r.team_row.overdue_count for r in self.rows)

    @property
    def scheduled_late(self) -> int:
        """Open sessions agreed past their due date plus the grace days (slipping, not yet overdue)."""
        return sum(
            1 for r in self.rows if not r.team_row.is_finished for s in r.team_row.sessions if s.days_scheduled_late
        )

    @property
    def overdue_teams(self) -> int:
        return sum(1 for r in self.rows if r.is_overdue)

    @property
    def sessions(self) -> int:
        return sum(r.team_row.session_count for r in self.rows)


def _tallies(tools: list[Tool], rows: list[ProgressRow]) -> list[ToolTally]:
    tallies = []
    for tool in tools:
        counts = {status: 0 for status in Sustainment}
        not_rated = 0
        for row in rows:
            standing = row.standing.tools.get(tool.pk) if row.standing else None
            if standing is None:
                not_rated += 1
            else:
                counts[standing.status] += 1
        tallies.append(
            ToolTally(
                tool=tool,
                sustained=counts[Sustainment.SUSTAINED],
                embedding=counts[Sustainment.EMBEDDING],
                not_yet=counts[Sustainment.NOT_YET],
                not_rated=not_rated,
            )
        )
    return tallies


def cohort_page(*, cohort: Cohort, user, today: dt.date, run_length: int, report: bool = False) -> CohortPage:
    """The cohort's measures and heatmap. Reads cohort.template (load it).

    Eight queries, whatever the number of teams: the dashboard's rows for the cohort (5, with each
    team's facts), the template's session plan (1), the tools (1), the programme versions (1). With report=True,
    two more: the PDSA cycles about the cohort or its version (1) and the moves of agreed times (1).
    """
    data = cohort_progress_rows(user=user, cohort=cohort, today=today, run_length=run_length)
    rows = data.rows
    plans = list(cohort.template.plans.order_by("number"))
    review_plans = {plan.pk for plan in plans if plan.is_review}
    facts = [loaded_enrolment_facts(row.enrolment) for row in rows]
    rated = {tool_id for row in rows if row.standing for tool_id in row.standing.tools}
    tools = [tool for tool in Tool.objects.order_by("order", "name") if tool.active or tool.pk in rated]
    programmes = {p.name: p for p in programme_versions(today=today)}
    feedback = data.feedback.cohorts.get(cohort.pk)
    extra = {}
    if report:
        extra["pdsa_cycles"] = list(
            PdsaCycle.objects.filter(Q(cohort=cohort) | Q(template_id=cohort.template_id)).order_by(
                "started_on", "title"
            )
        )
        extra["moves"] = SessionChange.objects.filter(session__enrolment__cohort=cohort).aggregate(n=Count("pk"))["n"]
    return CohortPage(
        cohort=cohort,
        measures=measures_for(
            MeasureCounts.of_facts(facts, today=today),
            feedback=feedback,
            programme=programmes.get(cohort.template.name),
            follows=cohort.template,
            run_length=run_length,
        ),
        rows=rows,
        facts=facts,
        team_reviews=[
            TeamReview(row=row, review=next((s for s in row.team_row.sessions if s.plan_id in review_plans), None))
            for row in rows
        ],
        tools=tools,
        heatmap=[
            HeatmapRow(row=row, cells=[row.standing.tools.get(t.pk) if row.standing else None for t in tools])
            for row in rows
        ],
        tallies=_tallies(tools, rows),
        plans=plans,
        feedback=feedback,
        run_length=run_length,
        teams_with_checklist=sum(1 for row in rows if row.standing),
        **extra,
    )
