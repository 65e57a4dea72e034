"""Reads for the dashboards: the progress dashboard (every visible team as plain values, then
one page of them), a cohort's rows, and the sessions export.

Each says how many queries it costs; none grows with the number of rows. The rules themselves are
not repeated here: session status, overdue and "what is next" come from programmes
(session_status(), last_on_time_day(), team_row), the slots state and the attention order from
coaching, sustained and adoption score from checklists (stored per enrolment: EnrolmentStanding),
feedback figures (with the leads' minimum-group rule) from feedback.selectors.feedback_figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Lower
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from checklists.selectors import ChecklistStanding, checklist_standings
from coaching.models import CoachingAgreement, SlotsState, slots_state, slots_state_expression, slots_state_on
from coaching.selectors import agreement_of, attention_key
from feedback.selectors import FeedbackFigures, FeedbackTotals, enrolment_feedback_figures, feedback_figures
from programmes.access import enrolments_visible_to, sessions_visible_to
from programmes.models import (
    Cohort,
    Enrolment,
    EnrolmentStatus,
    FirstCoachingWait,
    ImprovementBoard,
    Session,
    SessionKind,
    SessionStatus,
    Site,
    days_scheduled_late,
    first_coaching_wait,
    last_on_time_day,
    next_session_overdue,
    session_status,
)
from programmes.selectors import TeamRow, team_row
from programmes.selectors.huddles import TeamHuddles, team_huddles

PROGRAMME_WEEKS = 12
OVERDUE = "overdue"  # the status filter's one derived value: next to the enrolment statuses


# --- The progress dashboard: one row per enrolment ----------------------------------------------


@dataclass(frozen=True)
class ProgressRow:
    """What the dashboard shows about one enrolment."""

    team_row: TeamRow
    week: int | None  # the programme week today (session 1's week is week 1); None before session 1
    sessions_due: int  # sessions held, or not cancelled and due by today
    standing: ChecklistStanding | None  # at the latest checklist
    feedback: FeedbackFigures | None  # None: no session has a feedback link
    first_coaching: FirstCoachingWait | None = None  # the wait to first coaching; None before session 1

    @property
    def enrolment(self) -> Enrolment:
        return self.team_row.enrolment

    @property
    def is_overdue(self) -> bool:
        return self.team_row.is_overdue

    @property
    def week_label(self) -> str:
        return week_label(status=self.enrolment.status, week=self.week)

    @property
    def progress_weeks(self) -> int:
        return progress_weeks(status=self.enrolment.status, week=self.week)

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
        return shown_positive_pct(self.feedback)

    @property
    def responses(self) -> int | None:
        return shown_responses(self.feedback)


def week_label(*, status: str, week: int | None) -> str:
    if status == EnrolmentStatus.COMPLETED:
        return "completed"
    if status == EnrolmentStatus.WITHDRAWN:
        return "withdrawn" if week is None else f"withdrawn in week {week}"
    if week is None:
        return "not started"
    if week > PROGRAMME_WEEKS:
        return f"week {week} (past {PROGRAMME_WEEKS})"
    return f"week {week} of {PROGRAMME_WEEKS}"


def progress_weeks(*, status: str, week: int | None) -> int:
    """The progress bar's value, 0 to 12."""
    if status == EnrolmentStatus.COMPLETED:
        return PROGRAMME_WEEKS
    return min(week or 0, PROGRAMME_WEEKS)


def shown_positive_pct(figures: FeedbackFigures | None):
    return figures.positive_pct if figures and not figures.withheld else None


def shown_responses(figures: FeedbackFigures | None) -> int | None:
    return figures.responses if figures and not figures.withheld else None


def _sessions_for_rows() -> QuerySet[Session]:
    """The session fields the rows read (status, next session, the review, the first coaching session's
    kind), in number order."""
    return (
        Session.objects.select_related("plan")
        .only(
            "id", "enrolment_id", "plan_id", "number", "due_date", "agreed_start", "held_on", "cancelled", "plan__kind"
        )
        .chronological()
    )


