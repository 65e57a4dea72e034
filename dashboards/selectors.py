"""Reads for the dashboards: the progress dashboard's rows, every team's checklist standing in one
query, the adoption-score run chart of a team, and the sessions export.

Each says how many queries it costs; none grows with the number of rows. The rules themselves are
not repeated here: session status and "what is next" come from programmes (team_row), sustained
and adoption score from checklists.sustainment, feedback figures (with the leads' minimum-group
rule) from feedback.selectors.feedback_report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from checklists.models import ToolRating, UsageLevel
from checklists.selectors import TeamChecklistSummary
from checklists.sustainment import Sustainment, adoption_score, sustainment_status
from coaching.models import SlotsState, slots_state
from coaching.selectors import agreement_of, attention_order
from feedback.selectors import FeedbackFigures, FeedbackReport, feedback_report
from programmes.access import enrolments_visible_to, sessions_visible_to
from programmes.models import (
    Cohort,
    Enrolment,
    EnrolmentStatus,
    PdsaCycle,
    Session,
    SessionKind,
    Site,
    session_status,
)
from programmes.selectors import TeamRow, team_row

from .svg import ChartMarker, ChartPoint, RunChartSvg, run_chart_svg

PROGRAMME_WEEKS = 12
OVERDUE = "overdue"  # the status filter's one derived value: next to the enrolment statuses


# --- Each team's checklist standing, for many teams in one query --------------------------------


@dataclass(frozen=True)
class ToolStanding:
    """One tool for one team: its latest rating's level and its sustainment status."""

    level: int
    status: Sustainment

    @property
    def level_label(self) -> str:
        return UsageLevel(self.level).label


@dataclass(frozen=True)
class ChecklistStanding:
    """A team's tool usage as of one checklist (its latest, or its 12-week review's).

    The same figures as checklists.selectors.team_checklist_summary's column for that checklist:
    adoption score of the checklist, tools on it sustained as of it, tools it rated; and each
    tool's latest level and status as of it.
    """

    session_id: int
    session_number: int
    date: dt.date  # the day held (or due, for a checklist on a session not held)
    adoption_score: float | None
    sustained_count: int
    tool_count: int
    tools: dict[int, ToolStanding] = field(default_factory=dict)


def _session_order(prefix: str) -> list:
    """The order sessions happened in, newest first: by the day held (or due), then by number;
    as checklists.selectors orders a team's checklists."""
    return [Coalesce(f"{prefix}held_on", f"{prefix}due_date").desc(), F(f"{prefix}number").desc()]


def checklist_standings(
    *, enrolments: QuerySet[Enrolment], run_length: int, up_to_review: bool = False
) -> dict[int, ChecklistStanding]:
    """Each enrolment's standing at its latest checklist (up_to_review: at its 12-week review's
    checklist, counting only checklists up to it), by enrolment id. Enrolments without such a
    checklist are absent (a checklist is seen through its ratings; the form rates every tool).

    One query, whatever the number of teams and checklists: each tool's latest `run_length`
    ratings per enrolment (a window numbering them newest first), which is all that
    sustainment_status() reads.
    """
    ratings = ToolRating.objects.filter(checklist__session__enrolment__in=enrolments)
    if up_to_review:
        review = (
            Session.objects.review().filter(enrolment_id=OuterRef("checklist__session__enrolment_id")).chronological()
        )
        ratings = ratings.annotate(
            when=Coalesce("checklist__session__held_on", "checklist__session__due_date"),
            review_number=Subquery(review.values("number")[:1]),
            review_when=Subquery(review.annotate(when=Coalesce("held_on", "due_date")).values("when")[:1]),
        ).filter(
            Q(when__lt=F("review_when")) | Q(when=F("review_when"), checklist__session__number__lte=F("review_number"))
        )
    rows = (
        ratings.annotate(
            newest=Window(
                RowNumber(),
                partition_by=[F("checklist__session__enrolment_id"), F("tool_id")],
                order_by=_session_order("checklist__session__"),
            ),
        )
        .filter(newest__lte=run_length)
        .order_by()
        .values_list(
            "checklist__session__enrolment_id",
            "checklist__session_id",
            "checklist__session__number",
            Coalesce("checklist__session__held_on", "checklist__session__due_date"),
            "tool_id",
            "level",
            "newest",
        )
    )
    # enrolment -> tool -> [(newest, level, session key)], newest first once sorted
    by_enrolment: dict[int, dict[int, list[tuple[int, int, tuple]]]] = {}
    for enrolment_id, session_id, number, when, tool_id, level, newest in rows:
        by_enrolment.setdefault(enrolment_id, {}).setdefault(tool_id, []).append(
            (newest, level, (when, number, session_id))
        )
    standings = {}
    for enrolment_id, tools in by_enrolment.items():
        for ratings_of_tool in tools.values():
            ratings_of_tool.sort()
        latest = max(ratings_of_tool[0][2] for ratings_of_tool in tools.values())
        when, number, session_id = latest
        on_latest = {tool_id: r[0][1] for tool_id, r in tools.items() if r[0][2] == latest}
        statuses = {
            tool_id: sustainment_status([level for _, level, _ in reversed(r)], run_length=run_length)
            for tool_id, r in tools.items()
        }
        standings[enrolment_id] = ChecklistStanding(
            session_id=session_id,
            session_number=number,
            date=when,
            adoption_score=adoption_score(list(on_latest.values())),
            sustained_count=sum(1 for tool_id in on_latest if statuses[tool_id] == Sustainment.SUSTAINED),
            tool_count=len(on_latest),
            tools={tool_id: ToolStanding(level=r[0][1], status=statuses[tool_id]) for tool_id, r in tools.items()},
        )
    return standings


