"""The programme: sites, teams, templates, cohorts, enrolments and sessions."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.db.models.lookups import LessThan, LessThanOrEqual
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.dates import LONDON


class Site(models.Model):
    code = models.CharField(max_length=10, unique=True, help_text="Short code, e.g. RSH.")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class ImprovementBoard(models.TextChoices):
    PHYSICAL = "physical", "Physical"
    VIRTUAL = "virtual", "Virtual"
    NONE = "none", "None"


class Team(models.Model):
    name = models.CharField(max_length=200)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="teams")
    department = models.CharField(max_length=200, blank=True)
    improvement_board = models.CharField(max_length=10, choices=ImprovementBoard.choices, default=ImprovementBoard.NONE)
    board_location = models.CharField(max_length=200, blank=True)
    contact_name = models.CharField(max_length=200, blank=True, help_text="The team's lead for the programme.")
    contact_email = models.EmailField(
        blank=True, help_text="Gets the coaching sessions' calendar invitations, as the coach does."
    )
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every save; stale forms are refused.")

    history = HistoricalRecords()  # who changed what and when: the audit page (dashboards.audit)

    class Meta:
        ordering = ["site__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="programmes_team_unique_name_per_site"),
        ]

    def __str__(self) -> str:
        """Reads self.site: one query if not loaded."""
        return f"{self.name} ({self.site.code})"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Recurrence(models.IntegerChoices):
    WEEKLY = 1, "Every week"
    FORTNIGHTLY = 2, "Every 2 weeks"
    FOUR_WEEKLY = 4, "Every 4 weeks"


class TeamMeeting(models.Model):
    """A meeting the team already holds; coaching slots ride on it."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="meetings")
    name = models.CharField(max_length=200, help_text="e.g. Weekly team huddle")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField(help_text="Local time (Europe/London).")
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    every_weeks = models.PositiveSmallIntegerField(choices=Recurrence.choices, default=Recurrence.WEEKLY)
    first_date = models.DateField(
        help_text="A date the meeting is held on; fortnightly and four-weekly meetings count from it."
    )
    location = models.CharField(max_length=200, blank=True)
    # The team's improvement huddle: its board sheet prints the days and times of the meetings
    # marked so, and the huddle check-ins are counted against their dates (programmes.huddles). A
    # team that huddles on several days of the week has a meeting for each day, each marked.
    is_huddle = models.BooleanField(
        "This is the team's huddle",
        default=False,
        help_text=(
            "The improvement huddle at the team's board. Huddling on several days? Add a meeting for each "
            "day and tick each."
        ),
    )
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every save; stale forms are refused.")

    class Meta:
        ordering = ["team", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="programmes_teammeeting_weekday_range"
            ),
            models.CheckConstraint(
                condition=Q(every_weeks__in=[1, 2, 4]), name="programmes_teammeeting_every_weeks_valid"
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=24 * 60),
                name="programmes_teammeeting_duration_range",
            ),
        ]

    def __str__(self) -> str:
        every = self.get_every_weeks_display().lower()
        return f"{self.name}: {self.get_weekday_display()} {self.start_time:%H:%M}, {every}"


# --- Huddle check-ins from the team's improvement board ------------------------------------------

HUDDLE_NOTE_MAX_LENGTH = 200
HUDDLE_MAX_PEOPLE = 100  # more than any team's huddle: a larger number is a slip of the thumb


def new_huddle_token() -> str:
    return secrets.token_urlsafe(24)


class HuddleBoard(models.Model):
    """A team's check-in QR code, printed on the board sheet that hangs on its improvement board.

    Made the first time the sheet is opened (feedback.services.huddle_board_for_team, which owns the
    sheet and the check-in page). Resetting the
    token (the team's coach or a manager) stops every QR code printed before: their address is then
    unknown. The check-ins belong to the team, not to the token, so a reset keeps them.
    """

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="huddle_board")
    token = models.CharField(max_length=64, unique=True, default=new_huddle_token)
    created_at = models.DateTimeField(auto_now_add=True)
    token_reset_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The check-in page's flood counter (feedback.guards.rate_limit_hit), as on FeedbackLink.
    rate_window = models.PositiveBigIntegerField(default=0, editable=False)
    rate_count = models.PositiveIntegerField(default=0, editable=False)

    def __str__(self) -> str:
        return f"Huddle board of team {self.team_id}"