def programme_week_on(*, status: str, session1_date: dt.date, today: dt.date) -> int | None:
    """Week N since session 1 (session 1's week is week 1); None for a planned enrolment or before session 1."""
    if status == EnrolmentStatus.PLANNED or today < session1_date:
        return None
    return (today - session1_date).days // 7 + 1


class _DaysBetween(Func):
    """The whole days from the second date to the first, on PostgreSQL (date - date) and SQLite."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="CAST(ROUND(julianday(%(expressions)s)) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


def programme_week_expression(*, day, session1_date="session1_date") -> tuple[Func, Q]:
    """programme_week_on() in SQL, for a `day` expression and the enrolment's session 1 date: the
    week, and the condition that there is one (not planned: filter the status apart). Checked
    against the Python rule by dashboards/tests/test_programme_week_sql.py."""
    days = _DaysBetween(day, F(session1_date))
    return days / 7 + 1, Q(GreaterThanOrEqual(day, F(session1_date)))


def programme_week(*, enrolment: Enrolment, today: dt.date) -> int | None:
    return programme_week_on(status=enrolment.status, session1_date=enrolment.session1_date, today=today)


def _sessions_due(sessions: list[Session], today: dt.date) -> int:
    return sum(1 for s in sessions if s.held_on is not None or (not s.cancelled and s.due_date <= today))


# --- Every visible team as plain values: the summary, the filters, the order, the pages ----------


@dataclass(frozen=True)
class NextSession:
    """A team's next open session, as the dashboard shows it."""

    pk: int
    number: int
    due_date: dt.date
    agreed_start: dt.datetime | None

    @property
    def days_scheduled_late(self) -> int:
        return days_scheduled_late(due_date=self.due_date, agreed_start=self.agreed_start)


@dataclass(frozen=True)
class DashboardRow:
    """One enrolment on the dashboard, from plain values (no model instances, no sessions loaded):
    what its row shows and what the summary, filters and sort read. The rules are the ones every
    page uses: session_status() and last_on_time_day() for overdue, slots_state_on() for the slots,
    attention_key() for the order, the stored checklist standing, the feedback figures."""

    pk: int
    status: str
    team_id: int
    team_name: str
    site_id: int
    site_code: str
    cohort_id: int
    cohort_start: dt.date
    cohort_name: str
    coach_name: str | None
    week: int | None
    held_count: int
    sessions_due: int
    next_session: NextSession | None  # None when finished or none open
    is_overdue: bool
    days_overdue: int
    slots: SlotsState
    adoption_score: float | None
    sustained_count: int | None
    tool_count: int | None
    feedback: FeedbackFigures | None
    first_coaching: FirstCoachingWait | None = None  # the wait to first coaching; None before session 1
    huddles: TeamHuddles | None = None  # the team's huddles at its board (programmes.selectors.huddles)

    @property
    def is_finished(self) -> bool:
        return self.status in EnrolmentStatus.finished()

    @property
    def status_label(self) -> str:
        return EnrolmentStatus(self.status).label

    @property
    def next_due(self) -> dt.date | None:
        return self.next_session.due_date if self.next_session else None

    @property
    def week_label(self) -> str:
        return week_label(status=self.status, week=self.week)

    @property
    def progress_weeks(self) -> int:
        return progress_weeks(status=self.status, week=self.week)

    @property
    def positive_pct(self):
        return shown_positive_pct(self.feedback)

    @property
    def responses(self) -> int | None:
        return shown_responses(self.feedback)

    def attention(self) -> tuple:
        return attention_key(
            is_finished=self.is_finished,
            is_overdue=self.is_overdue,
            days_overdue=self.days_overdue,
            slots_to_agree=self.slots == SlotsState.NOT_AGREED and not self.is_finished,
            next_due=self.next_due,
        )


