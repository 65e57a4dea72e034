"""Reads for checklists: the queries pages and exports use, each a constant number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber

from programmes.access import sessions_visible_to
from programmes.models import Enrolment, Session, SessionStatus

from .models import Checklist, RatingValue, Tool, ToolRating, UsageLevel
from .sustainment import Sustainment, adoption_score, sustainment_status


def _person(user, *, unknown: str = "Someone") -> str:
    if user is None:
        return unknown
    return user.get_full_name() or user.get_username()


def _session_order(session: Session) -> tuple:
    """Sessions in the order they happened: by the day held (or due), then by number."""
    return (session.held_on or session.due_date, session.number)


# --- The checklist form ----------------------------------------------------------------------


def sessions_for_checklists() -> QuerySet[Session]:
    """What the checklist pages need with a session, in the one query that loads it."""
    return Session.objects.select_related(
        "plan", "enrolment__team__site", "enrolment__cohort__template", "enrolment__coach", "checklist"
    )


def session_checklist(session: Session) -> Checklist | None:
    """Reads session.checklist: no query when loaded by sessions_for_checklists()."""
    try:
        return session.checklist
    except Checklist.DoesNotExist:
        return None


@dataclass(frozen=True)
class ChecklistFormData:
    """What the checklist form shows: the tools to rate, what is saved, and what was said last time."""

    checklist: Checklist | None
    tools: list[Tool]
    saved: dict[int, RatingValue]
    previous: dict[int, RatingValue]
    previous_session: Session | None

    @property
    def version(self) -> int:
        return self.checklist.version if self.checklist else 0


def checklist_form_data(*, session: Session) -> ChecklistFormData:
    """Two queries: the tools (with their ratings, for a saved checklist) and the previous checklist's ratings.

    A saved checklist shows the tools it was made with, retired or not; a new one the active tools.
    """
    checklist = session_checklist(session)
    if checklist is None:
        tools, saved = list(Tool.objects.active()), {}
    else:
        ratings = list(checklist.ratings.select_related("tool").order_by("tool__order", "tool__name"))
        tools, saved = [r.tool for r in ratings], {r.tool_id: r.value for r in ratings}
    previous_ratings = list(_previous_ratings(session))
    return ChecklistFormData(
        checklist=checklist,
        tools=tools,
        saved=saved,
        previous={r.tool_id: r.value for r in previous_ratings},
        previous_session=previous_ratings[0].checklist.session if previous_ratings else None,
    )


def _previous_ratings(session: Session) -> QuerySet[ToolRating]:
    """The ratings of the team's latest checklist before this session (one query)."""
    held = session.held_on or session.due_date
    earlier = (
        Checklist.objects.filter(session__enrolment_id=session.enrolment_id)
        .exclude(session_id=session.pk)
        .filter(Q(session__held_on__lt=held) | Q(session__held_on=held, session__number__lt=session.number))
        .order_by("-session__held_on", "-session__number")
        .values("pk")[:1]
    )
    return ToolRating.objects.filter(checklist=earlier).select_related("checklist__session")


# --- Conflicts and history -------------------------------------------------------------------


@dataclass(frozen=True)
class ConflictReport:
    """What changed between the version a form was opened on and the version saved now."""

    current_version: int
    saved_by: list[str]
    saved_at: dt.datetime | None
    changes: list[str]
    current: dict[int, RatingValue]
    current_note: str
    known: bool = True  # False when the history does not reach back to the version the form was opened on


def _rating_changes(tool_name: str, before: RatingValue | None, after: RatingValue) -> list[str]:
    if before is None:
        return [f"{tool_name}: {after}"]
    changes = []
    if before.level != after.level:
        changes.append(f"{tool_name}: {before.level_label} \u2192 {after.level_label}")
    if before.discussed != after.discussed:
        yes_no = {True: "yes", False: "no"}
        changes.append(f"{tool_name}: discussed {yes_no[before.discussed]} \u2192 {yes_no[after.discussed]}")
    if before.comment != after.comment:
        changes.append(f"{tool_name}: comment \u201c{before.comment}\u201d \u2192 \u201c{after.comment}\u201d")
    return changes


def _note_change(before: str, after: str) -> list[str]:
    if before == after:
        return []
    return [f"Culture note \u201c{before}\u201d \u2192 \u201c{after}\u201d"]


