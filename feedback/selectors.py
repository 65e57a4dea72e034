"""Reads for attendee feedback: the figures, a session's feedback, comments and the change log.

Who sees what:
- managers see every figure and every comment;
- a coach sees figures and comments for the sessions they coach;
- anyone else who may read a session (an education lead) sees figures only for groups of at least
  settings.QMS_FEEDBACK_MIN_GROUP of the responses they read under this rule, and never comments.

Figures are shown at four levels (session, enrolment, cohort, overall), each the sum of the level
below, so hiding a small group is not enough: its parent minus its shown siblings would give it
away. `_withhold` therefore also hides siblings (smallest first) until what is hidden under any
parent adds up to none or at least the minimum, level by level from the top (the rule statistics
offices call complementary suppression). Every page and the export build their figures with the
one function that applies this rule (_feedback_tree), from the same sessions in the same order, so
they all hide the same groups. The pages that show no session level (feedback_figures) build the
same levels from each enrolment's stored sums (EnrolmentFeedback) with the same code above the
session level, in the same order, so they hide the same groups too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from core.access import can_change, can_change_all_visible
from core.roles import is_manager
from programmes.access import enrolments_visible_to, sessions_visible_to
from programmes.models import (
    Cohort,
    Enrolment,
    HuddleBoard,
    HuddleCheckIn,
    ImprovementBoard,
    ProgrammeTemplate,
    Session,
    Team,
    TeamMeeting,
)

from .models import SHARED_DEVICE_HOURS, ContentChange, CouldImprove, FeedbackLink, FeedbackResponse

_TENTH = Decimal("0.1")
# The answer counts of a group, in this order wherever they are passed as a tuple (_answer_counts).
_COUNTED = ("n_responses", "n_yes", "n_not_sure", "n_no", "rating_total")


def percentage(part: int, whole: int) -> Decimal | None:
    """part / whole as a percentage to one decimal place, halves rounded up; None when whole is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(_TENTH, rounding=ROUND_HALF_UP)


def min_group() -> int:
    return settings.QMS_FEEDBACK_MIN_GROUP


@dataclass(frozen=True)
class FeedbackFigures:
    """What a page may show about a group of responses. Withheld figures are all None."""

    withheld: bool = False
    min_group: int | None = None  # set when withheld, for the page to say why
    # Withheld though it has the minimum itself: shown, it would give a smaller group's answers away.
    protects_smaller: bool = False
    responses: int | None = None
    yes: int | None = None
    not_sure: int | None = None
    no: int | None = None
    positive_pct: Decimal | None = None  # "yes" over all answers
    mean_rating: Decimal | None = None
    attendees: int | None = None  # recorded for the sessions in the group; None if none recorded
    response_rate_pct: Decimal | None = None  # responses over attendees, for sessions with attendees recorded


@dataclass(frozen=True)
class _Tally:
    """Raw counts for a group of sessions, before the rule on who may see them is applied."""

    responses: int = 0
    yes: int = 0
    not_sure: int = 0
    no: int = 0
    rating_total: int = 0
    attendees: int = 0
    attendees_recorded: bool = False
    responses_with_attendees: int = 0
    restricted: int = 0  # responses this user reads under the minimum-group rule

    @staticmethod
    def total(tallies: Iterable[_Tally]) -> _Tally:
        """The sum of the tallies, added field by field in one pass (a tree has thousands of them)."""
        responses = yes = not_sure = no = rating_total = attendees = with_attendees = restricted = 0
        recorded = False
        for t in tallies:
            responses += t.responses
            yes += t.yes
            not_sure += t.not_sure
            no += t.no
            rating_total += t.rating_total
            attendees += t.attendees
            recorded = recorded or t.attendees_recorded
            with_attendees += t.responses_with_attendees
            restricted += t.restricted
        return _Tally(
            responses=responses,
            yes=yes,
            not_sure=not_sure,
            no=no,
            rating_total=rating_total,
            attendees=attendees,
            attendees_recorded=recorded,
            responses_with_attendees=with_attendees,
            restricted=restricted,
        )

    @property
    def too_small(self) -> bool:
        """Some of its responses are read under the rule, and fewer than the minimum."""
        return 0 < self.restricted < min_group()

    def figures(self, *, withheld: bool) -> FeedbackFigures:
        if withheld:
            return FeedbackFigures(withheld=True, min_group=min_group(), protects_smaller=not self.too_small)
        mean = None
        if self.responses:
            mean = (Decimal(self.rating_total) / Decimal(self.responses)).quantize(_TENTH, rounding=ROUND_HALF_UP)
        return FeedbackFigures(
            responses=self.responses,
            yes=self.yes,
            not_sure=self.not_sure,
            no=self.no,
            positive_pct=percentage(self.yes, self.responses),
            mean_rating=mean,
            attendees=self.attendees if self.attendees_recorded else None,
            response_rate_pct=percentage(self.responses_with_attendees, self.attendees),
        )


def _session_tally(counts: Sequence, *, attendees: int | None, restricted: bool) -> _Tally:
    """A session's tally from its answer counts, in the order of _COUNTED (the rating total is None
    when there are no answers)."""
    responses, yes, not_sure, no, rating_total = counts
    return _Tally(
        responses=responses,
        yes=yes,
        not_sure=not_sure,
        no=no,
        rating_total=rating_total or 0,
        attendees=attendees or 0,
        attendees_recorded=attendees is not None,
        responses_with_attendees=responses if attendees is not None else 0,
        restricted=responses if restricted else 0,
    )


