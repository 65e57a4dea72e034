"""Tool-usage checklists: which QMS tools a team is using, after each session."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from programmes.models import Session


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
