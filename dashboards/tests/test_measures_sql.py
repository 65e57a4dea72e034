"""The aim page's measures counted in SQL (measure_counts) against the same rules in Python
(MeasureCounts.of_facts over enrolment_facts), on varied stored figures: every edge of the grace
days and the wait limit, missing rows, several users and several days."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from checklists.models import EnrolmentStanding
from dashboards.measures import MeasureCounts, enrolment_facts, measure_counts, measures_for
from programmes.access import enrolments_visible_to
from programmes.models import EnrolmentProgress, first_coaching_wait_limit, grace_days
from tests import factories

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)


def _day(rng: random.Random) -> dt.date | None:
    """None, or a day near DAY, often exactly on an edge of the grace days or the wait limit."""
    edges = [0, 1, -1, grace_days(), -grace_days(), grace_days() + 1, -grace_days() - 1]
    edges += [first_coaching_wait_limit() + d for d in (-1, 0, 1)] + [
        -first_coaching_wait_limit() + d for d in (-1, 0, 1)
    ]
    if rng.random() < 0.2:
        return None
    offset = rng.choice(edges) if rng.random() < 0.6 else rng.randint(-120, 120)
    return DAY + dt.timedelta(days=offset)


@pytest.fixture
def varied(personas):
    """Eighteen teams of both coaches in three cohorts, with random stored figures."""
    rng = random.Random(7)
    cohorts = [personas.enrolment.cohort, *(factories.CohortFactory(name=f"Cohort {n}") for n in range(2))]
    for n in range(16):
        enrolment = factories.EnrolmentFactory(
            cohort=cohorts[n % 3], coach=personas.coach if n % 2 else personas.other_coach
        )
        if n % 5 == 4:
            continue  # no sessions: no stored progress, standing or agreement
        sessions = factories.make_sessions(enrolment)
        session_1 = _day(rng)
        wait = rng.choice([None, None, -3, 0, 5, 21, 22, 40])
        EnrolmentProgress.objects.filter(enrolment=enrolment).update(
            session_1_held_on=session_1,
            review_due_date=_day(rng),
            review_held_on=_day(rng),
            first_coaching_held_on=None if wait is None else session_1 + dt.timedelta(wait) if session_1 else _day(rng),
        )
        if rng.random() < 0.7:
            tools = rng.randint(0, 9)
            EnrolmentStanding.objects.update_or_create(
                enrolment=enrolment,
                defaults={
                    "latest_session": sessions[0],
                    "latest_session_number": 1,
                    "latest_date": DAY,
                    "sustained_count": 0,
                    "tool_count": 0,
                    "review_sustained_count": rng.randint(0, tools) if tools else 0,
                    "review_tool_count": tools if rng.random() < 0.8 else None,
                    "run_length": 2,
                },
            )
        else:
            EnrolmentStanding.objects.filter(enrolment=enrolment).delete()
        if rng.random() < 0.7:
            agreed_on = session_1 + dt.timedelta(rng.choice([-2, 0, 1])) if session_1 else _day(rng)
            factories.CoachingAgreementFactory(enrolment=enrolment, agreed_on=agreed_on or DAY)
    return personas, cohorts


@pytest.mark.parametrize("role", ["manager", "lead", "coach", "other_coach"])
@pytest.mark.parametrize("today_offset", [-30, -1, 0, 1, 7, 8, 21, 22, 30, 90])
def test_sql_measure_counts_equal_the_python_rules(varied, role, today_offset):
    personas, cohorts = varied
    user, today = getattr(personas, role), DAY + dt.timedelta(today_offset)
    facts = enrolment_facts(user=user, today=today)
    shown = [cohorts[0].pk, cohorts[2].pk]  # a page of cohorts: one left out
    overall, by_cohort = measure_counts(enrolments_visible_to(user), today=today, cohort_ids=shown)

    assert overall == MeasureCounts.of_facts(facts, today=today)
    assert overall.teams == len(facts) > 0
    for pk in shown:
        assert by_cohort[pk] == MeasureCounts.of_facts([f for f in facts if f.cohort_id == pk], today=today)
    # And so every figure and word of the measures.
    assert measures_for(overall, feedback=None, programme=None, run_length=2) == measures_for(
        MeasureCounts.of_facts(facts, today=today), feedback=None, programme=None, run_length=2
    )


def test_sql_measure_counts_vary_on_this_data(varied):
    """The data above reach every count, so that the test above compares something."""
    personas, _ = varied
    overall, _ = measure_counts(enrolments_visible_to(personas.manager), today=DAY, cohort_ids=[])
    counts = {name: getattr(overall, name) for name in MeasureCounts.__dataclass_fields__ if name != "waits"}
    assert all(counts.values()), counts
    assert overall.review_counted < overall.with_review and overall.agreed < overall.started
    assert 0 in overall.waits and len(overall.waits) >= 3
