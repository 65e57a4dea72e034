"""Coaching: slots agreed at session 1, reminders, calendar feeds."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from programmes.models import Enrolment, Session, Team, TeamMeeting


class CoachingAgreement(models.Model):
    """The coaching slots agreed with a team, riding on one of its existing meetings."""

    enrolment = models.OneToOneField(Enrolment, on_delete=models.CASCADE, related_name="agreement")
    meeting = models.ForeignKey(TeamMeeting, on_delete=models.PROTECT, related_name="agreements")
    skipped_dates = models.JSONField(
        default=list, blank=True, help_text="ISO dates of the meeting the coach marked unavailable."
    )
    agreed_at = models.DateTimeField(help_text="When the agreement was recorded here.")
    agreed_on = models.DateField(
        help_text="The day the slots were agreed with the team (London): the day it was recorded, or an earlier "
        'day the coach gave, not before session 1 was held. Decides "agreed at session 1".'
    )
    agreed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    clash_override_reason = models.CharField(
        max_length=500,
        blank=True,
        help_text="Why the slots were agreed although some clash with the coach's other sessions or unavailable "
        "dates; blank when none clashed.",
    )
    # Bumped by every confirm and admin save (core.concurrency): the agreement page carries the
    # version it was opened on, 0 for "no agreement yet" (NO_AGREEMENT_VERSION).
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()  # who changed what and when: the audit page (dashboards.audit)

    class Meta:
        ordering = ["-agreed_at"]

    def __str__(self) -> str:
        return f"Coaching agreement for enrolment {self.enrolment_id}"

    def save(self, *args, **kwargs):
        # A row made without the day (the app's own steps, tests) was agreed the day it was recorded.
        if self.agreed_on is None and self.agreed_at is not None:
            self.agreed_on = self.recorded_on
        super().save(*args, **kwargs)

    @property
    def recorded_on(self) -> dt.date:
        """The day it was recorded here, in London (agreed_on may be earlier)."""
        return timezone.localdate(self.agreed_at)


def agreed_on_error(agreed_on: dt.date, *, today: dt.date, session_1_held_on: dt.date | None) -> str | None:
    """The one rule for the day a coach says the slots were agreed (the agreement form and
    agreement_confirm both use it): today, or an earlier day on or after the day session 1 was
    held; never in the future. The message to show, or None when the day is fine."""
    if agreed_on > today:
        return f"The day the slots were agreed cannot be in the future (today is {today:%a %-d %b %Y})."
    if agreed_on < today:
        if session_1_held_on is None:
            return (
                "Session 1 is not recorded as held yet, so the slots can only be recorded as agreed today. "
                "Record session 1 as held first to give an earlier day."
            )
        if agreed_on < session_1_held_on:
            held = f"{session_1_held_on:%a %-d %b %Y}"
            return f"The slots cannot have been agreed before session 1, which was held on {held}."
    return None


class SlotsState(models.TextChoices):
    """Whether a team's coaching slots were agreed at session 1: derived, never stored."""

    NOT_YET = "not_yet", "Not yet"
    AGREED_AT_SESSION_1 = "agreed_at_session_1", "Agreed at session 1"
    AGREED_LATER = "agreed_later", "Agreed later"
    NOT_AGREED = "not_agreed", "Not agreed"


def slots_state(*, agreement: CoachingAgreement | None, session_1_held_on: dt.date | None) -> SlotsState:
    """The one rule for "slots agreed at session 1", used by every page, the reminders and the exports.

    Before session 1 is held: not yet (even if agreed already: it counts once session 1 is held on
    or after that day). Then: agreed at session 1 when the agreement's day (agreed_on: the day the
    coach says it was agreed, not the day it was typed in) is on or before the day it was held,
    agreed later when after it, not agreed while there is no agreement.
    """
    return slots_state_on(agreed_on=agreement.agreed_on if agreement else None, session_1_held_on=session_1_held_on)


def slots_state_on(*, agreed_on: dt.date | None, session_1_held_on: dt.date | None) -> SlotsState:
    """slots_state() from the agreement's day alone (None: no agreement), for reads of plain values."""
    if session_1_held_on is None:
        return SlotsState.NOT_YET
    if agreed_on is None:
        return SlotsState.NOT_AGREED
    if agreed_on <= session_1_held_on:
        return SlotsState.AGREED_AT_SESSION_1
    return SlotsState.AGREED_LATER


def slots_state_expression() -> models.Case:
    """slots_state_on() as SQL over an Enrolment queryset: from its agreement's day and session 1's
    day held as stored in programmes.models.EnrolmentProgress."""
    return models.Case(
        models.When(progress__session_1_held_on__isnull=True, then=models.Value(SlotsState.NOT_YET.value)),
        models.When(agreement__isnull=True, then=models.Value(SlotsState.NOT_AGREED.value)),
        models.When(
            agreement__agreed_on__lte=models.F("progress__session_1_held_on"),
            then=models.Value(SlotsState.AGREED_AT_SESSION_1.value),
        ),
        default=models.Value(SlotsState.AGREED_LATER.value),
        output_field=models.CharField(),
    )


