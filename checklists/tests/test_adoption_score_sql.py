"""The adoption score in SQL (adoption_score_expression) against the same rule in Python
(adoption_score_of), on checklists with random ratings, and none."""

from __future__ import annotations

import random

import pytest
from django.db.models import Count, Sum
from django.utils import timezone

from checklists.models import Checklist, Tool, ToolRating
from checklists.sustainment import adoption_score_expression, adoption_score_of
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_score_in_sql_is_the_python_score():
    rng = random.Random(5)
    tools = list(Tool.objects.active().order_by("order"))
    enrolment = factories.EnrolmentFactory()
    expected = {}
    for n, session in enumerate(factories.make_sessions(enrolment)):
        rated = rng.sample(tools, rng.randint(1, len(tools))) if n else []  # the first rates none
        levels = [rng.randint(0, 3) for _ in rated]
        made = Checklist.objects.create(session=session, coach=enrolment.coach, completed_at=timezone.now())
        ToolRating.objects.bulk_create(
            ToolRating(checklist=made, tool=tool, level=level) for tool, level in zip(rated, levels, strict=True)
        )
        expected[made.pk] = adoption_score_of(total=sum(levels), count=len(levels))
    scores = (
        Checklist.objects.filter(pk__in=expected)
        .annotate(score=adoption_score_expression(total=Sum("ratings__level"), count=Count("ratings")))
        .values_list("pk", "score")
    )
    assert {pk: score if score is None else pytest.approx(score) for pk, score in scores} == expected
    assert len(set(expected.values())) > 5  # None and several scores