class HuddleCheckIn(models.Model):
    """ "Huddle held today", tapped on a phone at the team's board: one row per team per London date,
    however often it is tapped. No user, no IP address, no time of day: the date, and what the
    person chose to say (how many were there, one line)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="huddle_check_ins")
    held_on = models.DateField(help_text="The date in London when the huddle was checked in.")
    people = models.PositiveSmallIntegerField("How many people", null=True, blank=True)
    note = models.CharField("What we discussed / one idea", max_length=HUDDLE_NOTE_MAX_LENGTH, blank=True)

    class Meta:
        ordering = ["-held_on", "team"]
        constraints = [
            models.UniqueConstraint(fields=["team", "held_on"], name="programmes_huddlecheckin_one_per_team_per_day"),
            models.CheckConstraint(
                condition=Q(people__isnull=True) | Q(people__gte=1, people__lte=HUDDLE_MAX_PEOPLE),
                name="programmes_huddlecheckin_people_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Huddle of team {self.team_id} on {self.held_on.isoformat()}"


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class ProgrammeTemplateQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=TemplateStatus.PUBLISHED)


class ProgrammeTemplate(models.Model):
    """A version of the programme. A published version is never edited; a new version is."""

    name = models.CharField(max_length=200, default="QMS programme")
    version = models.CharField(max_length=20, help_text="e.g. 0.9 or 1.0")
    status = models.CharField(max_length=10, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT)
    published_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revision = models.PositiveIntegerField(
        default=1, help_text="Bumped on every save of the version or its session plan; stale forms are refused."
    )

    objects = ProgrammeTemplateQuerySet.as_manager()
    history = HistoricalRecords()

    # `version` is the label (0.9, 1.0); core.concurrency claims this column instead.
    VERSION_FIELD = "revision"

    class Meta:
        ordering = ["name", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="programmes_programmetemplate_unique_version"),
            models.CheckConstraint(
                condition=~Q(status=TemplateStatus.PUBLISHED) | Q(published_on__isnull=False),
                name="programmes_programmetemplate_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version} ({self.get_status_display().lower()})"

    @property
    def is_published(self) -> bool:
        return self.status == TemplateStatus.PUBLISHED


class SessionKind(models.TextChoices):
    TAUGHT = "taught", "Taught"
    COACHING = "coaching", "Coaching"
    REVIEW = "review", "Review"
    SUSTAIN = "sustain", "Sustain check"


class SessionPlanQuerySet(models.QuerySet):
    def review(self):
        """The 12-week review's rows (as SessionPlan.is_review, SessionQuerySet.review)."""
        return self.filter(kind=SessionKind.REVIEW)