def _person_name(first_name: str | None, last_name: str | None, username: str | None) -> str | None:
    """As User.get_full_name(), or the username without one; None without a user."""
    if username is None:
        return None
    return f"{first_name or ''} {last_name or ''}".strip() or username


# --- The order and the counts, as SQL over the stored per-enrolment figures -----------------------
# programmes.models.EnrolmentProgress (the next open session's anchor, session 1's day held, counts)
# and checklists.models.EnrolmentStanding are kept current by every write; what depends on today
# is worked out from them by the SQL twins of the Python rules, each beside its rule:
# next_session_overdue() (programmes.models) and slots_state_expression() (coaching.models); the
# order here is attention_key()'s. test_dashboard_pages.py checks every row and every order
# against the rows built from the sessions themselves.

_FINISHED = Q(status__in=EnrolmentStatus.finished())
_SLOTS_RANK = {state: rank for rank, state in enumerate(sorted(SlotsState))}  # as the Python sort


def _slots_to_agree() -> Q:
    """Slots not agreed (session 1 held, no agreement) on a current enrolment: attention_key()'s second rule.
    NOT EXISTS rather than a join: the page's ordering query then joins one table fewer (a sixth
    table doubled the time PostgreSQL took to plan it)."""
    no_agreement = ~Exists(CoachingAgreement.objects.filter(enrolment_id=OuterRef("pk")))
    return Q(no_agreement, progress__session_1_held_on__isnull=False) & ~_FINISHED


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _next_due() -> Case:
    """The next open session's due date; none for a finished enrolment (as team_row)."""
    return Case(When(~_FINISHED, then=F("progress__next_due_date")), default=None, output_field=DateField())


_TIE = (Lower("team__name").asc(), F("pk").asc())  # equal values: by team name


def _attention_order(today: dt.date) -> list:
    """attention_key(): current before finished, overdue first (longest overdue first), then slots
    to agree, then the next due date; then the cohort, site and team."""
    overdue = next_session_overdue(today)
    return [
        _flag(_FINISHED).asc(),
        # Overdue first: only an overdue team has an anchor here (NULLS LAST puts the rest after).
        Case(When(overdue, then=F("progress__next_anchor")), default=None, output_field=DateField()).asc(
            nulls_last=True
        ),
        _flag(_slots_to_agree()).desc(),
        _next_due().asc(nulls_last=True),
        F("cohort__start_date").asc(),
        F("team__site__code").asc(),
        F("team__name").asc(),
        F("pk").asc(),
    ]


def _week_start(today: dt.date) -> Case:
    """Session 1's date where the programme week is shown (not planned, started by today): the
    week sort's value (a later start is an earlier week)."""
    return Case(
        When(Q(status=EnrolmentStatus.PLANNED) | Q(session1_date__gt=today), then=None),
        default=F("session1_date"),
        output_field=DateField(),
    )