def checklist_conflict_report(*, session: Session, version: int) -> ConflictReport:
    """What others saved on the session's checklist since `version` (0: since before it existed).

    Three queries: the checklist with its ratings' tools, its history, its ratings' history. The
    checklist's history record of each save is written before that save's ratings, so the state at
    version v is each rating's last record before the first checklist record of a later version.
    """
    checklist = Checklist.objects.filter(session=session).first()
    if checklist is None:
        return ConflictReport(0, [], None, ["The checklist has been deleted."], {}, "")
    ratings = list(checklist.ratings.select_related("tool").order_by("tool__order", "tool__name"))
    current = {r.tool_id: r.value for r in ratings}
    records = list(checklist.history.select_related("history_user").order_by("history_date", "history_id"))
    later = [r for r in records if r.version > version]
    saved_by = list(dict.fromkeys(_person(r.history_user) for r in later)) or ["Someone"]
    saved_at = later[-1].history_date if later else checklist.updated_at
    if version == 0:
        base_note, base = "", {}
    else:
        at_version = [r for r in records if r.version == version]
        if not at_version or not later:
            return ConflictReport(checklist.version, saved_by, saved_at, [], current, checklist.culture_note, False)
        base_note = at_version[-1].culture_note
        boundary = later[0].history_date
        base = {}
        for record in ToolRating.history.filter(checklist_id=checklist.pk, history_date__lt=boundary).order_by(
            "history_date", "history_id"
        ):
            base[record.tool_id] = RatingValue(record.discussed, record.level, record.comment)
    changes = [line for r in ratings for line in _rating_changes(r.tool.name, base.get(r.tool_id), r.value)]
    changes += _note_change(base_note, checklist.culture_note)
    return ConflictReport(checklist.version, saved_by, saved_at, changes, current, checklist.culture_note)


@dataclass(frozen=True)
class ChecklistSave:
    """One save of a checklist in its history: who, when, and what changed."""

    when: dt.datetime
    who: str
    version: int
    created: bool
    changes: list[str] = field(default_factory=list)


def checklist_history(*, checklist: Checklist) -> list[ChecklistSave]:
    """The checklist's saves, newest first. Two queries: the checklist's history and its ratings' history."""
    records = list(checklist.history.select_related("history_user").order_by("history_date", "history_id"))
    rating_records = list(
        ToolRating.history.filter(checklist_id=checklist.pk)
        .select_related("history_user", "tool")
        .order_by("history_date", "history_id")
    )
    saves: list[ChecklistSave] = []
    note = ""
    for record in records:
        created = record.history_type == "+"
        changes = [] if created else _note_change(note, record.culture_note)
        who = _person(record.history_user, unknown="Not recorded")
        saves.append(ChecklistSave(record.history_date, who, record.version, created, changes))
        note = record.culture_note
    if not saves:
        return []
    last_value: dict[int, RatingValue] = {}
    index = 0
    for record in rating_records:
        # A rating belongs to the latest checklist save at or before it.
        while index + 1 < len(records) and records[index + 1].history_date <= record.history_date:
            index += 1
        value = RatingValue(record.discussed, record.level, record.comment)
        before = last_value.get(record.id)
        last_value[record.id] = value
        if saves[index].created and before is None:
            continue  # the first ratings are the checklist being filled in, not changes
        name = record.tool.name if record.tool else "A retired tool"
        saves[index].changes.extend(_rating_changes(name, before, value))
    return list(reversed(saves))


# --- The team's checklists: heatmap, sustainment, adoption, culture notes ---------------------


@dataclass(frozen=True)
class HeatmapCell:
    """One tool on one session's checklist; rating is None when that checklist did not rate it."""

    rating: RatingValue | None

    @property
    def level_class(self) -> str:
        return "none" if self.rating is None else str(self.rating.level)


@dataclass(frozen=True)
class ChecklistColumn:
    """A session in the heatmap: a held session, with or without its checklist."""

    session: Session
    checklist: Checklist | None
    adoption_score: float | None
    sustained_count: int  # tools on this checklist sustained as of it
    tool_count: int  # tools this checklist rated


@dataclass(frozen=True)
class ToolRow:
    tool: Tool
    cells: list[HeatmapCell]  # one per column
    status: Sustainment
    latest: RatingValue | None


@dataclass(frozen=True)
class CultureNote:
    session: Session
    checklist: Checklist