class SessionPlan(models.Model):
    """One row of a template: session number, kind and its week from session 1."""

    template = models.ForeignKey(ProgrammeTemplate, on_delete=models.CASCADE, related_name="plans")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=SessionKind.choices)
    week_offset = models.PositiveSmallIntegerField(
        help_text="Weeks after session 1 (0 for session 1 itself; the 12-week review is 11)."
    )
    checklist_due = models.BooleanField(default=False)

    objects = SessionPlanQuerySet.as_manager()

    class Meta:
        ordering = ["template", "number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="programmes_sessionplan_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="programmes_sessionplan_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title} (week {self.week})"

    @property
    def week(self) -> int:
        """Programme week, counting session 1's week as week 1."""
        return self.week_offset + 1

    @property
    def is_review(self) -> bool:
        """The 12-week review (the template's review kind)."""
        return self.kind == SessionKind.REVIEW

    def due_date_for(self, session1_date: dt.date) -> dt.date:
        """The one rule for when a session is due: session 1's date plus this row's week offset."""
        return session1_date + dt.timedelta(weeks=self.week_offset)


class Cohort(models.Model):
    name = models.CharField(max_length=200, unique=True)
    template = models.ForeignKey(ProgrammeTemplate, on_delete=models.PROTECT, related_name="cohorts")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_cohorts",
        help_text="The improvement manager who runs this cohort and receives escalations.",
    )
    start_date = models.DateField()
    target_end_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every save; stale forms are refused.")

    class Meta:
        ordering = ["-start_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_end_date__gte=models.F("start_date")),
                name="programmes_cohort_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EnrolmentStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"

    @classmethod
    def current(cls) -> tuple[EnrolmentStatus, ...]:
        """A team still in the programme: it has sessions to hold, reminders and slots to agree."""
        return (cls.PLANNED, cls.ACTIVE)

    @classmethod
    def finished(cls) -> tuple[EnrolmentStatus, ...]:
        """A team that has finished or left the programme: nothing left to chase."""
        return (cls.COMPLETED, cls.WITHDRAWN)


class EnrolmentQuerySet(models.QuerySet):
    def for_coach(self, user):
        return self.filter(coach=user)

    def current(self):
        return self.filter(status__in=EnrolmentStatus.current())


class Enrolment(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="enrolments")
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="enrolments")
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="coached_enrolments",
    )
    session1_date = models.DateField("session 1 date")
    status = models.CharField(max_length=10, choices=EnrolmentStatus.choices, default=EnrolmentStatus.PLANNED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every save; stale forms are refused.")

    objects = EnrolmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["cohort", "team__site__code", "team__name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "cohort"], name="programmes_enrolment_unique_team_per_cohort"),
            # A team is in one cohort at a time, under one coach: withdraw or complete it before enrolling it again.
            models.UniqueConstraint(
                fields=["team"],
                condition=Q(status__in=EnrolmentStatus.current()),
                name="programmes_enrolment_one_current_per_team",
                violation_error_message="This team is already planned or active in another cohort. "
                "Withdraw it there first, or complete it, then enrol it again.",
            ),
        ]

    def __str__(self) -> str:
        """Reads self.team, its site and self.cohort: up to three queries if not loaded."""
        return f"{self.team} in {self.cohort}"

    @property
    def is_current(self) -> bool:
        return self.status in EnrolmentStatus.current()

    @property
    def is_finished(self) -> bool:
        return self.status in EnrolmentStatus.finished()


class SessionStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"
    OVERDUE = "overdue", "Overdue"


def grace_days() -> int:
    return settings.QMS_SESSION_GRACE_DAYS


# --- The overdue rule: the one home of "overdue", "days overdue" and "scheduled late" ---------
# A session may be held up to the grace days after the later of its due date and its agreed (or
# moved) start's London date: that day is its last on-time day. Not held nor cancelled by then,
# it is overdue from the next day, and "days overdue" counts from there: 1 on the first overdue
# day. Escalation counts on the same scale (coaching.selectors.reminders). An agreed start past
# the due date plus the grace days is not overdue before it comes, but it is slipping: "scheduled
# N days late", N counted from the due date.


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment, LONDON).date()


def on_time_anchor(due_date: dt.date, agreed_start: dt.datetime | None) -> dt.date:
    """The day the grace days count from: the due date, or the agreed start's London date when that
    is later. last_on_time_day() and the stored EnrolmentProgress.next_anchor both use it."""
    return due_date if agreed_start is None else max(due_date, _local_date(agreed_start))


def last_on_time_day(*, due_date: dt.date, agreed_start: dt.datetime | None) -> dt.date:
    """The last day the session is not yet overdue: max(due date, agreed start's date) + grace."""
    return on_time_anchor(due_date, agreed_start) + dt.timedelta(days=grace_days())


def on_time_anchor_expression() -> models.Func:
    """on_time_anchor() in SQL, on Session rows (PostgreSQL and SQLite alike): the later of the due
    date and the agreed start's London date. programmes/tests/test_on_time_sql.py checks they agree."""
    due = F("due_date")
    return Greatest(due, Coalesce(TruncDate("agreed_start", tzinfo=LONDON), due), output_field=models.DateField())


