"""Tool-usage checklists: which QMS tools a team is using, after each session."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from programmes.models import Enrolment, Session


class ToolQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class Tool(models.Model):
    name = models.CharField(max_length=100, unique=True)
    order = models.PositiveSmallIntegerField(default=0)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True, help_text="Retired tools stay on old checklists.")
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every save; stale forms are refused.")

    objects = ToolQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class UsageLevel(models.IntegerChoices):
    NOT_AT_ALL = 0, "Not at all"
    OSCILLATORY = 1, "Oscillatory"
    SOMETIMES = 2, "Sometimes"
    MOST_OF_THE_TIME = 3, "Most of the time"


@dataclass(frozen=True)
class RatingValue:
    """What a coach says about one tool on one checklist, apart from any row in the database."""

    discussed: bool
    level: int
    comment: str = ""

    @property
    def level_label(self) -> str:
        return UsageLevel(self.level).label

    def __str__(self) -> str:
        discussed = "discussed" if self.discussed else "not discussed"
        return f"{self.level_label}, {discussed}" + (f", comment “{self.comment}”" if self.comment else "")


class Checklist(models.Model):
    """The tool-usage checklist for one session."""

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="checklist")
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="checklists")
    completed_at = models.DateTimeField()
    culture_note = models.TextField("Anything else to note about change in team / practice / culture", blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every save; stale forms are refused.")
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-completed_at"]

    def __str__(self) -> str:
        return f"Checklist for session {self.session_id}"


class ToolRating(models.Model):
    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="ratings")
    tool = models.ForeignKey(Tool, on_delete=models.PROTECT, related_name="ratings")
    discussed = models.BooleanField(default=False)
    level = models.PositiveSmallIntegerField(choices=UsageLevel.choices)
    comment = models.CharField(max_length=1000, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["checklist", "tool__order"]
        constraints = [
            models.UniqueConstraint(fields=["checklist", "tool"], name="checklists_toolrating_one_per_tool"),
            models.CheckConstraint(condition=Q(level__gte=0, level__lte=3), name="checklists_toolrating_level_range"),
        ]

    def __str__(self) -> str:
        return f"{self.tool_id}: {self.get_level_display()}"

    @property
    def value(self) -> RatingValue:
        return RatingValue(discussed=self.discussed, level=self.level, comment=self.comment)


class EnrolmentStanding(models.Model):
    """Each enrolment's checklist standing, stored so that dashboards can sort and aggregate it in SQL.

    Derived, never edited: the figures of checklists.selectors.standing_figures (checklist_standings
    at the latest checklist, and at the 12-week review's own checklist), kept current in the same
    transaction by every write that changes what they are computed from (checklists.services and
    checklists.receivers). A row exists exactly for the enrolments with a standing (a rating on any
    of their checklists). `run_length` is the one the row was computed with: when
    QMS_SUSTAINED_RUN_LENGTH changes, the system check checklists.W001 asks for `manage.py
    rebuild_standings`.
    """

    enrolment = models.OneToOneField(
        Enrolment, primary_key=True, on_delete=models.CASCADE, related_name="checklist_standing"
    )
    # Deleting the session deletes the row, and the delete's receiver stores the new standing.
    latest_session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+")
    latest_session_number = models.PositiveSmallIntegerField()
    latest_date = models.DateField(help_text="The day the latest checklist's session was held (or is due).")
    adoption_score = models.FloatField(null=True, help_text="Of the latest checklist, 0-100.")
    sustained_count = models.PositiveSmallIntegerField(help_text="Tools on the latest checklist sustained as of it.")
    tool_count = models.PositiveSmallIntegerField(help_text="Tools the latest checklist rated.")
    review_sustained_count = models.PositiveSmallIntegerField(
        null=True, help_text="As sustained_count, at the 12-week review's checklist; empty when it has none."
    )
    review_tool_count = models.PositiveSmallIntegerField(null=True)
    run_length = models.PositiveSmallIntegerField(help_text="The QMS_SUSTAINED_RUN_LENGTH it was computed with.")

    class Meta:
        indexes = [
            models.Index(fields=["adoption_score"], name="cl_standing_adoption_idx"),
            models.Index(fields=["sustained_count"], name="cl_standing_sustained_idx"),
        ]

    def __str__(self) -> str:
        return f"Checklist standing of enrolment {self.enrolment_id}"
