"""Reminders: the daily sweep that claims them, and sending each one exactly once.

The rules, for a given day in Europe/London (an argument, so tests fix it); only enrolments that
are planned or active get reminders:

- overdue: a session neither held nor cancelled whose due date + grace (QMS_SESSION_GRACE_DAYS)
  has passed -> its coach, once per session and due date. A team with no coach: the cohort's
  improvement manager, so that someone hears of it.
- escalation: still overdue QMS_ESCALATION_DAYS after it became overdue -> the cohort's
  improvement manager (Cohort.owner), once.
- slots_not_agreed: session 1 held AGREEMENT_REMINDER_DAYS or more ago and no coaching agreement
  -> the coach, once.
- upcoming: a session due within UPCOMING_REMINDER_DAYS with no agreed time -> the coach, once.

Exactly once: the sweep claims a reminder by inserting its Reminder row (status pending) under
the unique constraint (session, recipient, kind, due date) with INSERT ... ON CONFLICT DO NOTHING
RETURNING, so of two sweeps, in parallel or one after the other, only one gets each row back.
After the claim commits, a task per reminder id sends the email; it sends only inside a
transaction that has flipped the row from pending to sent with a conditional UPDATE, so a
retried or duplicated task finds the row taken (or waits on its lock) and sends nothing.
Transient SMTP errors roll the flip back, are recorded (attempts, error) and retried with
backoff by the task; after the last retry the reminder is marked failed, shown on the managers'
Reminders page, from where it can be sent again.

Queries: each rule reads its candidates in batches of BATCH_SIZE sessions, already reminded ones
excluded in SQL, and claims a batch in one INSERT (a few on SQLite, whose statements take at
most 999 parameters): the count does not grow with the sessions that need no reminder.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Exists, F, IntegerField, OuterRef, QuerySet
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from programmes.models import EnrolmentStatus, Session, overdue_cutoff

from .models import Reminder, ReminderKind, ReminderStatus

logger = logging.getLogger(__name__)

# Session 1 held this many days ago without a coaching agreement -> remind the coach.
AGREEMENT_REMINDER_DAYS = 2
# A session due within this many days with no agreed time -> remind the coach.
UPCOMING_REMINDER_DAYS = 2
# Candidate sessions read (and claimed) per batch.
BATCH_SIZE = 500
# A reminder still pending this long after its claim lost its task (broker down when the sweep
# ran, a message lost): the next sweep queues it again. Longer than the whole retry schedule.
STALE_PENDING_AFTER = dt.timedelta(hours=2)

# Sending: errors worth another try, and the retry schedule (seconds) the task follows.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (smtplib.SMTPException, OSError)
SEND_MAX_RETRIES = 5
RETRY_BACKOFF_SECONDS = 60
RETRY_BACKOFF_MAX_SECONDS = 900

CURRENT_ENROLMENT = [EnrolmentStatus.PLANNED, EnrolmentStatus.ACTIVE]


def escalation_days() -> int:
    return settings.QMS_ESCALATION_DAYS


# --- Who gets what ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    kind: ReminderKind
    sessions: Callable[[dt.date], QuerySet[Session]]
    to_manager: bool = False  # True: the cohort's improvement manager; else the coach (or the manager)


def _open_sessions() -> QuerySet[Session]:
    return Session.objects.open().filter(enrolment__status__in=CURRENT_ENROLMENT)


def _overdue(today: dt.date) -> QuerySet[Session]:
    return _open_sessions().filter(due_date__lt=overdue_cutoff(today))


def _escalation(today: dt.date) -> QuerySet[Session]:
    return _open_sessions().filter(due_date__lt=overdue_cutoff(today) - dt.timedelta(days=escalation_days()))


def _slots_not_agreed(today: dt.date) -> QuerySet[Session]:
    return Session.objects.filter(
        number=1,
        cancelled=False,
        held_on__lte=today - dt.timedelta(days=AGREEMENT_REMINDER_DAYS),
        enrolment__status__in=CURRENT_ENROLMENT,
        enrolment__agreement__isnull=True,
    )


def _upcoming(today: dt.date) -> QuerySet[Session]:
    return _open_sessions().filter(
        agreed_start__isnull=True,
        due_date__gte=today,
        due_date__lte=today + dt.timedelta(days=UPCOMING_REMINDER_DAYS),
    )


RULES = (
    _Rule(ReminderKind.OVERDUE, _overdue),
    _Rule(ReminderKind.ESCALATION, _escalation, to_manager=True),
    _Rule(ReminderKind.SLOTS_NOT_AGREED, _slots_not_agreed),
    _Rule(ReminderKind.UPCOMING, _upcoming),
)


def _candidates(rule: _Rule, today: dt.date) -> QuerySet[Session]:
    """The rule's sessions with their recipient, minus those this recipient was already reminded of."""
    if rule.to_manager:
        recipient = F("enrolment__cohort__owner_id")
    else:
        recipient = Coalesce("enrolment__coach_id", "enrolment__cohort__owner_id", output_field=IntegerField())
    already = Reminder.objects.filter(
        session=OuterRef("pk"), recipient=OuterRef("reminder_to_id"), kind=rule.kind, due_date=OuterRef("due_date")
    )
    return (
        rule.sessions(today)
        .annotate(reminder_to_id=recipient)
        .filter(~Exists(already))
        .select_related("plan", "enrolment__team__site", "enrolment__cohort__owner", "enrolment__coach")
        .order_by("pk")
    )