def past_last_on_time_day(today: dt.date) -> Q:
    """last_on_time_day() < today, as a condition on Session rows (held or not)."""
    return Q(LessThan(on_time_anchor_expression(), overdue_cutoff(today)))


def held_by_last_on_time_day() -> Q:
    """Held no later than last_on_time_day(), as a condition on Session rows."""
    return Q(LessThanOrEqual(F("held_on") - on_time_anchor_expression(), dt.timedelta(days=grace_days())))


def overdue_cutoff(today: dt.date) -> dt.date:
    """An open session whose due date and agreed start's London date are both before this date is
    overdue on `today` (as last_on_time_day() < today)."""
    return today - dt.timedelta(days=grace_days())


def next_session_overdue(today: dt.date) -> Q:
    """Enrolments whose next open session is overdue today, as a filter on Enrolment: the stored
    EnrolmentProgress.next_anchor (the anchor of last_on_time_day()) before overdue_cutoff(today).
    A finished enrolment has no next session, so is never overdue (as team_row())."""
    return Q(progress__next_anchor__lt=overdue_cutoff(today)) & ~Q(status__in=EnrolmentStatus.finished())


def days_scheduled_late(*, due_date: dt.date, agreed_start: dt.datetime | None) -> int:
    """For a session agreed past its due date plus the grace days: the days from its due date to
    its agreed start ("scheduled N days late"); else 0."""
    if agreed_start is None:
        return 0
    agreed_on = _local_date(agreed_start)
    if agreed_on <= due_date + dt.timedelta(days=grace_days()):
        return 0
    return (agreed_on - due_date).days


def session_status(
    *, due_date: dt.date, held_on: dt.date | None, cancelled: bool, agreed_start, today: dt.date
) -> SessionStatus:
    """The one rule for a session's status; status is never stored.

    cancelled > held > overdue (last_on_time_day() passed) > scheduled (agreed time) > planned.
    """
    if cancelled:
        return SessionStatus.CANCELLED
    if held_on is not None:
        return SessionStatus.HELD
    if last_on_time_day(due_date=due_date, agreed_start=agreed_start) < today:
        return SessionStatus.OVERDUE
    if agreed_start is not None:
        return SessionStatus.SCHEDULED
    return SessionStatus.PLANNED


class SessionQuerySet(models.QuerySet):
    def open(self):
        """Neither held nor cancelled (as Session.is_open)."""
        return self.filter(held_on__isnull=True, cancelled=False)

    def overdue(self, today: dt.date):
        """The same rule as session_status(), as a filter: open, and the due date and the agreed
        start's London date both before overdue_cutoff(today)."""
        cutoff = overdue_cutoff(today)
        start_of_cutoff = dt.datetime.combine(cutoff, dt.time.min, tzinfo=LONDON)
        return self.open().filter(
            Q(agreed_start__isnull=True) | Q(agreed_start__lt=start_of_cutoff), due_date__lt=cutoff
        )

    def scheduled_late(self):
        """Open sessions agreed past their due date plus the grace days (as days_scheduled_late() > 0).
        The agreed start's London date, in SQL on PostgreSQL and SQLite alike."""
        return (
            self.open()
            .annotate(_agreed_day=TruncDate("agreed_start", tzinfo=LONDON))
            .filter(_agreed_day__gt=F("due_date") + dt.timedelta(days=grace_days()))
        )

    def held(self):
        """Held (as Session.is_held)."""
        return self.filter(held_on__isnull=False, cancelled=False)

    def review(self):
        """The 12-week review: the sessions of the template's review kind (as SessionPlan.is_review)."""
        return self.filter(plan__kind=SessionKind.REVIEW)

    def chronological(self):
        """The order sessions happen in: by their number in the programme."""
        return self.order_by(*SESSION_ORDER)

    def for_coach(self, user):
        return self.filter(enrolment__coach=user)


# The order sessions happen in, for order_by() and Prefetch querysets alike.
SESSION_ORDER = ("number",)