def _sessions_due_count(today: dt.date) -> Subquery:
    """Sessions held, or not cancelled and due by today (as the rows count them)."""
    counted = (
        Session.objects.filter(enrolment_id=OuterRef("pk"))
        .filter(Q(held_on__isnull=False) | Q(cancelled=False, due_date__lte=today))
        .order_by()
        .values("enrolment_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _sql_order(sort: str, today: dt.date) -> list | None:
    """ORDER BY for a sort key (None: a key sorted in Python, the feedback figures)."""
    descending = sort.startswith("-")
    key = sort.removeprefix("-")

    def by(*values) -> list:
        return [
            (v.desc(nulls_last=True) if descending else v.asc(nulls_last=True)) if hasattr(v, "asc") else v
            for v in values
        ] + list(_TIE)

    overdue = next_session_overdue(today)
    if key == "team":
        return by(Lower("team__name"), F("team__site__code"))
    if key == "site":
        return by(F("team__site__code"), Lower("team__name"))
    if key == "cohort":
        return by(F("cohort__start_date"), F("cohort__name"))
    if key == "week":  # ascending weeks: the latest session 1 first
        start = _week_start(today)
        return [start.asc(nulls_last=True) if descending else start.desc(nulls_last=True), *_TIE]
    if key == "held":
        return by(Coalesce(F("progress__held_count"), 0), _sessions_due_count(today))
    if key == "next":
        return by(_next_due())
    if key == "overdue":  # days overdue: 0 when not overdue; more days is an earlier anchor
        anchor = Case(
            When(overdue, then=F("progress__next_anchor")), default=Value(dt.date.max), output_field=DateField()
        )
        return [anchor.asc() if descending else anchor.desc(), *_TIE]
    if key == "slots":
        rank = Case(
            *(When(slots=Value(state.value), then=Value(rank)) for state, rank in _SLOTS_RANK.items()),
            output_field=IntegerField(),
        )
        return by(rank)
    if key == "adoption":
        return by(F("checklist_standing__adoption_score"))
    if key == "sustained":
        return by(F("checklist_standing__sustained_count"))
    if key in ("positive", "responses"):
        return None
    return _attention_order(today)


_ROW_FIELDS = (
    "pk",
    "status",
    "team_id",
    "team__name",
    "team__site_id",
    "team__site__code",
    "cohort_id",
    "cohort__start_date",
    "cohort__name",
    "session1_date",
    "progress__held_count",
    "progress__next_session_id",
    "progress__next_number",
    "progress__next_due_date",
    "progress__next_agreed_start",
    "progress__session_1_held_on",
    "progress__first_coaching_held_on",
)
# What the page's rows show that no order or filter needs, read for those rows only (so the query
# that orders and pages every team joins fewer tables: planning it took longer than running it;
# the agreement is one of them, the order reading only whether there is one: _slots_to_agree()).
_DETAIL_FIELDS = (
    "pk",
    "coach__first_name",
    "coach__last_name",
    "coach__username",
    "checklist_standing__adoption_score",
    "checklist_standing__sustained_count",
    "checklist_standing__tool_count",
    "agreement__agreed_on",
)


def _dashboard_rows(values: list[tuple], *, today: dt.date, feedback: dict[int, FeedbackFigures]) -> list[DashboardRow]:
    """DashboardRows from _ROW_FIELDS values, in their order; one query for those rows' details
    (_DETAIL_FIELDS) and their sessions due by today, and three for their teams' huddles (none
    without rows)."""
    details = {}
    huddles = team_huddles(team_ids={v[2] for v in values}, today=today)
    if values:
        details = {
            pk: rest
            for pk, *rest in Enrolment.objects.filter(pk__in=[v[0] for v in values])
            .order_by()  # in the page's order already: no join for the model's ordering
            .annotate(sessions_due=_sessions_due_count(today))
            .values_list(*_DETAIL_FIELDS, "sessions_due")
        }
    finished = set(EnrolmentStatus.finished())
    rows = []
    for (
        pk,
        status,
        team_id,
        team_name,
        site_id,
        site_code,
        cohort_id,
        cohort_start,
        cohort_name,
        session1_date,
        held,
        next_pk,
        next_number,
        next_due,
        next_agreed,
        session_1_held_on,
        first_coaching_held_on,
    ) in values:
        coach_first, coach_last, coach_username, adoption, sustained, tools, agreed_on, sessions_due = details[pk]
        next_session = None
        if next_pk is not None and status not in finished:
            next_session = NextSession(pk=next_pk, number=next_number, due_date=next_due, agreed_start=next_agreed)
        is_overdue = next_session is not None and (
            session_status(due_date=next_due, held_on=None, cancelled=False, agreed_start=next_agreed, today=today)
            == SessionStatus.OVERDUE
        )
        days_overdue = 0
        if is_overdue:
            days_overdue = (today - last_on_time_day(due_date=next_due, agreed_start=next_agreed)).days
        rows.append(
            DashboardRow(
                pk=pk,
                status=status,
                team_id=team_id,
                team_name=team_name,
                site_id=site_id,
                site_code=site_code,
                cohort_id=cohort_id,
                cohort_start=cohort_start,
                cohort_name=cohort_name,
                coach_name=_person_name(coach_first, coach_last, coach_username),
                week=programme_week_on(status=status, session1_date=session1_date, today=today),
                held_count=held or 0,
                sessions_due=sessions_due,
                next_session=next_session,
                is_overdue=is_overdue,
                days_overdue=days_overdue,
                slots=slots_state_on(agreed_on=agreed_on, session_1_held_on=session_1_held_on),
                adoption_score=adoption,
                sustained_count=sustained,
                tool_count=tools,
                feedback=feedback.get(pk),
                first_coaching=first_coaching_wait(
                    session_1_held_on=session_1_held_on, first_coaching_held_on=first_coaching_held_on, today=today
                ),
                huddles=huddles.get(team_id),
            )
        )
    return rows


# Sort keys: GET ?sort=<key> (or -<key>, descending). Rows without a value go last either way;
# equal values by team name.
SORTS: dict[str, str] = {
    "team": "Team",
    "site": "Site",
    "cohort": "Cohort",
    "week": "Week",
    "held": "Sessions held / due",
    "next": "Next session",
    "overdue": "Overdue",
    "slots": "Slots agreed at session 1",
    "adoption": "Adoption score",
    "sustained": "Tools sustained",
    "positive": "Feedback positive",
    "responses": "Responses / attendees",
}
DEFAULT_SORT = ""  # those needing attention first, as on My teams
PAGE_SIZE = 25  # rows a page: a screen or two of the table


@dataclass(frozen=True)
class DashboardSummary:
    """Every team this user may see, whatever the filters: how many in each status, and overdue."""

    teams: int
    by_status: list[tuple[str, str, int]]  # (status, label, teams), in the statuses' order
    overdue: int
    slots_not_agreed: int
    no_physical_board: int = 0  # teams still in the programme whose improvement board is virtual or none


def _summary(
    visible: QuerySet[Enrolment], today: dt.date, *, matching: Q | None = None
) -> tuple[DashboardSummary, int]:
    """One aggregate query over every visible team, a row per status: the summary, and how many
    teams match the filters (`matching`: all without)."""
    counts = {
        "overdue": Count("pk", filter=next_session_overdue(today)),
        "slots_not_agreed": Count("pk", filter=_slots_to_agree()),
        "no_physical_board": Count("pk", filter=~Q(team__improvement_board=ImprovementBoard.PHYSICAL) & ~_FINISHED),
        **({"matching": Count("pk", filter=matching)} if matching is not None else {}),
    }
    by_status = {value: 0 for value in EnrolmentStatus.values}
    overdue = slots_not_agreed = no_physical_board = matched = 0
    for status, teams, *more in (
        visible.order_by()
        .values("status")
        .annotate(teams=Count("pk"), **counts)
        .values_list("status", "teams", *counts)
    ):
        by_status[status] = teams
        overdue += more[0]
        slots_not_agreed += more[1]
        no_physical_board += more[2]
        matched += more[3] if matching is not None else teams
    summary = DashboardSummary(
        teams=sum(by_status.values()),
        by_status=[(value, label, by_status[value]) for value, label in EnrolmentStatus.choices],
        overdue=overdue,
        slots_not_agreed=slots_not_agreed,
        no_physical_board=no_physical_board,
    )
    return summary, matched


@dataclass(frozen=True)
class DashboardPage:
    summary: DashboardSummary
    matching: int  # teams matching the filters
    page: Page
    rows: list[DashboardRow]  # the page's rows, in the page's order


def _feedback_sorted(matching: QuerySet[Enrolment], sort: str, feedback: dict[int, FeedbackFigures]) -> list[int]:
    """The matching enrolments' ids in the order of a feedback figure (the minimum-group rule decides
    what is shown, so it is sorted in Python): one query of ids and names."""
    descending = sort.startswith("-")
    value = shown_positive_pct if sort.removeprefix("-") == "positive" else shown_responses
    ids = [(pk, name.lower(), value(feedback.get(pk))) for pk, name in matching.values_list("pk", "team__name")]
    with_value = sorted((i for i in ids if i[2] is not None), key=lambda i: (i[1], i[0]))
    with_value.sort(key=lambda i: i[2], reverse=descending)
    return [i[0] for i in with_value] + [
        i[0] for i in sorted((i for i in ids if i[2] is None), key=lambda i: (i[1], i[0]))
    ]


def dashboard_page(
    *,
    user,
    today: dt.date,
    site_id: int | None = None,
    cohort_id: int | None = None,
    status: str | None = None,
    sort: str = DEFAULT_SORT,
    page: object = 1,
    page_size: int = PAGE_SIZE,
) -> DashboardPage:
    """The dashboard: a summary of every visible team, and one page of the teams matching the
    filters in the order asked for (overdue teams first by default), counted, ordered and paged in
    SQL over the stored per-enrolment figures.

    Eight queries, whatever the number of teams: the summary with the count of matching teams (1),
    the page's rows (1), their feedback figures (2; 1 for a manager or a coach, who read no figure
    under the minimum-group rule: enrolment_feedback_figures), their coaches, checklist standings,
    agreements and sessions due by today (1), their teams' huddles (3: team_huddles).
    Sorted by a feedback figure: the summary (1), every team's feedback figures (1), the matching
    teams' ids and names (1), the page's rows (1), their details (1) and huddles (3).
    """
    visible = enrolments_visible_to(user)
    filters = []
    if site_id is not None:
        filters.append(Q(team__site_id=site_id))
    if cohort_id is not None:
        filters.append(Q(cohort_id=cohort_id))
    if status == OVERDUE:
        filters.append(next_session_overdue(today))
    elif status:
        filters.append(Q(status=status))
    matching = visible.filter(*filters)
    order = _sql_order(sort, today)
    if order is None:  # every team's feedback figures, to sort by them
        summary, _ = _summary(visible, today)
        figures = feedback_figures(user=user).enrolments
        ids = _feedback_sorted(matching, sort, figures)
        paged = Paginator(ids, page_size).get_page(page)
        by_pk = {v[0]: v for v in visible.filter(pk__in=list(paged.object_list)).order_by().values_list(*_ROW_FIELDS)}
        values = [by_pk[pk] for pk in paged.object_list if pk in by_pk]
    else:
        summary, count = _summary(visible, today, matching=Q(*filters) if filters else None)
        if sort.removeprefix("-") == "slots":  # the one order by a value that is not a column
            matching = matching.alias(slots=slots_state_expression())
        paginator = Paginator(matching.order_by(*order).values_list(*_ROW_FIELDS), page_size)
        paginator.count = count  # counted with the summary (its cached_property, set): no COUNT query
        paged = paginator.get_page(page)
        values = list(paged.object_list)
        rows_of = [v[0] for v in values]
        # The page's teams' figures: what the minimum-group rule hides among a cohort's teams
        # depends on that cohort's teams only (and on every cohort's totals, summed in SQL).
        figures = enrolment_feedback_figures(
            user=user, enrolment_ids=rows_of, cohort_ids={v[_ROW_FIELDS.index("cohort_id")] for v in values}
        )
    # The page over the count alone (a range): it pickles, to be kept (dashboards.views), without its
    # paginator's query, which pickling would run for every matching team.
    counted = Paginator(range(paged.paginator.count), page_size).page(paged.number)
    return DashboardPage(
        summary=summary,
        matching=paged.paginator.count,
        page=counted,
        rows=_dashboard_rows(values, today=today, feedback=figures),
    )


def _first_coaching_from_sessions(sessions: list[Session], today: dt.date) -> FirstCoachingWait | None:
    """The wait to first coaching from the sessions themselves (the stored figure's reference)."""
    session_1 = next((s for s in sessions if s.number == 1), None)
    first = next((s for s in sessions if s.plan.kind == SessionKind.COACHING and s.is_held), None)
    return first_coaching_wait(
        session_1_held_on=session_1.held_on if session_1 else None,
        first_coaching_held_on=first.held_on if first else None,
        today=today,
    )


def _progress_row(
    enrolment: Enrolment, *, today: dt.date, standing, feedback, sessions: list[Session] | None = None
) -> ProgressRow:
    """sessions: the enrolment's, in number order (_sessions_for_rows()); by default enrolment.sessions.all()."""
    sessions = list(enrolment.sessions.all()) if sessions is None else sessions
    return ProgressRow(
        team_row=team_row(enrolment, today=today, sessions=sessions),
        week=programme_week(enrolment=enrolment, today=today),
        sessions_due=_sessions_due(sessions, today),
        standing=standing,
        feedback=feedback,
        first_coaching=_first_coaching_from_sessions(sessions, today),
    )


@dataclass(frozen=True)
class CohortRows:
    rows: list[ProgressRow]  # by site and team
    standings: dict[int, ChecklistStanding]  # each team's latest, with every tool's standing
    feedback: FeedbackTotals


def cohort_progress_rows(*, user, cohort: Cohort, today: dt.date, run_length: int) -> CohortRows:
    """The dashboard's rows for one cohort's teams (those this user may see), by site and team,
    with each tool's standing for the heatmap. Four queries, whatever the number of teams in the
    Trust or the cohort: the enrolments with their stored figures (1), their sessions (1), their
    checklist standings (1), every cohort's feedback totals (1: feedback_figures)."""
    enrolments = enrolments_visible_to(user).filter(cohort=cohort)
    loaded = list(
        # With the stored figures: for the measures (dashboards.measures.loaded_enrolment_facts)
        # and the feedback figures, in the order feedback_figures() reads a cohort's teams. The
        # cohort is the one given (no join for it).
        enrolments.select_related(
            "team__site", "coach", "agreement", "progress", "checklist_standing", "feedback_tally"
        ).order_by("team__site__code", "team__name", "pk")
    )
    # The sessions in one query of the cohort's, handed to each row: what prefetch_related("sessions")
    # gives, without its per-object bookkeeping (which cost more than the query itself).
    sessions_of: dict[int, list[Session]] = {e.pk: [] for e in loaded}
    if loaded:
        by_pk, enrolment_field = {e.pk: e for e in loaded}, Session._meta.get_field("enrolment")
        for session in _sessions_for_rows().filter(enrolment__cohort=cohort):
            if session.enrolment_id in by_pk:  # a team this user may see
                enrolment_field.set_cached_value(session, by_pk[session.enrolment_id])  # as the prefetch did
                sessions_of[session.enrolment_id].append(session)
    standings = checklist_standings(enrolments=enrolments, run_length=run_length) if loaded else {}
    figures = feedback_figures(user=user, cohort_ids=[cohort.pk], loaded=loaded)
    rows = []
    for e in loaded:
        e.cohort = cohort
        rows.append(
            _progress_row(
                e,
                today=today,
                standing=standings.get(e.pk),
                feedback=figures.enrolments.get(e.pk),
                sessions=sessions_of[e.pk],
            )
        )
    return CohortRows(rows=rows, standings=standings, feedback=figures)


def filter_choices(*, user) -> tuple[list[Site], list[Cohort]]:
    """The sites, and the cohorts with an enrolment this user may see: two queries. The cohorts
    are read with their names only (what the filter shows)."""
    sites = list(Site.objects.order_by("code"))
    cohorts = list(
        Cohort.objects.filter(pk__in=enrolments_visible_to(user).order_by().values("cohort_id"))
        .order_by("-start_date", "name")
        .only("name")
    )
    return sites, cohorts


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