@dataclass(frozen=True)
class PlannedReminder:
    """A reminder the sweep found due. session has its plan, team, site, cohort owner and coach loaded."""

    session: Session
    kind: ReminderKind
    today: dt.date
    to_manager: bool

    @property
    def recipient(self):
        enrolment = self.session.enrolment
        return enrolment.cohort.owner if self.to_manager or enrolment.coach is None else enrolment.coach

    @property
    def due_date(self) -> dt.date:
        return self.session.due_date

    def detail(self) -> str:
        session = self.session
        if self.kind == ReminderKind.SLOTS_NOT_AGREED:
            return f"held {session.held_on.isoformat()}, no coaching agreement"
        if self.kind == ReminderKind.UPCOMING:
            days = (session.due_date - self.today).days
            when = {0: "due today", 1: "due tomorrow"}.get(days, f"due in {days} days")
            return f"{when}, no agreed time"
        days = (self.today - session.due_date).days
        return f"{days} days late"

    def describe(self) -> str:
        """One line for the send_reminders command."""
        session, enrolment, recipient = self.session, self.session.enrolment, self.recipient
        to = f"{recipient.get_full_name() or recipient.get_username()} ({recipient.get_username()})"
        if enrolment.coach is None and not self.to_manager:
            to += ", no coach assigned"
        return (
            f"{self.kind.label}: {enrolment.team.name} ({enrolment.team.site.code}), "
            f'session {session.number} "{session.plan.title}" due {session.due_date.isoformat()}, '
            f"{self.detail()} -> {to}"
        )


def _planned(rule: _Rule, today: dt.date) -> Iterator[list[PlannedReminder]]:
    """The rule's due reminders in batches of up to BATCH_SIZE: one query per batch."""
    queryset = _candidates(rule, today)
    last_pk = 0
    while True:
        batch = list(queryset.filter(pk__gt=last_pk)[:BATCH_SIZE])
        if not batch:
            return
        yield [PlannedReminder(s, rule.kind, today, rule.to_manager) for s in batch]
        if len(batch) < BATCH_SIZE:
            return
        last_pk = batch[-1].pk


# --- The claim --------------------------------------------------------------------------------

_CLAIM_FIELDS = ("session", "recipient", "kind", "due_date", "status", "attempts", "error", "created_at")
_UNIQUE_FIELDS = ("session", "recipient", "kind", "due_date")


def _claim_rows(planned: list[PlannedReminder], *, now: dt.datetime) -> dict[tuple[int, int, str], int]:
    """Inserts the batch's Reminder rows, skipping any that exist; returns the ones this call inserted.

    INSERT ... ON CONFLICT DO NOTHING RETURNING (PostgreSQL, and SQLite 3.35+) returns only the
    rows inserted here: a row another sweep inserted first, or inserts while we wait on its lock,
    is not ours. Keyed by (session id, recipient id, kind), which is unique within one rule's batch.
    """
    meta = Reminder._meta
    quote = connection.ops.quote_name
    fields = [meta.get_field(name) for name in _CLAIM_FIELDS]
    columns = ", ".join(quote(f.column) for f in fields)
    conflict = ", ".join(quote(meta.get_field(name).column) for name in _UNIQUE_FIELDS)
    returning = ", ".join(quote(meta.get_field(name).column) for name in ("id", "session", "recipient", "kind"))
    claimed: dict[tuple[int, int, str], int] = {}
    per_statement = max(connection.ops.bulk_batch_size(fields, planned), 1)
    with connection.cursor() as cursor:
        for start in range(0, len(planned), per_statement):
            chunk = planned[start : start + per_statement]
            row = "(" + ", ".join(["%s"] * len(fields)) + ")"
            sql = (
                f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {', '.join([row] * len(chunk))} "  # noqa: S608 - names from the model, values as parameters
                f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {returning}"
            )
            params = []
            for p in chunk:
                values = (p.session.pk, p.recipient.pk, p.kind.value, p.due_date, ReminderStatus.PENDING, 0, "", now)
                params.extend(f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True))
            cursor.execute(sql, params)
            for reminder_id, session_id, recipient_id, kind in cursor.fetchall():
                claimed[(session_id, recipient_id, kind)] = reminder_id
    return claimed