class Session(models.Model):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="sessions")
    plan = models.ForeignKey(SessionPlan, on_delete=models.PROTECT, related_name="sessions")
    number = models.PositiveSmallIntegerField(help_text="Copied from the plan row.")
    due_date = models.DateField()
    agreed_start = models.DateTimeField(null=True, blank=True)
    held_on = models.DateField(null=True, blank=True)
    attendees = models.PositiveSmallIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True)
    cancelled = models.BooleanField(default=False)
    cancelled_reason = models.CharField(max_length=500, blank=True)
    location = models.CharField(max_length=200, blank=True, help_text="Where the session is held, if agreed.")
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every save; stale forms are refused.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = SessionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["enrolment", "number"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "number"], name="programmes_session_unique_number"),
            models.UniqueConstraint(fields=["enrolment", "plan"], name="programmes_session_unique_plan"),
            models.CheckConstraint(
                condition=~(Q(cancelled=True) & Q(held_on__isnull=False)),
                name="programmes_session_not_held_and_cancelled",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="programmes_session_number_positive"),
        ]
        indexes = [models.Index(fields=["due_date"], name="programmes_session_due_idx")]

    def __str__(self) -> str:
        return f"Session {self.number} due {self.due_date:%d %b %Y}"

    @property
    def is_open(self) -> bool:
        """Neither held nor cancelled (as SessionQuerySet.open)."""
        return self.held_on is None and not self.cancelled

    @property
    def is_held(self) -> bool:
        """Held (as SessionQuerySet.held)."""
        return self.held_on is not None and not self.cancelled

    def status(self, today: dt.date) -> SessionStatus:
        return session_status(
            due_date=self.due_date,
            held_on=self.held_on,
            cancelled=self.cancelled,
            agreed_start=self.agreed_start,
            today=today,
        )

    def days_overdue(self, today: dt.date) -> int:
        """For an overdue session, the days since its last on-time day (1 on the first overdue
        day: the scale escalation counts on); else 0."""
        if self.status(today) != SessionStatus.OVERDUE:
            return 0
        return (today - last_on_time_day(due_date=self.due_date, agreed_start=self.agreed_start)).days

    @property
    def days_scheduled_late(self) -> int:
        """Open and agreed past its due date plus the grace days: the days from the due date to
        the agreed start; else 0."""
        if not self.is_open:
            return 0
        return days_scheduled_late(due_date=self.due_date, agreed_start=self.agreed_start)


class EnrolmentProgress(models.Model):
    """Each enrolment's progress through its sessions, stored so that dashboards can count, filter,
    sort and page teams in SQL without reading their sessions.

    Derived, never edited: programmes.services.progress.refresh_progress() computes it from the
    sessions, and every write that changes what it reads recomputes it in the same transaction (the
    scheduling and coaching services, and programmes.receivers for the admin, claim_version, deletes
    and a plan row's kind). A row exists exactly for the enrolments that have at least one session.
    The next session is the first open one (neither held nor cancelled) in session order, whatever
    the enrolment's status: readers apply "a finished enrolment has no next session" themselves.
    """

    enrolment = models.OneToOneField(Enrolment, primary_key=True, on_delete=models.CASCADE, related_name="progress")
    session_count = models.PositiveSmallIntegerField()
    held_count = models.PositiveSmallIntegerField(help_text="Held (SessionQuerySet.held).")
    cancelled_count = models.PositiveSmallIntegerField()
    # Deleting the session empties this, and the delete's receiver then stores the next one.
    next_session = models.ForeignKey(Session, null=True, on_delete=models.SET_NULL, related_name="+")
    next_number = models.PositiveSmallIntegerField(null=True)
    next_due_date = models.DateField(null=True)
    next_agreed_start = models.DateTimeField(null=True)
    next_anchor = models.DateField(
        null=True, help_text="The next session's on_time_anchor(): the day its grace days count from."
    )
    session_1_held_on = models.DateField(null=True)
    review_due_date = models.DateField(null=True, help_text="Of the 12-week review (SessionQuerySet.review).")
    review_held_on = models.DateField(null=True)
    first_coaching_held_on = models.DateField(
        null=True, help_text="The day the first coaching session (in session order) was held."
    )

    class Meta:
        indexes = [
            models.Index(fields=["next_anchor"], name="programmes_progress_anchor_idx"),
            models.Index(fields=["next_due_date"], name="programmes_progress_due_idx"),
        ]

    def __str__(self) -> str:
        return f"Progress of enrolment {self.enrolment_id}"

    def first_coaching_wait(self, today: dt.date) -> FirstCoachingWait | None:
        return first_coaching_wait(
            session_1_held_on=self.session_1_held_on, first_coaching_held_on=self.first_coaching_held_on, today=today
        )


