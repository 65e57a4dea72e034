"""Attendee feedback and the training package's change log."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from programmes.models import Enrolment, ProgrammeTemplate, Session

# How long a coach's "shared device" (one tablet passed round the room) lasts once turned on.
SHARED_DEVICE_HOURS = 4
_RESPONSE_ID_FLOOR = 2**32  # above every id the old auto-increment gave, so renumbering never collides


def new_feedback_token() -> str:
    return secrets.token_urlsafe(24)


def new_response_id() -> int:
    """A random positive 63-bit id: a response's id says nothing about when it came, or in what order."""
    return _RESPONSE_ID_FLOOR + secrets.randbelow(2**63 - _RESPONSE_ID_FLOOR)


class FeedbackLink(models.Model):
    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="feedback_link")
    token = models.CharField(max_length=64, unique=True, default=new_feedback_token)
    is_open = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by the session's coach or a manager while one device is passed round the room: the form
    # then takes one answer per fresh form without asking whether "this device" has answered.
    shared_device_until = models.DateTimeField(null=True, blank=True)
    # The public form's flood counter (feedback.guards.rate_limit_hit): posts in the current window.
    rate_window = models.PositiveBigIntegerField(default=0, editable=False)
    rate_count = models.PositiveIntegerField(default=0, editable=False)

    def __str__(self) -> str:
        return f"Feedback link for session {self.session_id} ({'open' if self.is_open else 'closed'})"

    def shared_device_on(self, now: dt.datetime) -> bool:
        return self.shared_device_until is not None and now < self.shared_device_until


class CouldImprove(models.TextChoices):
    YES = "yes", "Yes"
    NOT_SURE = "not_sure", "Not sure"
    NO = "no", "No"


class FeedbackResponse(models.Model):
    """An anonymous answer: no user, no IP address, the date but not the time.

    The id is random, not a counter, so that neither it nor any list ordered by date then id (the
    pages, the admin, the CSV export) tells in what order people answered.
    """

    id = models.BigIntegerField(primary_key=True, default=new_response_id, editable=False)
    link = models.ForeignKey(FeedbackLink, on_delete=models.CASCADE, related_name="responses")
    could_improve = models.CharField(
        "As a result of this session I feel I could make improvements in my workplace",
        max_length=10,
        choices=CouldImprove.choices,
    )
    rating = models.PositiveSmallIntegerField("Overall rating (1 to 5)")
    what_worked = models.TextField(blank=True, max_length=2000)
    what_better = models.TextField("What would make it better", blank=True, max_length=2000)
    submitted_on = models.DateField()

    class Meta:
        ordering = ["-submitted_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="feedback_feedbackresponse_rating_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Response {self.pk} to session {self.link.session_id}"


class EnrolmentFeedback(models.Model):
    """Each enrolment's feedback counts, stored so that the dashboards read one narrow row per
    enrolment instead of counting every response on every view.

    Derived, never edited: the sums over the enrolment's sessions with a feedback link of what
    feedback.selectors adds up per session (its _Tally, less `restricted`, which depends on who
    reads), kept current in the same transaction by every write that changes them
    (feedback.services.refresh_feedback_tallies, called by feedback.receivers). A row exists exactly
    for the enrolments with at least one feedback link; `manage.py rebuild_feedback_tallies`
    recomputes them all (after loaddata, say).
    """

    enrolment = models.OneToOneField(
        Enrolment, primary_key=True, on_delete=models.CASCADE, related_name="feedback_tally"
    )
    links = models.PositiveIntegerField(help_text="Sessions with a feedback link.")
    responses = models.PositiveIntegerField()
    yes = models.PositiveIntegerField()
    not_sure = models.PositiveIntegerField()
    no = models.PositiveIntegerField()
    rating_total = models.PositiveIntegerField(help_text="The sum of the responses' ratings.")
    attendees = models.PositiveIntegerField(
        help_text="The sum of the attendees of the sessions with a link and their attendees recorded."
    )
    attendees_recorded = models.BooleanField(help_text="Some session with a link has its attendees recorded.")
    responses_with_attendees = models.PositiveIntegerField(
        help_text="Responses to the sessions with their attendees recorded."
    )

    def __str__(self) -> str:
        return f"Feedback counts of enrolment {self.enrolment_id}"


class FormTokenUse(models.Model):
    """A public form's one-time token, used up: inserted in the same transaction as the answer, so a
    form sent twice (a replay, a double click, two posts at once) saves once.

    Only a hash of the token and the day it was used: no time, no address, and nothing that ties it
    to the answer. Kept until the token could no longer be accepted anyway (feedback.guards), then
    purged (feedback.services.form_tokens_purge).
    """

    token_hash = models.CharField(max_length=64, primary_key=True)
    used_on = models.DateField(db_index=True)

    def __str__(self) -> str:
        return f"Form token used on {self.used_on.isoformat()}"


class ChangeKind(models.TextChoices):
    SPELLING_GRAMMAR = "spelling", "Spelling & grammar"
    REWRITE_FLOW = "rewrite", "Rewrite for flow"
    NEW_CONTENT = "new", "New content"
    REMOVED = "removed", "Removed"


class ContentChange(models.Model):
    """A change to the training package, traceable to the feedback that prompted it."""

    template = models.ForeignKey(ProgrammeTemplate, on_delete=models.PROTECT, related_name="content_changes")
    section = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=ChangeKind.choices)
    description = models.TextField()
    made_on = models.DateField()
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    responses = models.ManyToManyField(FeedbackResponse, blank=True, related_name="content_changes")
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every save; stale forms are refused.")

    # The audit page's record of who changed what. Its linked responses are left out (no m2m_fields):
    # nothing in any history ties an attendee's answer to anything.
    history = HistoricalRecords()

    class Meta:
        ordering = ["-made_on", "section"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.section}"