def _hides_more(parent: _Tally, parent_withheld: bool, hidden: int) -> bool:
    """Whether _withhold hides more of a parent's children than it has hidden so far (`hidden`:
    those children's restricted responses, added up)."""
    if parent.restricted == 0 or parent.too_small:  # nothing to protect, or all of it hidden already
        return False
    return not (hidden >= min_group() or (hidden == 0 and not parent_withheld))


def _withhold(parent: _Tally, parent_withheld: bool, children: dict, withheld: set) -> None:
    """Hides more of a parent's children until those hidden cannot be worked out from the rest.

    `children` maps keys to tallies; `withheld` holds the keys hidden so far and grows. Under a
    shown parent the hidden children's restricted responses must add up to none or at least the
    minimum; under a hidden parent (one big enough, hidden to protect a sibling) to at least the
    minimum, or its shown children would add up to it.
    """
    hidden = sum(t.restricted for key, t in children.items() if key in withheld)
    if not _hides_more(parent, parent_withheld, hidden):
        return
    for key, tally in sorted(children.items(), key=lambda item: item[1].restricted):
        if key in withheld or tally.restricted == 0:
            continue
        withheld.add(key)
        hidden += tally.restricted
        if hidden >= min_group():
            return


def _answer_counts(prefix: str = "") -> dict:
    """Aggregates over responses, in the order of _COUNTED; prefix is the path to FeedbackResponse
    ("" or "responses__")."""
    return {
        "n_responses": Count(f"{prefix}id"),
        "n_yes": Count(f"{prefix}id", filter=Q(**{f"{prefix}could_improve": CouldImprove.YES})),
        "n_not_sure": Count(f"{prefix}id", filter=Q(**{f"{prefix}could_improve": CouldImprove.NOT_SURE})),
        "n_no": Count(f"{prefix}id", filter=Q(**{f"{prefix}could_improve": CouldImprove.NO})),
        "rating_total": Sum(f"{prefix}rating"),
    }


def _restricted(user, session: Session) -> bool:
    """True when this user reads the session's feedback under the minimum-group rule.

    Reads session.enrolment: no query when it is loaded.
    """
    return not can_change(user, session.enrolment.coach_id)


def can_manage_feedback(user, session: Session) -> bool:
    """Managers and the session's coach open and close its link and read its comments."""
    return not _restricted(user, session)


# --- Figures per session, enrolment, cohort and overall ----------------------------------------

# What the tree is built from: one tuple of plain values per session with a feedback link, in the
# order of _REPORT_ORDER (session id, enrolment id, cohort id, coach id, attendees, then the counts).
_SessionCounts = tuple[int, int, int, "int | None", "int | None", int, int, int, int, "int | None"]
# Newest cohort first, then by site, team and session number; the ids only break ties, so that every
# read of the same sessions walks them in the same order (it decides which sibling hides first).
_REPORT_ORDER = (
    "-enrolment__cohort__start_date",
    "enrolment__cohort__name",
    "enrolment__cohort_id",
    "enrolment__team__site__code",
    "enrolment__team__name",
    "enrolment_id",
    "number",
    "pk",
)


@dataclass(frozen=True)
class _Tree:
    """Every level's tallies (each dict in report order) and which groups are withheld."""

    overall: _Tally
    cohorts: dict[int, _Tally]
    enrolments: dict[int, _Tally]
    sessions: dict[int, _Tally]
    hidden_cohorts: set[int]
    hidden_enrolments: set[int]
    hidden_sessions: set[int]  # empty when the tree was built without the session level
    restricted_coaches: dict[int | None, bool]  # per coach id: read under the minimum-group rule

    def overall_figures(self) -> FeedbackFigures:
        return self.overall.figures(withheld=self.overall.too_small)

    def cohort_figures(self) -> dict[int, FeedbackFigures]:
        return {pk: t.figures(withheld=pk in self.hidden_cohorts) for pk, t in self.cohorts.items()}

    def enrolment_figures(self) -> dict[int, FeedbackFigures]:
        return {pk: t.figures(withheld=pk in self.hidden_enrolments) for pk, t in self.enrolments.items()}

    def session_figures(self) -> dict[int, FeedbackFigures]:
        return {pk: t.figures(withheld=pk in self.hidden_sessions) for pk, t in self.sessions.items()}