# --- The progress dashboard: one row per enrolment ----------------------------------------------


@dataclass(frozen=True)
class ProgressRow:
    """What the dashboard shows about one enrolment."""

    team_row: TeamRow
    week: int | None  # the programme week today (session 1's week is week 1); None before session 1
    sessions_due: int  # sessions held, or not cancelled and due by today
    standing: ChecklistStanding | None  # at the latest checklist
    feedback: FeedbackFigures | None  # None: no session has a feedback link

    @property
    def enrolment(self) -> Enrolment:
        return self.team_row.enrolment

    @property
    def is_overdue(self) -> bool:
        return self.team_row.is_overdue

    @property
    def week_label(self) -> str:
        status = self.enrolment.status
        if status == EnrolmentStatus.COMPLETED:
            return "completed"
        if status == EnrolmentStatus.WITHDRAWN:
            return "withdrawn" if self.week is None else f"withdrawn in week {self.week}"
        if self.week is None:
            return "not started"
        if self.week > PROGRAMME_WEEKS:
            return f"week {self.week} (past {PROGRAMME_WEEKS})"
        return f"week {self.week} of {PROGRAMME_WEEKS}"

    @property
    def progress_weeks(self) -> int:
        """The progress bar's value, 0 to 12."""
        if self.enrolment.status == EnrolmentStatus.COMPLETED:
            return PROGRAMME_WEEKS
        return min(self.week or 0, PROGRAMME_WEEKS)

    @property
    def progress_percent(self) -> int:
        return round(100 * self.progress_weeks / PROGRAMME_WEEKS)

    @property
    def slots(self) -> SlotsState:
        """Whether the coaching slots were agreed at session 1 (coaching.models.slots_state). Reads
        the enrolment's agreement: no query, the rows are read with select_related("agreement")."""
        session_1 = self.team_row.session_1
        return slots_state(
            agreement=agreement_of(self.enrolment),
            session_1_held_on=session_1.held_on if session_1 is not None else None,
        )

    @property
    def positive_pct(self):
        figures = self.feedback
        return figures.positive_pct if figures and not figures.withheld else None

    @property
    def responses(self) -> int | None:
        figures = self.feedback
        return figures.responses if figures and not figures.withheld else None


def _sessions_for_rows() -> QuerySet[Session]:
    """The session fields the rows read (status, next session, the review), in number order."""
    return Session.objects.only(
        "id", "enrolment_id", "plan_id", "number", "due_date", "agreed_start", "held_on", "cancelled"
    ).chronological()


def programme_week(*, enrolment: Enrolment, today: dt.date) -> int | None:
    """Week N since session 1 (session 1's week is week 1); None for a planned enrolment or before session 1."""
    if enrolment.status == EnrolmentStatus.PLANNED or today < enrolment.session1_date:
        return None
    return (today - enrolment.session1_date).days // 7 + 1


def _sessions_due(sessions: list[Session], today: dt.date) -> int:
    return sum(1 for s in sessions if s.held_on is not None or (not s.cancelled and s.due_date <= today))