@dataclass(frozen=True)
class TeamChecklistSummary:
    enrolment: Enrolment
    run_length: int
    sessions: list[Session]  # every session, in number order (the timeline)
    columns: list[ChecklistColumn]  # held sessions, in the order held
    rows: list[ToolRow]
    culture_notes: list[CultureNote]  # oldest first

    @property
    def latest_column(self) -> ChecklistColumn | None:
        return next((c for c in reversed(self.columns) if c.checklist is not None), None)

    @property
    def latest_adoption_score(self) -> float | None:
        latest = self.latest_column
        return latest.adoption_score if latest else None

    @property
    def sustained_count(self) -> int:
        """Tools sustained as of the latest checklist."""
        latest = self.latest_column
        return latest.sustained_count if latest else 0

    @property
    def tool_count(self) -> int:
        latest = self.latest_column
        return latest.tool_count if latest else sum(1 for row in self.rows if row.tool.active)

    def timeline(self, today: dt.date) -> list[tuple[Session, SessionStatus]]:
        return [(session, session.status(today)) for session in self.sessions]


def team_checklist_summary(*, enrolment: Enrolment, run_length: int) -> TeamChecklistSummary:
    """The team's checklists as a tools x sessions heatmap, with sustainment, adoption and notes.

    Three queries whatever the number of tools and sessions (team_checklist_summaries).
    """
    return team_checklist_summaries(enrolments=[enrolment], run_length=run_length)[0]


def team_checklist_summaries(*, enrolments: list[Enrolment], run_length: int) -> list[TeamChecklistSummary]:
    """team_checklist_summary for each of these enrolments, in their order: the team page shows one
    per cohort the team was enrolled in.

    Three queries whatever the number of enrolments, tools and sessions: the sessions with their
    plan rows and checklists (and each checklist's coach), the ratings, the tools. None without
    enrolments.
    """
    if not enrolments:
        return []
    by_pk = {e.pk: e for e in enrolments}
    sessions_of: dict[int, list[Session]] = {pk: [] for pk in by_pk}
    for session in (  # query 1
        Session.objects.filter(enrolment_id__in=by_pk).select_related("plan", "checklist__coach").chronological()
    ):
        session.enrolment = by_pk[session.enrolment_id]  # no query when a page reads session.enrolment
        sessions_of[session.enrolment_id].append(session)
    ratings = list(  # query 2
        ToolRating.objects.filter(checklist__session__enrolment_id__in=by_pk).only(
            "checklist_id", "tool_id", "discussed", "level", "comment"
        )
    )
    all_tools = list(Tool.objects.order_by("order", "name"))  # query 3
    by_checklist: dict[int, dict[int, RatingValue]] = {}
    for r in ratings:
        by_checklist.setdefault(r.checklist_id, {})[r.tool_id] = r.value
    return [
        _team_checklist_summary(
            enrolment=enrolment,
            sessions=sessions_of[enrolment.pk],
            by_checklist=by_checklist,
            all_tools=all_tools,
            run_length=run_length,
        )
        for enrolment in enrolments
    ]


def _team_checklist_summary(
    *,
    enrolment: Enrolment,
    sessions: list[Session],
    by_checklist: dict[int, dict[int, RatingValue]],
    all_tools: list[Tool],
    run_length: int,
) -> TeamChecklistSummary:
    """One enrolment's summary from rows already loaded: no queries. by_checklist: checklist id ->
    tool id -> rating (of these and other enrolments' checklists); all_tools: every tool, in order."""
    held = sorted(
        (s for s in sessions if s.is_held or session_checklist(s) is not None),
        key=_session_order,
    )
    rated_tool_ids = {
        tool_id for s in held if (c := session_checklist(s)) is not None for tool_id in by_checklist.get(c.pk, {})
    }
    tools = [t for t in all_tools if t.active or t.pk in rated_tool_ids]
    history: dict[int, list[int]] = {tool.pk: [] for tool in tools}  # levels so far, oldest first
    columns = []
    for session in held:
        checklist = session_checklist(session)
        rated = by_checklist.get(checklist.pk, {}) if checklist else {}
        for tool_id, value in rated.items():
            history.setdefault(tool_id, []).append(value.level)
        sustained = sum(
            1
            for tool_id in rated
            if sustainment_status(history[tool_id], run_length=run_length) == Sustainment.SUSTAINED
        )
        columns.append(
            ChecklistColumn(
                session=session,
                checklist=checklist,
                adoption_score=adoption_score([v.level for v in rated.values()]) if checklist else None,
                sustained_count=sustained,
                tool_count=len(rated),
            )
        )

    rows = []
    for tool in tools:
        cells = [
            HeatmapCell(by_checklist.get(c.checklist.pk, {}).get(tool.pk) if c.checklist else None) for c in columns
        ]
        rated_cells = [cell.rating for cell in cells if cell.rating is not None]
        rows.append(
            ToolRow(
                tool=tool,
                cells=cells,
                status=sustainment_status(history[tool.pk], run_length=run_length),
                latest=rated_cells[-1] if rated_cells else None,
            )
        )
    notes = [
        CultureNote(session=c.session, checklist=c.checklist)
        for c in columns
        if c.checklist is not None and c.checklist.culture_note
    ]
    return TeamChecklistSummary(
        enrolment=enrolment, run_length=run_length, sessions=sessions, columns=columns, rows=rows, culture_notes=notes
    )