def _feedback_tree(rows: Iterable[_SessionCounts], *, user, with_sessions: bool = True) -> _Tree:
    """The one place the minimum-group rule is applied: tallies per level and what is withheld.

    Every level is added up from the sessions, so the levels agree, and the rule is applied across
    all of them at once (see the module docstring). Whether the user reads a session under the rule
    depends only on its coach, so it is worked out once per coach. Without the session level
    (with_sessions=False) the other levels are the same: hiding goes from the top down, and what a
    level hides never depends on the levels below it. That is also why the levels above the
    sessions can be built from stored per-enrolment sums (_enrolment_tree) and come out the same.
    """
    restricted_of: dict[int | None, bool] = {}
    by_session: dict[int, _Tally] = {}
    sessions_of: dict[int, dict[int, _Tally]] = {}
    cohort_of: dict[int, int] = {}
    for session_id, enrolment_id, cohort_id, coach_id, attendees, *counts in rows:
        restricted = restricted_of.get(coach_id)
        if restricted is None:
            restricted = restricted_of[coach_id] = not can_change(user, coach_id)
        by_session[session_id] = tally = _session_tally(counts, attendees=attendees, restricted=restricted)
        sessions_of.setdefault(enrolment_id, {})[session_id] = tally
        cohort_of.setdefault(enrolment_id, cohort_id)

    by_enrolment = {pk: _Tally.total(children.values()) for pk, children in sessions_of.items()}
    tree = _tree_above_sessions(by_enrolment, cohort_of, restricted_of)
    if not with_sessions:
        return tree
    hidden_sessions = {pk for pk, t in by_session.items() if t.too_small}
    for pk, children in sessions_of.items():
        _withhold(by_enrolment[pk], pk in tree.hidden_enrolments, children, hidden_sessions)
    return dataclasses.replace(tree, sessions=by_session, hidden_sessions=hidden_sessions)


def _tree_above_sessions(
    by_enrolment: dict[int, _Tally],
    cohort_of: dict[int, int],
    restricted_of: dict[int | None, bool],
    by_cohort: dict[int, _Tally] | None = None,
) -> _Tree:
    """The enrolment, cohort and overall levels of _feedback_tree, and what the rule hides there:
    from the enrolments' tallies (in report order) and each enrolment's cohort.

    by_cohort: every cohort's tally (in report order), when by_enrolment holds only some cohorts'
    enrolments (all of each): what the rule hides among cohorts needs them all, what it hides among
    a cohort's enrolments only that cohort's (_withhold works from the top down).
    """
    # The tree: overall > cohorts > enrolments (> sessions), as {key: tally} per parent.
    enrolments_of: dict[int, dict[int, _Tally]] = {}
    for pk, tally in by_enrolment.items():
        enrolments_of.setdefault(cohort_of[pk], {})[pk] = tally
    if by_cohort is None:
        by_cohort = {pk: _Tally.total(children.values()) for pk, children in enrolments_of.items()}
    overall = _Tally.total(by_cohort.values())

    # Hidden: every group too small, then siblings level by level from the top.
    hidden_cohorts = {pk for pk, t in by_cohort.items() if t.too_small}
    hidden_enrolments = {pk for pk, t in by_enrolment.items() if t.too_small}
    _withhold(overall, overall.too_small, by_cohort, hidden_cohorts)
    for pk, children in enrolments_of.items():
        _withhold(by_cohort[pk], pk in hidden_cohorts, children, hidden_enrolments)
    return _Tree(
        overall=overall,
        cohorts=by_cohort,
        enrolments=by_enrolment,
        sessions={},
        hidden_cohorts=hidden_cohorts,
        hidden_enrolments=hidden_enrolments,
        hidden_sessions=set(),
        restricted_coaches=restricted_of,
    )


# The order of _REPORT_ORDER at the enrolment level: the order in which _feedback_tree meets each
# enrolment (and cohort) first, so that a tree built from the stored tallies walks siblings alike.
_ENROLMENT_ORDER = ("-cohort__start_date", "cohort__name", "cohort_id", "team__site__code", "team__name", "pk")
# The stored tallies' columns (EnrolmentFeedback), in the order _enrolment_tree reads them after the
# enrolment id, cohort id and coach id.
TALLY_FIELDS = (
    "links",
    "responses",
    "yes",
    "not_sure",
    "no",
    "rating_total",
    "attendees",
    "attendees_recorded",
    "responses_with_attendees",
)


def _cohort_tallies(rows: Iterable[Sequence], *, user, restricted_of: dict[int | None, bool]) -> dict[int, _Tally]:
    """Each cohort's tally from rows of (cohort id, coach id, then the stored tallies summed over the
    cohort's enrolments with that coach: TALLY_FIELDS with attendees_recorded counted), in report order."""
    by_cohort: dict[int, _Tally] = {}
    for cohort_id, coach_id, _links, responses, yes, not_sure, no, rating_total, *attendance in rows:
        attendees, recorded, with_attendees = attendance
        restricted = restricted_of.get(coach_id)
        if restricted is None:
            restricted = restricted_of[coach_id] = not can_change(user, coach_id)
        part = _Tally(
            responses=responses,
            yes=yes,
            not_sure=not_sure,
            no=no,
            rating_total=rating_total,
            attendees=attendees,
            attendees_recorded=recorded > 0,
            responses_with_attendees=with_attendees,
            restricted=responses if restricted else 0,
        )
        by_cohort[cohort_id] = _Tally.total([by_cohort[cohort_id], part]) if cohort_id in by_cohort else part
    return by_cohort


