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
offices call complementary suppression). Every page and the export read one report per user, so
they all hide the same groups.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from core.access import can_change
from core.roles import is_manager
from programmes.access import sessions_visible_to
from programmes.models import Cohort, Enrolment, ProgrammeTemplate, Session

from .models import SHARED_DEVICE_HOURS, ContentChange, CouldImprove, FeedbackLink, FeedbackResponse

_TENTH = Decimal("0.1")


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

    def __add__(self, other: _Tally) -> _Tally:
        return _Tally(
            responses=self.responses + other.responses,
            yes=self.yes + other.yes,
            not_sure=self.not_sure + other.not_sure,
            no=self.no + other.no,
            rating_total=self.rating_total + other.rating_total,
            attendees=self.attendees + other.attendees,
            attendees_recorded=self.attendees_recorded or other.attendees_recorded,
            responses_with_attendees=self.responses_with_attendees + other.responses_with_attendees,
            restricted=self.restricted + other.restricted,
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


def _session_tally(counts: dict | None, *, attendees: int | None, restricted: bool) -> _Tally:
    counts = counts or {}
    responses = counts.get("n_responses", 0)
    return _Tally(
        responses=responses,
        yes=counts.get("n_yes", 0),
        not_sure=counts.get("n_not_sure", 0),
        no=counts.get("n_no", 0),
        rating_total=counts.get("rating_total") or 0,
        attendees=attendees or 0,
        attendees_recorded=attendees is not None,
        responses_with_attendees=responses if attendees is not None else 0,
        restricted=responses if restricted else 0,
    )


def _withhold(parent: _Tally, parent_withheld: bool, children: dict, withheld: set) -> None:
    """Hides more of a parent's children until those hidden cannot be worked out from the rest.

    `children` maps keys to tallies; `withheld` holds the keys hidden so far and grows. Under a
    shown parent the hidden children's restricted responses must add up to none or at least the
    minimum; under a hidden parent (one big enough, hidden to protect a sibling) to at least the
    minimum, or its shown children would add up to it.
    """
    if parent.restricted == 0 or parent.too_small:  # nothing to protect, or all of it hidden already
        return
    hidden = sum(t.restricted for key, t in children.items() if key in withheld)
    if hidden >= min_group() or (hidden == 0 and not parent_withheld):
        return
    for key, tally in sorted(children.items(), key=lambda item: item[1].restricted):
        if key in withheld or tally.restricted == 0:
            continue
        withheld.add(key)
        hidden += tally.restricted
        if hidden >= min_group():
            return


def _answer_counts(prefix: str = "") -> dict:
    """Aggregates over responses; prefix is the path to FeedbackResponse ("" or "responses__")."""
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
    their answers counted, and those sessions' enrolments with team, site and cohort. Every level is
    added up from the sessions, so the levels agree, and the minimum-group rule is applied across
    all of them at once (see the module docstring).
    """
    session_fields = [f.attname for f in Session._meta.concrete_fields]
    link_fields = [f.attname for f in FeedbackLink._meta.concrete_fields]
    counted = ("n_responses", "n_yes", "n_not_sure", "n_no", "rating_total")
    queryset = (
        sessions_visible_to(user)
        .filter(feedback_link__isnull=False)
        .order_by(
            "-enrolment__cohort__start_date",
            "enrolment__cohort__name",
            "enrolment__team__site__code",
            "enrolment__team__name",
            "number",
        )
        .values_list(*session_fields, *(f"feedback_link__{name}" for name in link_fields))
        .annotate(**_answer_counts("feedback_link__responses__"))
    )
    # Tuples rather than joined model instances: each enrolment (with its team, site and cohort) is
    # loaded once and shared by its sessions, instead of once per session.
    rows = list(queryset)
    db = queryset.db
    n_session, n_link = len(session_fields), len(link_fields)
    sessions: list[Session] = []
    counts: dict[int, dict] = {}
    link_cache = Session.feedback_link.related
    for row in rows:
        session = Session.from_db(db, session_fields, row[:n_session])
        link = FeedbackLink.from_db(db, link_fields, row[n_session : n_session + n_link])
        link_cache.set_cached_value(session, link)
        FeedbackLink.session.field.set_cached_value(link, session)
        counts[session.pk] = dict(zip(counted, row[n_session + n_link :], strict=True))
        sessions.append(session)
    if sessions:
        wanted = Enrolment.objects.filter(pk__in={s.enrolment_id for s in sessions})
        loaded = {e.pk: e for e in wanted.select_related("team__site", "cohort").order_by()}
        for session in sessions:
            Session.enrolment.field.set_cached_value(session, loaded[session.enrolment_id])

    # The tree: overall > cohorts > enrolments > sessions, as {key: tally} per parent.
    by_session = {
        s.pk: _session_tally(counts.get(s.pk), attendees=s.attendees, restricted=_restricted(user, s)) for s in sessions
    }
    sessions_of: dict[int, dict[int, _Tally]] = {}
    enrolments: dict[int, Enrolment] = {}
    for session in sessions:
        sessions_of.setdefault(session.enrolment_id, {})[session.pk] = by_session[session.pk]
        enrolments.setdefault(session.enrolment_id, session.enrolment)
    by_enrolment = {pk: sum(children.values(), _Tally()) for pk, children in sessions_of.items()}
    enrolments_of: dict[int, dict[int, _Tally]] = {}
    cohorts: dict[int, Cohort] = {}
    for pk, enrolment in enrolments.items():
        enrolments_of.setdefault(enrolment.cohort_id, {})[pk] = by_enrolment[pk]
        cohorts.setdefault(enrolment.cohort_id, enrolment.cohort)
    by_cohort = {pk: sum(children.values(), _Tally()) for pk, children in enrolments_of.items()}
    overall = sum(by_cohort.values(), _Tally())

    # Hidden: every group too small, then siblings level by level from the top.
    hidden_cohorts = {pk for pk, t in by_cohort.items() if t.too_small}
    hidden_enrolments = {pk for pk, t in by_enrolment.items() if t.too_small}
    hidden_sessions = {pk for pk, t in by_session.items() if t.too_small}
    _withhold(overall, overall.too_small, by_cohort, hidden_cohorts)
    for pk, children in enrolments_of.items():
        _withhold(by_cohort[pk], pk in hidden_cohorts, children, hidden_enrolments)
    for pk, children in sessions_of.items():
        _withhold(by_enrolment[pk], pk in hidden_enrolments, children, hidden_sessions)

    return FeedbackReport(
        overall=overall.figures(withheld=overall.too_small),
        cohorts=[
            CohortFeedbackRow(cohort=cohorts[pk], figures=t.figures(withheld=pk in hidden_cohorts))
            for pk, t in by_cohort.items()
        ],
        enrolments=[
            EnrolmentFeedbackRow(enrolment=enrolments[pk], figures=t.figures(withheld=pk in hidden_enrolments))
            for pk, t in by_enrolment.items()
        ],
        sessions=[
            SessionFeedbackRow(
                session=s,
                figures=by_session[s.pk].figures(withheld=s.pk in hidden_sessions),
                can_manage=not _restricted(user, s),
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
        counts = {key: getattr(link, key) for key in ("n_responses", "n_yes", "n_not_sure", "n_no", "rating_total")}
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


def feedback_export_rows(*, user) -> Iterator[list]:
    """One row per response for the export (streamed; one query for a manager, three otherwise).

    A coach gets their sessions' rows. Rows of sessions the user does not coach (a lead reading)
    come only from sessions whose figures the pages show them, and without the comments: the
    export then adds nothing to what the pages already show. The session date is the day held,
    else the day due.
    """
    responses = FeedbackResponse.objects.filter(link__session__in=sessions_visible_to(user).values("pk"))
    if not is_manager(user):
        shown = [
            row.session.pk
            for row in feedback_report(user=user).sessions
            if not row.figures.withheld and not row.can_manage
        ]
        responses = responses.filter(Q(link__session__enrolment__coach=user) | Q(link__session_id__in=shown))
    responses = responses.select_related("link__session__enrolment__team__site", "link__session__enrolment__cohort")
    responses = responses.order_by(
        "link__session__enrolment__cohort__start_date",
        "link__session__enrolment__cohort__name",
        "link__session__enrolment__team__site__code",
        "link__session__enrolment__team__name",
        "link__session__number",
        "submitted_on",
        "id",
    )
    for response in responses.iterator(chunk_size=2000):
        session = response.link.session
        enrolment = session.enrolment
        restricted = _restricted(user, session)
        yield [
            enrolment.team.name,
            enrolment.team.site.code,
            enrolment.cohort.name,
            session.number,
            (session.held_on or session.due_date).isoformat(),
            response.submitted_on.isoformat(),
            response.get_could_improve_display(),
            response.rating,
            "" if restricted else response.what_worked,
            "" if restricted else response.what_better,
        ]
