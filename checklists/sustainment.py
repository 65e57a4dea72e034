"""Sustainment and adoption score: the one place these rules live (DESIGN.md).

- sustained: the latest N ratings of a tool are all "Most of the time" (N = run length, the
  setting QMS_SUSTAINED_RUN_LENGTH, 2 by default);
- embedding: otherwise, the latest rating is "Sometimes" or "Most of the time";
- not yet: otherwise (including a tool never rated).

Adoption score of a checklist: the mean level divided by 3 (the top of the scale), as a percentage.

Everything here is pure: levels in, answers out, so that pages, exports and dashboards agree.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import models
from django.db.models import ExpressionWrapper
from django.db.models.functions import Cast, NullIf

from .models import UsageLevel


class Sustainment(models.TextChoices):
    SUSTAINED = "sustained", "Sustained"
    EMBEDDING = "embedding", "Embedding"
    NOT_YET = "not_yet", "Not yet"


def sustained_run_length() -> int:
    """How many latest ratings in a row must be "Most of the time" for a tool to count as sustained."""
    run_length = settings.QMS_SUSTAINED_RUN_LENGTH
    if run_length < 1:
        raise ValueError(f"QMS_SUSTAINED_RUN_LENGTH must be 1 or more, not {run_length}.")
    return run_length


def sustainment_status(levels: Sequence[int], *, run_length: int) -> Sustainment:
    """The status of one tool from its levels, oldest first (one per checklist that rated it)."""
    if run_length < 1:
        raise ValueError(f"The run length must be 1 or more, not {run_length}.")
    if not levels:
        return Sustainment.NOT_YET
    latest = levels[-run_length:]
    if len(latest) == run_length and all(level == UsageLevel.MOST_OF_THE_TIME for level in latest):
        return Sustainment.SUSTAINED
    if levels[-1] >= UsageLevel.SOMETIMES:
        return Sustainment.EMBEDDING
    return Sustainment.NOT_YET


def adoption_score(levels: Sequence[int]) -> float | None:
    """Mean level / 3 as a percentage (0-100); None for a checklist with no ratings."""
    return adoption_score_of(total=sum(levels), count=len(levels))


def adoption_score_of(*, total: int, count: int) -> float | None:
    """adoption_score() from the levels' sum and count (as SQL can aggregate them)."""
    if not count:
        return None
    return 100 * total / (UsageLevel.MOST_OF_THE_TIME * count)


def adoption_score_expression(*, total, count) -> models.Expression:
    """adoption_score_of() in SQL, from expressions for the levels' sum and count (PostgreSQL and
    SQLite alike): NULL for no ratings. checklists/tests/test_adoption_score_sql.py checks they agree."""
    return ExpressionWrapper(
        Cast(total, models.FloatField()) * 100 / (NullIf(count, 0) * int(UsageLevel.MOST_OF_THE_TIME)),
        output_field=models.FloatField(),
    )