def _enrolment_tree(rows: Iterable[Sequence], *, user, by_cohort_rows: Iterable[Sequence] | None = None) -> _Tree:
    """_feedback_tree without the session level, from one row per enrolment with a feedback link:
    enrolment id, cohort id, coach id and the stored tallies (TALLY_FIELDS), in _ENROLMENT_ORDER.

    An enrolment's tally is the sum of its sessions' (each enrolment has one coach, so its
    responses are all read under the rule or none are); the rest is _tree_above_sessions, as for
    the report.
    """
    restricted_of: dict[int | None, bool] = {}
    by_enrolment, cohort_of = _enrolment_level(rows, user=user, restricted_of=restricted_of)
    by_cohort = None
    if by_cohort_rows is not None:
        by_cohort = _cohort_tallies(by_cohort_rows, user=user, restricted_of=restricted_of)
    return _tree_above_sessions(by_enrolment, cohort_of, restricted_of, by_cohort)


def _enrolment_level(
    rows: Iterable[Sequence], *, user, restricted_of: dict[int | None, bool]
) -> tuple[dict[int, _Tally], dict[int, int]]:
    """Each enrolment's tally (in the rows' order) and its cohort, from rows as _enrolment_tree's;
    restricted_of caches, per coach id, whether this user reads their teams under the rule."""
    by_enrolment: dict[int, _Tally] = {}
    cohort_of: dict[int, int] = {}
    for enrolment_id, cohort_id, coach_id, _links, responses, yes, not_sure, no, rating_total, *attendance in rows:
        restricted = restricted_of.get(coach_id)
        if restricted is None:
            restricted = restricted_of[coach_id] = not can_change(user, coach_id)
        attendees, recorded, with_attendees = attendance
        by_enrolment[enrolment_id] = _Tally(
            responses=responses,
            yes=yes,
            not_sure=not_sure,
            no=no,
            rating_total=rating_total,
            attendees=attendees,
            attendees_recorded=recorded,
            responses_with_attendees=with_attendees,
            restricted=responses if restricted else 0,
        )
        cohort_of[enrolment_id] = cohort_id
    return by_enrolment, cohort_of


def enrolment_tallies(sessions: QuerySet) -> dict[int, dict]:
    """What EnrolmentFeedback stores for the enrolments of these sessions that have a feedback link:
    {enrolment id: {TALLY_FIELDS: value}}, from the per-session counts the report adds up.

    One query whatever the number of enrolments, read in chunks: a row of plain values per session
    with a link, its answers counted. `sessions` may be of the historical model (a migration): it is read
    by field names only.
    """
    rows = (
        sessions.filter(feedback_link__isnull=False)
        .order_by()
        .values_list("pk", "enrolment_id", "attendees")
        .annotate(**_answer_counts("feedback_link__responses__"))
    )
    sessions_of: dict[int, list[_Tally]] = {}
    for _pk, enrolment_id, attendees, *counts in rows.iterator(chunk_size=2000):
        tally = _session_tally(counts, attendees=attendees, restricted=False)
        sessions_of.setdefault(enrolment_id, []).append(tally)
    tallies = {}
    for enrolment_id, of_sessions in sessions_of.items():
        total = _Tally.total(of_sessions)
        tallies[enrolment_id] = {"links": len(of_sessions)} | {
            name: getattr(total, name) for name in TALLY_FIELDS if name != "links"
        }
    return tallies


def _session_counts(user) -> QuerySet:
    """One query of plain values: a _SessionCounts tuple per session with a link this user may read."""
    return (
        sessions_visible_to(user)
        .filter(feedback_link__isnull=False)
        .order_by(*_REPORT_ORDER)
        .values_list("pk", "enrolment_id", "enrolment__cohort_id", "enrolment__coach_id", "attendees")
        .annotate(**_answer_counts("feedback_link__responses__"))
    )


@dataclass(frozen=True)
class FeedbackTotals:
    """The figures per enrolment, cohort and overall, without the rows behind them (see feedback_figures)."""

    overall: FeedbackFigures
    cohorts: dict[int, FeedbackFigures] = field(default_factory=dict)  # by cohort id
    enrolments: dict[int, FeedbackFigures] = field(default_factory=dict)  # by enrolment id
    has_links: bool = False  # some session this user may read has a feedback link

    def for_enrolment(self, pk: int) -> FeedbackFigures | None:
        return self.enrolments.get(pk)

    def for_cohort(self, pk: int) -> FeedbackFigures | None:
        return self.cohorts.get(pk)


def _cohort_sums(visible: QuerySet[Enrolment], **more) -> QuerySet:
    """The rows _cohort_tallies reads: per cohort (in report order) and coach, the stored tallies
    of the visible enrolments with a feedback link added up; then the aggregates in `more`."""
    sums = {
        f"sum_{name}": Count("pk", filter=Q(feedback_tally__attendees_recorded=True))
        if name == "attendees_recorded"
        else Sum(f"feedback_tally__{name}")
        for name in TALLY_FIELDS
    }
    return (
        visible.order_by(*_ENROLMENT_ORDER[:3])
        .values("cohort_id", "coach_id")
        .annotate(**sums, **more)
        .values_list("cohort_id", "coach_id", *sums, *more)
    )