# --- Tools and the ratings export --------------------------------------------------------------


def tools_for_management() -> QuerySet[Tool]:
    """Every tool with how many ratings it has (one query)."""
    return Tool.objects.annotate(rating_count=Count("ratings")).order_by("order", "name")


RATINGS_CSV_HEADER = [
    "team",
    "site",
    "cohort",
    "session_number",
    "session_date",
    "tool",
    "discussed",
    "level",
    "comment",
]


def ratings_export_rows(*, user) -> Iterator[list[str]]:
    """One row per rating the user may see (RATINGS_CSV_HEADER), in one query whatever the number of rows."""
    labels = dict(UsageLevel.choices)
    sessions = sessions_visible_to(user)
    rows = (
        ToolRating.objects.filter(checklist__session__in=sessions)
        .order_by(
            "checklist__session__enrolment__cohort__name",
            "checklist__session__enrolment__team__site__code",
            "checklist__session__enrolment__team__name",
            "checklist__session__number",
            "tool__order",
            "tool__name",
        )
        .values_list(
            "checklist__session__enrolment__team__name",
            "checklist__session__enrolment__team__site__code",
            "checklist__session__enrolment__cohort__name",
            "checklist__session__number",
            "checklist__session__held_on",
            "tool__name",
            "discussed",
            "level",
            "comment",
        )
    )
    for team, site, cohort, number, held_on, tool, discussed, level, comment in rows.iterator(chunk_size=2000):
        yield [
            team,
            site,
            cohort,
            str(number),
            held_on.isoformat() if held_on else "",
            tool,
            "yes" if discussed else "no",
            labels[level],
            comment,
        ]


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


def _newest_first(prefix: str) -> list:
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
                order_by=_newest_first("checklist__session__"),
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


@dataclass(frozen=True)
class StandingFigures:
    """What checklists.models.EnrolmentStanding stores for one enrolment, fresh: its standing at its
    latest checklist and, when its 12-week review session has a checklist, at that checklist."""

    latest_session_id: int
    latest_session_number: int
    latest_date: dt.date
    adoption_score: float | None
    sustained_count: int
    tool_count: int
    review_sustained_count: int | None  # None: no checklist on the review session
    review_tool_count: int | None
    run_length: int


def review_session_ids(*, enrolments: QuerySet[Enrolment]) -> dict[int, int]:
    """Each enrolment's 12-week review session, by enrolment id: its first session, in the order
    sessions happen, whose plan row is of the review kind. Enrolments without one are absent. One query."""
    rows = Session.objects.review().filter(enrolment__in=enrolments).chronological().values_list("enrolment_id", "pk")
    reviews: dict[int, int] = {}
    for enrolment_id, session_id in rows:  # each enrolment's sessions come in their order
        reviews.setdefault(enrolment_id, session_id)
    return reviews


def standing_figures(*, enrolments: QuerySet[Enrolment], run_length: int) -> dict[int, StandingFigures]:
    """The figures to store for each of these enrolments that has a standing (checklist_standings),
    by enrolment id; the review figures count only when the standing up to the review is at the
    review session's own checklist (as dashboards.measures.enrolment_facts reads them).

    One query when none of the enrolments has a rating, else three: the latest standings, the
    standings up to the review, the review sessions.
    """
    latest = checklist_standings(enrolments=enrolments, run_length=run_length)
    if not latest:
        return {}
    at_review = checklist_standings(enrolments=enrolments, run_length=run_length, up_to_review=True)
    reviews = review_session_ids(enrolments=enrolments) if at_review else {}
    figures = {}
    for enrolment_id, standing in latest.items():
        review = at_review.get(enrolment_id)
        if review is not None and review.session_id != reviews.get(enrolment_id):
            review = None  # the review session has no checklist: the standing is at an earlier one
        figures[enrolment_id] = StandingFigures(
            latest_session_id=standing.session_id,
            latest_session_number=standing.session_number,
            latest_date=standing.date,
            adoption_score=standing.adoption_score,
            sustained_count=standing.sustained_count,
            tool_count=standing.tool_count,
            review_sustained_count=review.sustained_count if review else None,
            review_tool_count=review.tool_count if review else None,
            run_length=run_length,
        )
    return figures