@dataclass
class SweepResult:
    today: dt.date
    dry_run: bool
    reminders: list[PlannedReminder] = field(default_factory=list)  # claimed by this run (or would be)
    reminder_ids: list[int] = field(default_factory=list)  # their rows, in the same order
    requeued: list[int] = field(default_factory=list)  # stale pending reminders queued again


def _enqueue_send(reminder_id: int, today: dt.date | None) -> None:
    from .tasks import send_reminder  # the task module imports this one

    # robust: a broker that is down leaves the row pending for the next sweep, and does not
    # stop the other reminders of the batch being queued.
    transaction.on_commit(partial(send_reminder.delay, reminder_id, today.isoformat() if today else None), robust=True)


def reminders_sweep(*, today: dt.date, dry_run: bool = False, now: dt.datetime | None = None) -> SweepResult:
    """Claims every reminder due on `today` and queues its email (after commit); dry_run claims nothing.

    Safe to run any number of times, in parallel too: each reminder is claimed once.
    """
    now = now or timezone.now()
    result = SweepResult(today=today, dry_run=dry_run)
    for rule in RULES:
        for batch in _planned(rule, today):
            if dry_run:
                result.reminders.extend(batch)
                continue
            with transaction.atomic():
                claimed = _claim_rows(batch, now=now)
                for planned in batch:
                    reminder_id = claimed.get((planned.session.pk, planned.recipient.pk, planned.kind.value))
                    if reminder_id is None:
                        continue  # another sweep claimed it between our read and our insert
                    result.reminders.append(planned)
                    result.reminder_ids.append(reminder_id)
                    _enqueue_send(reminder_id, today)
    if not dry_run:
        result.requeued = _requeue_stale_pending(now=now, today=today)
    return result


def _requeue_stale_pending(*, now: dt.datetime, today: dt.date) -> list[int]:
    """Queues again the reminders claimed long ago but never sent nor failed: one query."""
    stale = list(
        Reminder.objects.filter(status=ReminderStatus.PENDING, created_at__lt=now - STALE_PENDING_AFTER)
        .order_by("pk")
        .values_list("pk", flat=True)[:BATCH_SIZE]
    )
    if stale:
        logger.warning("Queuing again %d reminders left pending by an earlier run: %s", len(stale), stale)
        with transaction.atomic():
            for reminder_id in stale:
                _enqueue_send(reminder_id, None)
    return stale


# --- The email --------------------------------------------------------------------------------


def site_url(viewname: str, *args) -> str | None:
    """settings.SITE_URL + the view's path, or None while that page does not exist."""
    try:
        path = reverse(viewname, args=args)
    except NoReverseMatch:
        return None
    return settings.SITE_URL + path


def _calendar_url(coach) -> str | None:
    from .services import calendar_feed_for_coach

    try:
        reverse("coaching:calendar", args=["token"])
    except NoReverseMatch:
        return None  # the feed's page is not there yet: no link, and no token made for nothing
    return site_url("coaching:calendar", calendar_feed_for_coach(coach=coach).token)


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def reminder_email_context(reminder: Reminder, *, today: dt.date) -> dict:
    """What the email templates show. reminder needs its session, plan, team, site, cohort owner,
    coach and recipient loaded; makes the coach's calendar feed if they have none yet."""
    session = reminder.session
    enrolment = session.enrolment
    recipient = reminder.recipient
    is_coach = enrolment.coach_id is not None and recipient.pk == enrolment.coach_id
    return {
        "reminder": reminder,
        "kind": reminder.kind,
        "recipient_name": _name(recipient),
        "session": session,
        "enrolment": enrolment,
        "team": enrolment.team,
        "site": enrolment.team.site,
        "cohort": enrolment.cohort,
        "coach_name": _name(enrolment.coach) if enrolment.coach else None,
        "manager_name": _name(enrolment.cohort.owner),
        "is_coach": is_coach,
        "due_date": reminder.due_date,
        "days_late": (today - reminder.due_date).days,
        "days_until": (reminder.due_date - today).days,
        "days_since_held": (today - session.held_on).days if session.held_on else None,
        "grace_days": settings.QMS_SESSION_GRACE_DAYS,
        "escalation_days": escalation_days(),
        "session_url": site_url("programmes:session", session.pk),
        "enrolment_url": site_url("programmes:enrolment", enrolment.pk),
        "calendar_url": _calendar_url(recipient) if is_coach else None,
        "home_url": settings.SITE_URL + "/",
    }