def feedback_figures(
    *, user, cohort_ids: Iterable[int] | None = None, loaded: Sequence[Enrolment] | None = None
) -> FeedbackTotals:
    """The figures feedback_report gives per enrolment, cohort and overall, for the pages that show
    only those (the dashboards, aim and cohort pages).

    One query, whatever the number of sessions or responses (plus the user's groups, if this
    request has not read them yet): the enrolments this user may read that have a feedback link,
    as plain values with their stored tallies (EnrolmentFeedback, one narrow row each, kept current
    by every write). No model instances, no response read, and the role check once per coach. The
    minimum-group rule is feedback_report's own (_tree_above_sessions, via _enrolment_tree).

    cohort_ids: the enrolment level only for these cohorts' enrolments (the overall and cohort
    levels are always complete, and the same): two queries, the cohorts' tallies summed in SQL per
    cohort and coach, and those cohorts' enrolments; so a page of a few cohorts' teams does not read
    every team of the Trust.

    loaded: with cohort_ids, every enrolment of those cohorts this user may see, already read with
    feedback_tally (select_related) in _ENROLMENT_ORDER: their tallies are taken from them, so one
    query (the cohorts' sums).
    """
    visible = enrolments_visible_to(user).filter(feedback_tally__isnull=False)
    enrolments = visible
    by_cohort_rows = None
    if cohort_ids is not None:
        enrolments = visible.filter(cohort_id__in=list(cohort_ids))
        by_cohort_rows = list(_cohort_sums(visible))
    if loaded is not None and cohort_ids is not None:
        rows = [
            (e.pk, e.cohort_id, e.coach_id, *(getattr(e.feedback_tally, name) for name in TALLY_FIELDS))
            for e in loaded
            if hasattr(e, "feedback_tally")  # no link, no row
        ]
    elif cohort_ids is None or by_cohort_rows:
        rows = list(
            enrolments.order_by(*_ENROLMENT_ORDER).values_list(
                "pk", "cohort_id", "coach_id", *(f"feedback_tally__{name}" for name in TALLY_FIELDS)
            )
        )
    else:
        rows = []
    tree = _enrolment_tree(rows, user=user, by_cohort_rows=by_cohort_rows)
    return FeedbackTotals(
        overall=tree.overall_figures(),
        cohorts=tree.cohort_figures(),
        enrolments=tree.enrolment_figures(),
        has_links=bool(rows) if cohort_ids is None else bool(by_cohort_rows),
    )


def enrolment_feedback_figures(
    *, user, enrolment_ids: Iterable[int], cohort_ids: Iterable[int]
) -> dict[int, FeedbackFigures]:
    """feedback_figures(user=user, cohort_ids=cohort_ids).enrolments for these enrolments only (of
    those cohorts): the figures of a page of teams.

    For a user who may change every enrolment they read (a manager, a coach who is not also a
    lead), no response is read under the minimum-group rule, so nothing is withheld and each
    enrolment's figures are its own stored tallies: one query of these enrolments' rows. For anyone
    else two queries: every cohort's tallies (as feedback_figures), with what is too small in each;
    then these enrolments' rows, and all the rows of the few cohorts where _withhold hides more than
    the teams too small to show (there, what it hides depends on every team of the cohort).
    """
    enrolment_ids = list(enrolment_ids)
    if not enrolment_ids:
        return {}
    visible = enrolments_visible_to(user).filter(feedback_tally__isnull=False)
    tallies = [f"feedback_tally__{name}" for name in TALLY_FIELDS]
    if can_change_all_visible(user):
        rows = visible.filter(pk__in=enrolment_ids).values_list("pk", "cohort_id", "coach_id", *tallies)
        return _enrolment_tree(rows, user=user).enrolment_figures()
    # Query 1: every cohort's tallies (what is hidden among cohorts needs them all: the cohort
    # level is feedback_figures' own), and per cohort and coach the responses of the teams too
    # small to show, were they read under the rule.
    small = Q(feedback_tally__responses__gt=0, feedback_tally__responses__lt=min_group())
    sums = list(_cohort_sums(visible, small=Coalesce(Sum("feedback_tally__responses", filter=small), 0)))
    tree = _enrolment_tree([], user=user, by_cohort_rows=[row[:-1] for row in sums])
    restricted_of = tree.restricted_coaches
    small_of: dict[int, int] = {}
    for cohort_id, coach_id, *_sums, small_responses in sums:
        if restricted_of[coach_id]:
            small_of[cohort_id] = small_of.get(cohort_id, 0) + small_responses
    # _withhold hides a cohort's teams that are too small, then (in a few cohorts) more of them
    # until the hidden ones cannot be worked out: only there does it read every team of the cohort.
    crowded = {
        pk
        for pk in cohort_ids
        if pk in tree.cohorts and _hides_more(tree.cohorts[pk], pk in tree.hidden_cohorts, small_of.get(pk, 0))
    }
    # Query 2: the page's teams, and every team of those cohorts, in report order.
    rows = visible.filter(Q(pk__in=enrolment_ids) | Q(cohort_id__in=crowded)).order_by(*_ENROLMENT_ORDER)
    by_enrolment, cohort_of = _enrolment_level(
        rows.values_list("pk", "cohort_id", "coach_id", *tallies), user=user, restricted_of=restricted_of
    )
    hidden = {pk for pk, tally in by_enrolment.items() if tally.too_small}
    children_of: dict[int, dict[int, _Tally]] = {}
    for pk, tally in by_enrolment.items():
        if cohort_of[pk] in crowded:
            children_of.setdefault(cohort_of[pk], {})[pk] = tally
    for pk, children in children_of.items():
        _withhold(tree.cohorts[pk], pk in tree.hidden_cohorts, children, hidden)
    return {pk: by_enrolment[pk].figures(withheld=pk in hidden) for pk in enrolment_ids if pk in by_enrolment}


