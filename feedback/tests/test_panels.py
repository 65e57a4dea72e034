"""The feedback app's panels on the programmes pages (templatetags/feedback_panels.py): the session's
feedback, a PDSA cycle's cohort figures, a version's content changes and the versions page's counts;
each as the page shows it, and its queries constant in the number of rows."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from feedback.models import FeedbackLink, FeedbackResponse
from feedback.services import refresh_feedback_tallies
from programmes.models import ProgrammeTemplate
from tests import factories

from .conftest import SESSION_1_HELD

pytestmark = pytest.mark.django_db


def add_responses(link: FeedbackLink, n: int) -> None:
    FeedbackResponse.objects.bulk_create(
        FeedbackResponse(link=link, could_improve="yes", rating=4, submitted_on=SESSION_1_HELD) for _ in range(n)
    )
    refresh_feedback_tallies([link.session.enrolment_id])  # a bulk insert sends no post_save


def change_counts(content: str) -> dict[str, str]:
    """The versions page's last column, Content changes, by version."""
    row = (
        r'>Version ([\d.]+)</a></th>\s*<td>[^<]*</td>\s*<td class="text-end">\d+</td>\s*'
        r'<td class="text-end">\d+</td>\s*<td class="text-end">(\d+)</td>'
    )
    return dict(re.findall(row, content))


def queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


# --- The session page ---------------------------------------------------------------------------


def test_session_page_shows_its_coach_the_link_qr_code_and_buttons(client, login, personas, link):
    add_responses(link, 2)
    login("coach", personas)
    url = reverse("programmes:session", kwargs={"pk": link.session_id})
    response = client.get(url)
    assertContains(response, "Feedback form: <strong>open</strong>")
    assertContains(response, '<svg role="img"')
    assertContains(response, f'<input type="hidden" name="next" value="{url}">', count=1, html=True)
    assertContains(response, 'name="csrfmiddlewaretoken"')
    assertContains(response, '<dd class="col-sm-6">2</dd>', html=True)  # responses


def test_session_page_shows_a_lead_figures_only_and_withholds_a_small_group(client, login, personas, link):
    add_responses(link, 2)
    login("lead", personas)
    response = client.get(reverse("programmes:session", kwargs={"pk": link.session_id}))
    assertContains(response, 'id="feedback-panel-title"')
    assertContains(response, f"Not shown: fewer than {settings.QMS_FEEDBACK_MIN_GROUP} responses")
    assertNotContains(response, "<svg")
    assertNotContains(response, "Close feedback")


@pytest.mark.parametrize(("persona", "expected"), [("coach", 7), ("lead", 8)])
def test_session_page_queries_do_not_grow_with_responses(client, login, personas, link, persona, expected):
    """The feedback panel's share: the link with its answers counted (1); a lead's figures come from
    their whole report (2 more: the sessions with links counted, their enrolments)."""
    login(persona, personas)
    url = reverse("programmes:session", kwargs={"pk": link.session_id})
    add_responses(link, 1)
    small, _ = queries(client, url)
    add_responses(link, 30)
    for session in personas.enrolment.sessions.filter(number__gt=1):
        add_responses(FeedbackLink.objects.create(session=session), 3)
    big, _ = queries(client, url)
    assert small == big == expected


# --- A PDSA cycle's Study -------------------------------------------------------------------------


def test_pdsa_cycle_shows_its_cohorts_figures_and_a_coach_reads_their_teams(client, login, personas, link):
    add_responses(link, 6)
    cycle = factories.PdsaCycleFactory(cohort=personas.enrolment.cohort)
    login("coach", personas)
    response = client.get(reverse("programmes:pdsa_detail", kwargs={"pk": cycle.pk}))
    cohort = personas.enrolment.cohort.name
    assertContains(response, f"Attendee feedback from {cohort}, as measured (your teams)</h3>")
    assertContains(response, '<dd class="col-sm-6">6</dd>', html=True)


def test_pdsa_cycle_without_a_cohort_has_no_feedback_and_no_feedback_queries(client, login, personas, link):
    add_responses(link, 6)
    with_cohort = factories.PdsaCycleFactory(cohort=personas.enrolment.cohort)
    without = factories.PdsaCycleFactory()
    login("manager", personas)
    linked, _ = queries(client, reverse("programmes:pdsa_detail", kwargs={"pk": with_cohort.pk}))
    alone, content = queries(client, reverse("programmes:pdsa_detail", kwargs={"pk": without.pk}))
    assert "Attendee feedback from" not in content
    assert linked - alone == 2  # the user's feedback report: sessions with links counted, their enrolments


# --- Programme versions ---------------------------------------------------------------------------


def test_version_page_lists_its_own_content_changes(client, login, personas):
    template = factories.default_template()
    other = factories.ProgrammeTemplateFactory(name="QMS programme", version="0.8")
    change = factories.ContentChangeFactory(template=template, section="Leader standard work")
    change.responses.add(factories.FeedbackResponseFactory(), factories.FeedbackResponseFactory())
    factories.ContentChangeFactory(template=other, section="Not this version")
    login("lead", personas)
    response = client.get(reverse("programmes:version_detail", kwargs={"pk": template.pk}))
    assertContains(response, "<strong>Leader standard work</strong>")
    assertContains(response, "Prompted by 2 feedback responses.")
    assertNotContains(response, "Not this version")


def test_version_page_without_changes_says_none(client, login, personas):
    login("lead", personas)
    response = client.get(reverse("programmes:version_detail", kwargs={"pk": factories.default_template().pk}))
    none = r'<h2 class="h4">Content changes in this version</h2>\s*<p>None recorded.</p>'
    assert re.search(none, response.content.decode())


def test_versions_page_counts_each_versions_content_changes(client, login, personas):
    template = factories.default_template()
    factories.ProgrammeTemplateFactory(name="QMS programme", version="0.8")
    factories.ContentChangeFactory.create_batch(3, template=template)
    login("lead", personas)
    content = client.get(reverse("programmes:versions")).content.decode()
    assert change_counts(content) == {"0.9": "3", "0.8": "0"}


def test_versions_page_counts_changes_in_one_query_for_all_its_rows(client, login, personas):
    login("lead", personas)
    url = reverse("programmes:versions")
    small, _ = queries(client, url)
    for n in range(6):
        factories.ContentChangeFactory(
            template=factories.ProgrammeTemplateFactory(name="QMS programme", version=f"3.{n}")
        )
    big, _ = queries(client, url)
    assert small == big
    assert ProgrammeTemplate.objects.count() == 7


# --- The layers -----------------------------------------------------------------------------------


def test_programmes_code_imports_nothing_from_feedback():
    """programmes is the lower app: its pages show feedback through these tags only (DESIGN.md)."""
    root = Path(settings.BASE_DIR) / "programmes"
    upward = []
    for path in root.rglob("*.py"):
        if "tests" in path.relative_to(root).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            upward += [f"{path.relative_to(root)}: {name}" for name in names if name.split(".")[0] == "feedback"]
    assert upward == []