def reminder_message(reminder: Reminder, *, today: dt.date) -> EmailMultiAlternatives:
    """The email, plain text with an HTML alternative, in the site's language (en-GB)."""
    context = reminder_email_context(reminder, today=today)
    base = f"coaching/email/{reminder.kind}"
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
        text = render_to_string(f"{base}.txt", context)
        html = render_to_string(f"{base}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[reminder.recipient.email])
    message.attach_alternative(html, "text/html")
    return message


# --- Sending, exactly once --------------------------------------------------------------------


class SendOutcome:
    SENT = "sent"
    ALREADY_DONE = "already done"  # sent, failed, or being sent by another task
    FAILED = "failed"  # cannot be sent (no email address); marked failed
    GONE = "gone"  # the row was deleted (its session was)


def _reminder_for_sending(reminder_id: int) -> Reminder | None:
    return (
        Reminder.objects.select_related(
            "recipient",
            "session__plan",
            "session__enrolment__team__site",
            "session__enrolment__cohort__owner",
            "session__enrolment__coach",
        )
        .filter(pk=reminder_id)
        .first()
    )


def _describe_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def is_permanent_error(exc: BaseException) -> bool:
    """A 5xx answer from the mail server: trying again will not help."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return False


def reminder_send(*, reminder_id: int, today: dt.date | None = None, now: dt.datetime | None = None) -> str:
    """Sends a pending reminder's email once; returns a SendOutcome.

    The email goes out inside the transaction that flips the row pending -> sent, so a second
    task for the same row waits on the row lock and then finds it sent. An error from the mail
    server rolls the flip back, is recorded on the row (attempts, error) and re-raised for the
    task to retry.
    """
    reminder = _reminder_for_sending(reminder_id)
    if reminder is None:
        return SendOutcome.GONE
    if reminder.status != ReminderStatus.PENDING:
        return SendOutcome.ALREADY_DONE
    recipient = reminder.recipient
    if not recipient.email or not recipient.is_active:
        why = "has no email address" if recipient.is_active else "has an inactive account"
        reminder_mark_failed(reminder_id=reminder_id, error=f"{_name(recipient)} {why}.")
        return SendOutcome.FAILED
    message = reminder_message(reminder, today=today or timezone.localdate())
    try:
        with transaction.atomic():
            claimed = Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.PENDING).update(
                status=ReminderStatus.SENT, sent_at=now or timezone.now(), attempts=F("attempts") + 1, error=""
            )
            if not claimed:
                return SendOutcome.ALREADY_DONE
            message.send()
    except TRANSIENT_ERRORS as exc:
        Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.PENDING).update(
            attempts=F("attempts") + 1, error=_describe_error(exc)
        )
        raise
    return SendOutcome.SENT


def reminder_mark_failed(*, reminder_id: int, error: str) -> bool:
    """A pending reminder that will not be sent: shown as failed to managers. False if not pending."""
    return bool(
        Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.PENDING).update(
            status=ReminderStatus.FAILED, error=error[:2000]
        )
    )


@transaction.atomic
def reminder_retry(*, reminder: Reminder) -> bool:
    """A manager asks for a failed reminder to be sent again. False if it is no longer failed."""
    updated = Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.FAILED).update(
        status=ReminderStatus.PENDING
    )
    if updated:
        _enqueue_send(reminder.pk, None)
    return bool(updated)


def retry_countdown(retries: int) -> int:
    """Seconds before retry number retries + 1: 60, 120, 240, 480, 900."""
    return min(RETRY_BACKOFF_SECONDS * 2**retries, RETRY_BACKOFF_MAX_SECONDS)