@dataclass(frozen=True)
class SessionFeedbackRow:
    session: Session  # with feedback_link, enrolment__team__site and enrolment__cohort loaded
    figures: FeedbackFigures
    can_manage: bool


@dataclass(frozen=True)
class EnrolmentFeedbackRow:
    enrolment: Enrolment
    figures: FeedbackFigures


@dataclass(frozen=True)
class CohortFeedbackRow:
    cohort: Cohort
    figures: FeedbackFigures


@dataclass(frozen=True)
class FeedbackReport:
    overall: FeedbackFigures
    cohorts: list[CohortFeedbackRow] = field(default_factory=list)
    enrolments: list[EnrolmentFeedbackRow] = field(default_factory=list)
    sessions: list[SessionFeedbackRow] = field(default_factory=list)

    def for_session(self, pk: int) -> FeedbackFigures | None:
        return next((row.figures for row in self.sessions if row.session.pk == pk), None)

    def for_enrolment(self, pk: int) -> FeedbackFigures | None:
        return next((row.figures for row in self.enrolments if row.enrolment.pk == pk), None)

    def for_cohort(self, pk: int) -> FeedbackFigures | None:
        return next((row.figures for row in self.cohorts if row.cohort.pk == pk), None)


def feedback_report(*, user) -> FeedbackReport:
    """Feedback figures per session, enrolment, cohort and overall, for the sessions this user may read.

    Two queries, whatever the number of responses: the sessions that have a feedback link with
    their answers counted, and those sessions' enrolments with team, site and cohort. The figures
    come from _feedback_tree, whose levels above the session are feedback_figures' own. Pages that
    show no session or its link should call feedback_figures, which reads the stored counts per
    enrolment and builds no model instances.
    """
    session_fields = [f.attname for f in Session._meta.concrete_fields]
    link_fields = [f.attname for f in FeedbackLink._meta.concrete_fields]
    queryset = (
        sessions_visible_to(user)
        .filter(feedback_link__isnull=False)
        .order_by(*_REPORT_ORDER)
        .values_list(*session_fields, *(f"feedback_link__{name}" for name in link_fields))
        .annotate(**_answer_counts("feedback_link__responses__"))
    )
    # Tuples rather than joined model instances: each enrolment (with its team, site and cohort) is
    # loaded once and shared by its sessions, instead of once per session.
    rows = list(queryset)
    db = queryset.db
    n_session, n_link = len(session_fields), len(link_fields)
    sessions: list[Session] = []
    counts: dict[int, tuple] = {}
    link_cache = Session.feedback_link.related
    for row in rows:
        session = Session.from_db(db, session_fields, row[:n_session])
        link = FeedbackLink.from_db(db, link_fields, row[n_session : n_session + n_link])
        link_cache.set_cached_value(session, link)
        FeedbackLink.session.field.set_cached_value(link, session)
        counts[session.pk] = row[n_session + n_link :]
        sessions.append(session)
    enrolments: dict[int, Enrolment] = {}
    if sessions:
        wanted = Enrolment.objects.filter(pk__in={s.enrolment_id for s in sessions})
        loaded = {e.pk: e for e in wanted.select_related("team__site", "cohort").order_by()}
        for session in sessions:
            enrolment = loaded[session.enrolment_id]
            Session.enrolment.field.set_cached_value(session, enrolment)
            enrolments.setdefault(enrolment.pk, enrolment)
    cohorts: dict[int, Cohort] = {}
    for enrolment in enrolments.values():
        cohorts.setdefault(enrolment.cohort_id, enrolment.cohort)

    tree = _feedback_tree(
        (
            (s.pk, s.enrolment_id, s.enrolment.cohort_id, s.enrolment.coach_id, s.attendees, *counts[s.pk])
            for s in sessions
        ),
        user=user,
    )
    by_cohort, by_enrolment, by_session = tree.cohort_figures(), tree.enrolment_figures(), tree.session_figures()
    return FeedbackReport(
        overall=tree.overall_figures(),
        cohorts=[CohortFeedbackRow(cohort=cohorts[pk], figures=figures) for pk, figures in by_cohort.items()],
        enrolments=[
            EnrolmentFeedbackRow(enrolment=enrolments[pk], figures=figures) for pk, figures in by_enrolment.items()
        ],
        sessions=[
            SessionFeedbackRow(
                session=s,
                figures=by_session[s.pk],
                can_manage=not tree.restricted_coaches[s.enrolment.coach_id],
            )
            for s in sessions
        ],
    )


# --- One session ------------------------------------------------------------------------------


def feedback_form_url(link: FeedbackLink) -> str:
    """The public form's absolute address, for the QR code and the poster (phones need the host)."""
    return settings.SITE_URL + reverse("feedback:form", kwargs={"token": link.token})