class ReminderKind(models.TextChoices):
    OVERDUE = "overdue", "Session overdue"
    ESCALATION = "escalation", "Escalation to improvement manager"
    SLIPPING = "slipping", "Session agreed past its due date"
    SLOTS_NOT_AGREED = "slots_not_agreed", "Coaching slots not agreed"
    UPCOMING = "upcoming", "Upcoming session without an agreed time"
    FIRST_COACHING = "first_coaching", "Long wait to first coaching"
    HUDDLES_STOPPED = "huddles_stopped", "Huddles stopped at the board"


# The version an agreement page carries when the team had no agreement when it was opened.
NO_AGREEMENT_VERSION = 0


class SendStatus(models.TextChoices):
    """pending -> sending (claimed by one task, committed before the mail server is called) -> sent;
    sending -> pending after a mail server error (retried), or after the send bound has passed
    with the task gone (the sweep); pending -> failed when it will not be sent."""

    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


ReminderStatus = SendStatus  # the name the reminder pages and tests know it by


class ClaimedSend(models.Model):
    """An email claimed by inserting its row before it goes out (under a unique constraint of the
    concrete model's), and its send claimed by setting it to sending (with a claim token) before the
    mail server is called. coaching.services.sending holds the one state machine for every kind."""

    status = models.CharField(max_length=10, choices=SendStatus.choices, default=SendStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Sends started (claims), failed ones included.")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sending_since = models.DateTimeField(null=True, blank=True, help_text="When the send now under way was claimed.")
    claim = models.UUIDField(null=True, blank=True, help_text="Which task holds the send now under way.")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=SendStatus.SENT) | Q(sent_at__isnull=False),
                name="%(app_label)s_%(class)s_sent_has_time",
            ),
            models.CheckConstraint(
                condition=Q(status=SendStatus.SENDING, sending_since__isnull=False, claim__isnull=False)
                | (~Q(status=SendStatus.SENDING) & Q(claim__isnull=True)),
                name="%(app_label)s_%(class)s_sending_is_claimed",
            ),
        ]


class DigestKind(models.TextChoices):
    DAILY = "daily", "Daily reminders"
    WEEKLY = "weekly", "Weekly digest"


class Digest(ClaimedSend):
    """One email to one person per period, claimed once (recipient, kind, period): the day's
    reminders (daily), or an improvement manager's week (weekly, period = the week's Monday)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests")
    kind = models.CharField(max_length=10, choices=DigestKind.choices)
    period = models.DateField(help_text="The day (daily) or the week's Monday (weekly) this email is for.")

    class Meta(ClaimedSend.Meta):
        constraints = [
            models.UniqueConstraint(fields=["recipient", "kind", "period"], name="coaching_digest_once_per_period"),
            *ClaimedSend.Meta.constraints,
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.period.isoformat()} to user {self.recipient_id}"


class Reminder(ClaimedSend):
    """One reminder about one session to one person, claimed once (session, recipient, kind, due date).
    A reminder about the team rather than a session (huddles stopped) hangs on the enrolment's
    session 1, with the Monday its huddles stopped as its due date: once per stop.
    It goes out in the recipient's daily digest (digest: the one that carries it); its status follows
    that digest's send (sent when the digest is)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="reminders")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    due_date = models.DateField(
        help_text="The session's due date this reminder is for; for huddles stopped, the Monday the stop began."
    )
    digest = models.ForeignKey(
        Digest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reminders",
        help_text="The daily digest that carries it; empty until a sweep attaches it.",
    )

    class Meta(ClaimedSend.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["session", "recipient", "kind", "due_date"],
                name="coaching_reminder_once_per_session_kind_due_date",
            ),
            *ClaimedSend.Meta.constraints,
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for session {self.session_id} to user {self.recipient_id}"


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A secret-token iCalendar feed for one coach or one team."""

    token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    coach = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="calendar_feed"
    )
    team = models.OneToOneField(Team, on_delete=models.CASCADE, null=True, blank=True, related_name="calendar_feed")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(coach__isnull=False) & Q(team__isnull=True))
                | (Q(coach__isnull=True) & Q(team__isnull=False)),
                name="coaching_calendarfeed_coach_xor_team",
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed for coach {self.coach_id}" if self.coach_id else f"Calendar feed for team {self.team_id}"


class InvitationMethod(models.TextChoices):
    """The iMIP method of a calendar invitation (RFC 5546)."""

    REQUEST = "REQUEST", "Invitation or update"
    CANCEL = "CANCEL", "Cancellation"


class Invitation(ClaimedSend):
    """One calendar invitation (iMIP) for one change of one session to one address, claimed once:
    (session, address, sequence). A later change has a higher sequence and so its own invitation."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="invitations")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
        help_text="The coach it went to; empty for the team's contact, who has no account.",
    )
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200, blank=True)
    sequence = models.PositiveIntegerField(help_text="The session's SEQUENCE in the feeds when it was claimed.")
    method = models.CharField(max_length=10, choices=InvitationMethod.choices)

    class Meta(ClaimedSend.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["session", "email", "sequence"], name="coaching_invitation_once_per_session_address_sequence"
            ),
            *ClaimedSend.Meta.constraints,
        ]

    def __str__(self) -> str:
        return f"{self.method} for session {self.session_id} to {self.email} (sequence {self.sequence})"


class InvitationPreference(models.Model):
    """A person's choice about calendar invitations; no row: they are sent."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitation_preference"
    )
    send_invitations = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Calendar invitations {'on' if self.send_invitations else 'off'} for user {self.user_id}"
