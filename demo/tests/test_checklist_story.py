"""Acceptance: with the demo data, RSH's 12-week checklist shows few tools sustained, as the source
document found ("very few of the tools were being used in a sustained manner")."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from pytest_django.asserts import assertContains

from checklists.selectors import team_checklist_summary
from checklists.sustainment import Sustainment
from programmes.models import Enrolment
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def rsh_test_bed() -> Enrolment:
    call_command("seed_demo", "--today", "2026-11-26", stdout=io.StringIO(), stderr=io.StringIO())
    # The source document's test bed: RSH's team, session 1 on 22 September 2025.
    return Enrolment.objects.select_related("team__site", "cohort").get(
        team__site__code="RSH", session1_date=dt.date(2025, 9, 22)
    )


def test_demo_rsh_12_week_checklist_shows_few_tools_sustained(rsh_test_bed):
    summary = team_checklist_summary(enrolment=rsh_test_bed, run_length=2)
    review = next(c for c in summary.columns if c.session.plan.title == "12-week review")
    assert review.checklist is not None
    assert (review.sustained_count, review.tool_count) == (2, 9)
    assert [row.tool.name for row in summary.rows if row.status == Sustainment.SUSTAINED] == [
        "Ideas generated",
        "Metrics discussed",
    ]
    assert summary.latest_column == review
    assert review.adoption_score == 100 * 15 / 27


def test_demo_rsh_team_page_says_two_of_nine_sustained(rsh_test_bed, client):
    client.force_login(factories.LeadFactory())
    response = client.get(reverse("checklists:enrolment_summary", args=[rsh_test_bed.pk]))
    assertContains(response, "<strong>2 of 9 tools sustained</strong>")
    assertContains(response, '<span class="sustainment sustainment-sustained">Sustained</span>', count=2)
    assertContains(response, "very few of the tools are used in a sustained way")