@dataclass(frozen=True)
class SessionFeedbackPanel:
    """What a session's page shows about its feedback (template feedback/_session_feedback.html)."""

    session: Session
    link: FeedbackLink | None
    url: str  # the public form's absolute address; "" when there is no link yet
    figures: FeedbackFigures
    can_manage: bool  # the session's coach or a manager: the link, QR code and open/close buttons
    shared_device_until: dt.datetime | None = None  # while a shared device is on: until when
    shared_device_hours: int = SHARED_DEVICE_HOURS  # how long turning it on lasts

    @property
    def is_open(self) -> bool:
        return self.link is not None and self.link.is_open


def session_feedback_panel(*, session: Session, user, now: dt.datetime | None = None) -> SessionFeedbackPanel:
    """What the session page shows about its feedback. Reads session.enrolment (load it).

    For the session's coach or a manager, one query: the link with its answers counted. For
    anyone else, the figures come from the user's whole report (two more queries), so that the
    session is hidden exactly when the other pages hide it.
    """
    link = (
        FeedbackLink.objects.filter(session_id=session.pk).annotate(**_answer_counts("responses__")).order_by().first()
    )
    restricted = _restricted(user, session)
    if link is None:
        figures = _Tally().figures(withheld=False)
    elif restricted:
        figures = feedback_report(user=user).for_session(session.pk) or FeedbackFigures(
            withheld=True, min_group=min_group()
        )
    else:
        counts = [getattr(link, key) for key in _COUNTED]
        figures = _session_tally(counts, attendees=session.attendees, restricted=False).figures(withheld=False)
    now = timezone.now() if now is None else now
    return SessionFeedbackPanel(
        session=session,
        link=link,
        url=feedback_form_url(link) if link else "",
        figures=figures,
        can_manage=not restricted,
        shared_device_until=link.shared_device_until if link and link.is_open and link.shared_device_on(now) else None,
    )


def session_responses(*, session: Session) -> QuerySet[FeedbackResponse]:
    """A session's answers, newest first, each with the content changes it led to (two queries)."""
    return FeedbackResponse.objects.filter(link__session_id=session.pk).prefetch_related(
        Prefetch("content_changes", queryset=ContentChange.objects.select_related("template").order_by("made_on"))
    )


def public_link(*, token: str) -> FeedbackLink | None:
    """The link behind a public form address, with what the form shows about the session."""
    return (
        FeedbackLink.objects.select_related("session__plan", "session__enrolment__team__site")
        .filter(token=token)
        .first()
    )


# --- The content change log --------------------------------------------------------------------


def content_changes(*, template: ProgrammeTemplate | None = None) -> QuerySet[ContentChange]:
    """The change log, newest first, with the responses that prompted each change (three queries)."""
    queryset = ContentChange.objects.select_related("template", "made_by").prefetch_related(
        Prefetch(
            "responses",
            queryset=FeedbackResponse.objects.select_related("link__session__enrolment__team__site").order_by(
                "submitted_on", "id"
            ),
        )
    )
    if template is not None:
        queryset = queryset.filter(template=template)
    return queryset.order_by("-made_on", "section", "-id")


def content_change_counts() -> dict[int, int]:
    """How many content changes each programme version has, by its pk (versions without any are
    left out): one query, whatever the number of versions."""
    return dict(ContentChange.objects.order_by().values_list("template_id").annotate(n=Count("pk")))


def comment_filter() -> Q:
    return ~Q(what_worked="") | ~Q(what_better="")


def cohorts_with_comments() -> QuerySet[Cohort]:
    """Cohorts that have feedback with a comment, newest first: the change form's filter."""
    with_comments = FeedbackResponse.objects.filter(comment_filter()).values("link__session__enrolment__cohort_id")
    return Cohort.objects.filter(pk__in=with_comments).order_by("-start_date", "name")


def responses_to_link(*, cohort_id: int | None, include_ids: Iterable[int] = ()) -> list[FeedbackResponse]:
    """Responses a manager may link to a change: those with a comment in the cohort, plus those already chosen."""
    wanted = Q(pk__in=list(include_ids))
    if cohort_id is not None:
        wanted |= Q(link__session__enrolment__cohort_id=cohort_id) & comment_filter()
    return list(
        FeedbackResponse.objects.filter(wanted)
        .select_related("link__session__enrolment__team__site")
        .order_by("link__session__enrolment__team__name", "link__session__number", "id")
    )


# --- The CSV export ----------------------------------------------------------------------------

EXPORT_HEADER = [
    "team",
    "site",
    "cohort",
    "session_number",
    "session_date",
    "submitted_on",
    "could_improve",
    "rating",
    "what_worked",
    "what_would_make_it_better",
]


# Rows are read from the database this many at a time: the export's memory stays the same whatever
# the number of responses.
EXPORT_CHUNK_SIZE = 2000