# Sort keys: GET ?sort=<key> (or -<key>, descending). Rows without a value go last either way.
SORTS: dict[str, tuple[str, object]] = {
    "team": ("Team", lambda r: (r.enrolment.team.name.lower(), r.enrolment.team.site.code)),
    "site": ("Site", lambda r: (r.enrolment.team.site.code, r.enrolment.team.name.lower())),
    "cohort": ("Cohort", lambda r: (r.enrolment.cohort.start_date, r.enrolment.cohort.name)),
    "week": ("Week", lambda r: r.week),
    "held": ("Sessions held / due", lambda r: (r.team_row.held_count, r.sessions_due)),
    "next": ("Next session", lambda r: r.team_row.next_session.due_date if r.team_row.next_session else None),
    "overdue": ("Overdue", lambda r: r.team_row.days_overdue),
    "slots": ("Slots agreed at session 1", lambda r: r.slots),
    "adoption": ("Adoption score", lambda r: r.standing.adoption_score if r.standing else None),
    "sustained": ("Tools sustained", lambda r: r.standing.sustained_count if r.standing else None),
    "positive": ("Feedback positive", lambda r: r.positive_pct),
    "responses": ("Responses / attendees", lambda r: r.responses),
}
DEFAULT_SORT = ""  # those needing attention first, as on My teams


def sort_rows(rows: list[ProgressRow], sort: str) -> list[ProgressRow]:
    """Rows in the order asked for; an unknown key gives the default order (attention first)."""
    descending = sort.startswith("-")
    key = SORTS.get(sort.removeprefix("-"))
    if key is None:
        return sorted(
            rows,
            key=lambda r: attention_order(
                r.team_row, slots_to_agree=r.slots == SlotsState.NOT_AGREED and not r.team_row.is_finished
            ),
        )
    value = key[1]
    with_value = [r for r in rows if value(r) is not None]
    without = [r for r in rows if value(r) is None]
    # Sorted by name first, so that equal values keep a stable, readable order.
    with_value.sort(key=lambda r: (r.enrolment.team.name.lower(), r.enrolment.pk))
    with_value.sort(key=value, reverse=descending)
    return with_value + without


@dataclass(frozen=True)
class ProgressData:
    rows: list[ProgressRow]
    feedback: FeedbackReport  # every group this user may read (the filters do not narrow it)


def progress_rows(
    *,
    user,
    today: dt.date,
    site_id: int | None = None,
    cohort_id: int | None = None,
    status: str | None = None,
    run_length: int,
) -> ProgressData:
    """One row per enrolment this user may see (a coach: their own), filtered, in attention order.

    Five queries, whatever the number of rows: the enrolments with team, site, cohort, coach and
    agreement (1), their sessions (1), their checklist standings (1), the feedback figures (2).
    """
    enrolments = enrolments_visible_to(user)
    if site_id is not None:
        enrolments = enrolments.filter(team__site_id=site_id)
    if cohort_id is not None:
        enrolments = enrolments.filter(cohort_id=cohort_id)
    if status and status != OVERDUE:
        enrolments = enrolments.filter(status=status)
    loaded = list(
        enrolments.select_related("team__site", "cohort", "coach", "agreement")
        .prefetch_related(Prefetch("sessions", queryset=_sessions_for_rows()))
        .order_by("cohort__start_date", "team__site__code", "team__name")
    )
    standings = checklist_standings(enrolments=enrolments, run_length=run_length) if loaded else {}
    report = feedback_report(user=user)
    figures = {row.enrolment.pk: row.figures for row in report.enrolments}
    rows = []
    for enrolment in loaded:
        sessions = list(enrolment.sessions.all())
        rows.append(
            ProgressRow(
                team_row=team_row(enrolment, today=today, sessions=sessions),
                week=programme_week(enrolment=enrolment, today=today),
                sessions_due=_sessions_due(sessions, today),
                standing=standings.get(enrolment.pk),
                feedback=figures.get(enrolment.pk),
            )
        )
    if status == OVERDUE:
        rows = [r for r in rows if r.is_overdue]
    return ProgressData(rows=sort_rows(rows, DEFAULT_SORT), feedback=report)


def filter_choices(*, user) -> tuple[list[Site], list[Cohort]]:
    """The sites, and the cohorts with an enrolment this user may see: two queries."""
    sites = list(Site.objects.order_by("code"))
    cohorts = list(
        Cohort.objects.filter(pk__in=enrolments_visible_to(user).values("cohort_id")).order_by("-start_date", "name")
    )
    return sites, cohorts


# --- A team's adoption-score run chart ---------------------------------------------------------


def pdsa_cycles_for(enrolment: Enrolment) -> QuerySet[PdsaCycle]:
    """PDSA cycles about this enrolment's programme: its cohort's, its version's, or programme-wide."""
    cohort = enrolment.cohort
    return PdsaCycle.objects.filter(
        Q(cohort_id=cohort.pk) | Q(template_id=cohort.template_id) | Q(cohort__isnull=True, template__isnull=True)
    ).order_by("started_on", "pk")