def first_coaching_wait_limit() -> int:
    """Days from session 1 held to the first coaching session held before the manager is told."""
    return settings.QMS_FIRST_COACHING_WAIT_DAYS


@dataclass(frozen=True)
class FirstCoachingWait:
    """The wait to first coaching: days from session 1 held to the first coaching session held
    (measured), or, while none is held yet, to today (still waiting)."""

    days: int
    waiting: bool

    @property
    def too_long(self) -> bool:
        return self.days > first_coaching_wait_limit()

    def __str__(self) -> str:
        unit = "day" if self.days == 1 else "days"
        return f"waiting {self.days} {unit}" if self.waiting else f"{self.days} {unit}"


def first_coaching_wait(
    *, session_1_held_on: dt.date | None, first_coaching_held_on: dt.date | None, today: dt.date
) -> FirstCoachingWait | None:
    """The one rule for the wait to first coaching; None before session 1 is held."""
    if session_1_held_on is None:
        return None
    if first_coaching_held_on is not None:
        return FirstCoachingWait(days=max(0, (first_coaching_held_on - session_1_held_on).days), waiting=False)
    return FirstCoachingWait(days=max(0, (today - session_1_held_on).days), waiting=True)


class SessionChange(models.Model):
    """A move of a session's agreed time, kept so slippage can be counted."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="changes")
    from_start = models.DateTimeField(null=True, blank=True)
    to_start = models.DateTimeField()
    reason = models.CharField(max_length=500)
    clash_override_reason = models.CharField(
        max_length=500,
        blank=True,
        help_text="Why the new time was kept although it clashes with the coach's other sessions or unavailable "
        "dates; blank when it did not clash.",
    )
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "changed_at"]

    def __str__(self) -> str:
        return f"Session {self.session_id} moved to {self.to_start:%Y-%m-%d %H:%M}"


class PdsaDecision(models.TextChoices):
    ADOPT = "adopt", "Adopt"
    ADAPT = "adapt", "Adapt"
    ABANDON = "abandon", "Abandon"


def marks_chart_change(*, decision: str, new_limits: bool) -> bool:
    """Whether a PDSA cycle's decision is a change on the charts (an XmR chart starts a new segment,
    with its own mean and limits, from the decision date): a decision to adopt or adapt that the
    manager left marked as a change of the process."""
    return new_limits and decision in (PdsaDecision.ADOPT, PdsaDecision.ADAPT)


class PdsaCycle(models.Model):
    """The programme's own improvement log."""

    title = models.CharField(max_length=200)
    aim = models.TextField(blank=True)
    plan = models.TextField(blank=True)
    do = models.TextField(blank=True)
    study = models.TextField(blank=True)
    act = models.TextField(blank=True)
    decision = models.CharField(max_length=10, choices=PdsaDecision.choices, blank=True)
    started_on = models.DateField()
    decided_on = models.DateField(null=True, blank=True)
    new_limits = models.BooleanField(
        default=True,
        help_text=(
            "For a change adopted or adapted: the charts take a new mean and new limits from the decision date."
        ),
    )
    cohort = models.ForeignKey(Cohort, on_delete=models.SET_NULL, null=True, blank=True, related_name="pdsa_cycles")
    template = models.ForeignKey(
        ProgrammeTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="pdsa_cycles"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every save; stale forms are refused.")

    class Meta:
        ordering = ["-started_on", "title"]
        verbose_name = "PDSA cycle"
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True) | Q(decided_on__gte=models.F("started_on")),
                name="programmes_pdsacycle_decided_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def marks_chart_change(self) -> bool:
        return marks_chart_change(decision=self.decision, new_limits=self.new_limits)