def feedback_export_rows(*, user) -> Iterator[list]:
    """One row per response for the export, streamed (one query for a manager, two otherwise).

    A coach gets their sessions' rows. Rows of sessions the user does not coach (a lead reading)
    come only from sessions whose figures the pages show them, and without the comments: the
    export then adds nothing to what the pages already show. The session date is the day held,
    else the day due.

    The rows are plain values read EXPORT_CHUNK_SIZE at a time; what stays in memory is the set of
    sessions withheld from this user (from the same tree as the pages, _feedback_tree), and which
    coaches' sessions they read under the rule.
    """
    responses = FeedbackResponse.objects.filter(link__session__in=sessions_visible_to(user).values("pk"))
    if is_manager(user):
        withheld: set[int] = set()
        restricted_of: dict[int | None, bool] = {}
    else:
        # A withheld session's rows are left out, except for the coach of its enrolment.
        tree = _feedback_tree(_session_counts(user).iterator(chunk_size=EXPORT_CHUNK_SIZE), user=user)
        withheld, restricted_of = tree.hidden_sessions, tree.restricted_coaches
        del tree
    labels = {value: str(label) for value, label in CouldImprove.choices}
    rows = responses.order_by(
        "link__session__enrolment__cohort__start_date",
        "link__session__enrolment__cohort__name",
        "link__session__enrolment__team__site__code",
        "link__session__enrolment__team__name",
        "link__session__number",
        "submitted_on",
        "id",
    ).values_list(
        "link__session_id",
        "link__session__enrolment__coach_id",
        "link__session__enrolment__team__name",
        "link__session__enrolment__team__site__code",
        "link__session__enrolment__cohort__name",
        "link__session__number",
        "link__session__held_on",
        "link__session__due_date",
        "submitted_on",
        "could_improve",
        "rating",
        "what_worked",
        "what_better",
    )
    for (
        session_id,
        coach_id,
        team,
        site,
        cohort,
        number,
        held_on,
        due_date,
        submitted_on,
        could_improve,
        rating,
        what_worked,
        what_better,
    ) in rows.iterator(chunk_size=EXPORT_CHUNK_SIZE):
        if session_id in withheld and coach_id != user.pk:
            continue
        restricted = restricted_of.get(coach_id)
        if restricted is None:
            restricted = restricted_of[coach_id] = not can_change(user, coach_id)
        yield [
            team,
            site,
            cohort,
            number,
            (held_on or due_date).isoformat(),
            submitted_on.isoformat(),
            labels.get(could_improve, could_improve),
            rating,
            "" if restricted else what_worked,
            "" if restricted else what_better,
        ]


# --- Huddle check-ins ---------------------------------------------------------------------------


def huddle_check_in_url(board: HuddleBoard) -> str:
    """The check-in page's absolute address, for the board sheet's QR code (phones need the host)."""
    return settings.SITE_URL + reverse("feedback:huddle", kwargs={"token": board.token})


def public_huddle_board(*, token: str) -> HuddleBoard | None:
    """The board behind a check-in address, with its team and site (what the page shows). One query."""
    return HuddleBoard.objects.select_related("team__site").filter(token=token).first()


def team_huddle_meetings(*, team: Team) -> list[TeamMeeting]:
    """The team's meetings marked as its huddle (one a day it huddles on), in the week's order: their
    days, times and places are the huddle's. One query."""
    return list(TeamMeeting.objects.filter(team_id=team.pk, is_huddle=True).order_by("weekday", "start_time", "pk"))


def huddle_recorded_on(*, team: Team, day: dt.date) -> HuddleCheckIn | None:
    """The team's check-in of that day, if its huddle was recorded. One query."""
    return HuddleCheckIn.objects.filter(team_id=team.pk, held_on=day).first()


def can_manage_huddle_board(user, *, coach_ids: Iterable[int | None]) -> bool:
    """Whether this user may see a team's board sheet (and its check-in address) and reset its token:
    a manager, or a coach of one of the team's enrolments (coach_ids: theirs, in any cohort)."""
    return is_manager(user) or any(can_change(user, coach_id) for coach_id in coach_ids)


@dataclass(frozen=True)
class HuddleSheet:
    """What the printable board sheet shows (template feedback/huddle_sheet.html)."""

    team: Team
    board: HuddleBoard
    url: str  # the check-in page's absolute address, in the QR code
    meetings: list[TeamMeeting]  # the team's huddle meetings: days, times and places; none when none is marked
    last_held_on: dt.date | None  # the latest day a huddle was checked in

    @property
    def board_is_physical(self) -> bool:
        return self.team.improvement_board == ImprovementBoard.PHYSICAL

    @property
    def times(self) -> list[str]:
        """Each huddle meeting's day, time, length and place in words, e.g. "Every Tuesday at 09:00,
        15 minutes, by the board" or "Every 2 weeks on Tuesday at 09:00, 15 minutes"."""
        lines = []
        for meeting in self.meetings:
            day = meeting.get_weekday_display()
            every = f"Every {day}" if meeting.every_weeks == 1 else f"Every {meeting.every_weeks} weeks on {day}"
            line = f"{every} at {meeting.start_time:%H:%M}, {meeting.duration_minutes} minutes"
            lines.append(f"{line}, {meeting.location}" if meeting.location else line)
        return lines


def huddle_sheet(*, team: Team, board: HuddleBoard) -> HuddleSheet:
    """The board sheet of a team. Two queries: the huddle meetings, the latest check-in."""
    latest = HuddleCheckIn.objects.filter(team_id=team.pk).order_by("-held_on").values_list("held_on", flat=True)
    return HuddleSheet(
        team=team,
        board=board,
        url=huddle_check_in_url(board),
        meetings=team_huddle_meetings(team=team),
        last_held_on=latest.first(),
    )