def adoption_run_chart(*, summary: TeamChecklistSummary) -> RunChartSvg | None:
    """The adoption score of each of the team's checklists, oldest first, as a run chart with the
    team's coaching sessions and the programme's PDSA changes on the time axis; None when the team
    has no checklist yet. One query (the PDSA cycles), none without a checklist.

    Reads summary.enrolment.cohort: no query when loaded (the team page loads it).
    """
    points = [
        ChartPoint(
            date=column.session.held_on or column.session.due_date,
            value=column.adoption_score,
            label=f"Session {column.session.number}",
        )
        for column in summary.columns
        if column.checklist is not None and column.adoption_score is not None
    ]
    if not points:
        return None
    enrolment = summary.enrolment
    markers = [
        ChartMarker(date=s.held_on, kind="coaching", short=f"C{s.number}", text=f"Coaching session {s.number} held")
        for s in summary.sessions
        if s.plan.kind == SessionKind.COACHING and s.is_held
    ]
    first = min([enrolment.session1_date, *(p.date for p in points), *(m.date for m in markers)])
    last = max([*(p.date for p in points), *(m.date for m in markers)])
    for number, cycle in enumerate(pdsa_cycles_for(enrolment), start=1):
        if first <= cycle.started_on <= last:
            markers.append(
                ChartMarker(date=cycle.started_on, kind="pdsa", short=f"P{number}", text=f"PDSA started: {cycle.title}")
            )
        if cycle.decided_on and first <= cycle.decided_on <= last:
            decision = cycle.get_decision_display() or "decided"
            markers.append(
                ChartMarker(
                    date=cycle.decided_on, kind="pdsa", short=f"P{number}", text=f"PDSA {decision}: {cycle.title}"
                )
            )
    team = enrolment.team
    return run_chart_svg(
        chart_id=f"adoption-run-chart-{enrolment.pk}",
        title=f"Adoption score at each checklist: {team.name}, {enrolment.cohort.name}",
        value_name="Adoption score",
        points=points,
        markers=sorted(markers, key=lambda m: (m.date, m.kind)),
    )


# --- The sessions export -------------------------------------------------------------------------

SESSIONS_CSV_HEADER = [
    "team",
    "site",
    "cohort",
    "coach",
    "session_number",
    "session_title",
    "kind",
    "due_date",
    "agreed_start",
    "held_on",
    "status",
    "attendees",
    "cancelled_reason",
    "times_moved",
    "notes",
]


def _iso(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def sessions_export_rows(*, user, today: dt.date) -> Iterator[list]:
    """One row per session the user may see (SESSIONS_CSV_HEADER), streamed from one query.

    Status is derived as on every page (programmes.models.session_status); agreed start is London
    time with its offset; times_moved counts the recorded moves of its agreed time.
    """
    kinds = dict(SessionKind.choices)
    rows = (
        sessions_visible_to(user)
        .annotate(times_moved=Count("changes"))
        .order_by(
            "enrolment__cohort__start_date",
            "enrolment__cohort__name",
            "enrolment__team__site__code",
            "enrolment__team__name",
            "number",
        )
        .values_list(
            "enrolment__team__name",
            "enrolment__team__site__code",
            "enrolment__cohort__name",
            "enrolment__coach__first_name",
            "enrolment__coach__last_name",
            "enrolment__coach__username",
            "number",
            "plan__title",
            "plan__kind",
            "due_date",
            "agreed_start",
            "held_on",
            "cancelled",
            "attendees",
            "cancelled_reason",
            "times_moved",
            "notes",
        )
    )
    for (
        team,
        site,
        cohort,
        first_name,
        last_name,
        username,
        number,
        title,
        kind,
        due_date,
        agreed_start,
        held_on,
        cancelled,
        attendees,
        cancelled_reason,
        times_moved,
        notes,
    ) in rows.iterator(chunk_size=2000):
        status = session_status(
            due_date=due_date, held_on=held_on, cancelled=cancelled, agreed_start=agreed_start, today=today
        )
        yield [
            team,
            site,
            cohort,
            f"{first_name or ''} {last_name or ''}".strip() or (username or ""),
            number,
            title,
            kinds.get(kind, kind),
            _iso(due_date),
            _iso(agreed_start),
            _iso(held_on),
            status.label,
            "" if attendees is None else attendees,
            cancelled_reason,
            times_moved,
            notes,
        ]
