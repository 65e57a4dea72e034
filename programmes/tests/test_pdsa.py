"""The PDSA log: managers create and edit cycles, everyone with a role reads them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains

from conftest import PERSONAS
from feedback.models import FeedbackLink
from programmes.models import PdsaCycle
from tests import factories
from tests.helpers import EVERY_ROLE, MANAGERS_ONLY, persona_request

pytestmark = pytest.mark.django_db


def cycle_data(**overrides) -> dict:
    return {
        "title": "Agree coaching times at session 1",
        "aim": "Every team's coaching slots agreed before session 1 ends.",
        "plan": "Book the slots on meetings the team already holds.",
        "do": "Tried with the spring cohort.",
        "study": "9 of 10 teams agreed their slots at session 1.",
        "act": "Keep it.",
        "decision": "adopt",
        "started_on": "2026-01-12",
        "decided_on": "2026-04-20",
        "cohort": "",
        "template": "",
        **overrides,
    }


# --- Permissions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_log_and_cycle_readable_by_every_role(client, login, personas, persona):
    cycle = factories.PdsaCycleFactory(title="QMS training programme test bed", decision="adapt")
    pages = [
        (reverse("programmes:pdsa_list"), "Add a PDSA cycle"),
        (reverse("programmes:pdsa_detail", kwargs={"pk": cycle.pk}), "Edit this cycle"),
    ]
    for url, manager_button in pages:
        response = persona_request(login, personas, persona, url, EVERY_ROLE)
        if persona != "anonymous":
            content = response.content.decode()
            assert "QMS training programme test bed" in content
            assert (manager_button in content) is (persona == "manager")


@pytest.mark.parametrize("persona", PERSONAS)
def test_create_and_edit_managers_only(client, login, personas, persona):
    cycle = factories.PdsaCycleFactory(title="Original title")
    attempts = [
        ("get", reverse("programmes:pdsa_create"), {}),
        ("post", reverse("programmes:pdsa_create"), cycle_data(title="New by " + persona)),
        ("get", reverse("programmes:pdsa_edit", kwargs={"pk": cycle.pk}), {}),
        (
            "post",
            reverse("programmes:pdsa_edit", kwargs={"pk": cycle.pk}),
            cycle_data(title="Edited by " + persona, version=cycle.version),
        ),
    ]
    for method, url, data in attempts:
        expected = {**MANAGERS_ONLY, "manager": 200 if method == "get" else 302}
        persona_request(login, personas, persona, url, expected, method=method, data=data)
    cycle.refresh_from_db()
    assert cycle.title == ("Edited by manager" if persona == "manager" else "Original title")
    assert PdsaCycle.objects.filter(title__startswith="New by").count() == (1 if persona == "manager" else 0)


def test_account_without_a_role_is_refused(login, personas):
    assert login("no_role", personas).get(reverse("programmes:pdsa_list")).status_code == 403


def test_unknown_cycle_is_404(client, login, personas):
    login("manager", personas)
    assert client.get(reverse("programmes:pdsa_detail", kwargs={"pk": 999_999})).status_code == 404
    assert client.get(reverse("programmes:pdsa_edit", kwargs={"pk": 999_999})).status_code == 404


# --- Creating and editing ----------------------------------------------------------------------------


def test_manager_adds_a_cycle_linked_to_cohort_and_version(client, login, personas):
    login("manager", personas)
    cohort = personas.enrolment.cohort
    template = factories.default_template()
    response = client.post(
        reverse("programmes:pdsa_create"), cycle_data(cohort=cohort.pk, template=template.pk, decision="adapt")
    )
    cycle = PdsaCycle.objects.get()
    assert response["Location"] == reverse("programmes:pdsa_detail", kwargs={"pk": cycle.pk})
    assert (cycle.cohort, cycle.template, cycle.created_by) == (cohort, template, personas.manager)
    assert (cycle.decision, cycle.started_on, cycle.decided_on) == ("adapt", dt.date(2026, 1, 12), dt.date(2026, 4, 20))
    listing = client.get(reverse("programmes:pdsa_list")).content.decode()
    assert 'Adapt, <time datetime="2026-04-20">20 Apr 2026</time>' in listing
    assert "Autumn cohort" in listing and "QMS programme 0.9" in listing


def test_a_running_cycle_has_no_decision_yet(client, login, personas):
    login("manager", personas)
    client.post(reverse("programmes:pdsa_create"), cycle_data(decision="", decided_on="", study="", act=""))
    cycle = PdsaCycle.objects.get()
    assert (cycle.decision, cycle.decided_on) == ("", None)
    detail = client.get(reverse("programmes:pdsa_detail", kwargs={"pk": cycle.pk})).content.decode()
    assert "Not decided yet" in detail and "Not written yet." in detail


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"title": "   "}, "title", "This field is required."),
        ({"started_on": ""}, "started_on", "This field is required."),
        ({"started_on": "31/02/2026"}, "started_on", "Enter a valid date."),
        ({"decided_on": "2025-12-01"}, "decided_on", "The decision cannot come before the cycle started."),
        ({"decided_on": ""}, "decided_on", "Give the date the decision was made."),
        ({"decision": ""}, "decision", "Choose the decision made on that date, or clear the date."),
        ({"decision": "adopted"}, "decision", "Select a valid choice. adopted is not one of the available choices."),
        ({"cohort": "999999"}, "cohort", "Select a valid choice. That choice is not one of the available choices."),
        ({"title": "x" * 201}, "title", "Ensure this value has at most 200 characters (it has 201)."),
    ],
)
def test_bad_input_is_explained_and_what_was_typed_kept(client, login, personas, overrides, field, message):
    login("manager", personas)
    response = client.post(reverse("programmes:pdsa_create"), cycle_data(**overrides))
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert "Book the slots on meetings the team already holds." in response.content.decode()
    assert PdsaCycle.objects.count() == 0


def test_two_managers_editing_one_cycle_the_second_is_refused(client, login, personas):
    cycle = factories.PdsaCycleFactory(title="Coaching times", started_on=dt.date(2026, 1, 12))
    login("manager", personas)
    url = reverse("programmes:pdsa_edit", kwargs={"pk": cycle.pk})
    opened = client.get(url).context["form"]["version"].value()
    assert opened == 1
    assert client.post(url, cycle_data(study="Alice's study.", version=opened)).status_code == 302
    refused = client.post(url, cycle_data(study="Bob's study.", version=opened))
    assert refused.status_code == 200
    assertContains(refused, "Someone else saved this PDSA cycle while you were editing it")
    assertContains(refused, "<td>Alice&#x27;s study.</td><td>Bob&#x27;s study.</td>", html=True)
    assertContains(refused, "Bob&#x27;s study.</textarea>")
    cycle.refresh_from_db()
    assert (cycle.study, cycle.version) == ("Alice's study.", 2)
    renewed = refused.context["form"]["version"].value()
    assert renewed == "2"
    assert client.post(url, cycle_data(study="Bob's study.", version=renewed)).status_code == 302
    cycle.refresh_from_db()
    assert (cycle.study, cycle.version) == ("Bob's study.", 3)


def test_edit_posted_empty_is_a_form_error(client, login, personas):
    cycle = factories.PdsaCycleFactory(title="Coaching times")
    login("manager", personas)
    for url in (reverse("programmes:pdsa_create"), reverse("programmes:pdsa_edit", kwargs={"pk": cycle.pk})):
        response = client.post(url, {})
        assert response.status_code == 200
        assert response.context["form"].errors["title"] == ["This field is required."]
        assertContains(response, "<title>Error: ")
    cycle.refresh_from_db()
    assert (cycle.title, PdsaCycle.objects.count()) == ("Coaching times", 1)


# --- Reading -----------------------------------------------------------------------------------------


def test_cycle_page_shows_the_linked_cohorts_feedback_with_the_minimum_group_rule(client, login, personas):
    session = personas.enrolment.sessions.get(number=1)
    link = FeedbackLink.objects.create(session=session)
    for _ in range(3):
        factories.FeedbackResponseFactory(link=link)
    cycle = factories.PdsaCycleFactory(cohort=personas.enrolment.cohort)
    url = reverse("programmes:pdsa_detail", kwargs={"pk": cycle.pk})
    login("manager", personas)
    response = client.get(url)
    assert response.context["feedback"].positive_pct == Decimal("100.0")
    assert "100% <span" in response.content.decode()
    login("lead", personas)
    content = client.get(url).content.decode()
    assert "Not shown: fewer than 5 responses" in content


def test_log_queries_do_not_grow(client, login, personas):
    """Django's session and user (2), groups (1), cycles with cohort, version and author (1)."""
    login("lead", personas)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("programmes:pdsa_list")).status_code == 200
        return len(queries)

    factories.PdsaCycleFactory()
    small = count()
    for _ in range(10):
        factories.PdsaCycleFactory(
            cohort=factories.CohortFactory(), template=factories.default_template(), created_by=personas.manager
        )
    assert count() == small == 4


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_adds_and_reads_a_cycle_in_a_browser(browser_page):
    factories.ManagerFactory(username="mina")
    browser_page.login("mina")
    page = browser_page.goto(reverse("programmes:pdsa_list"))
    page.get_by_role("link", name="Add a PDSA cycle").click()
    page.wait_for_load_state("load")
    browser_page.check_accessibility()
    page.get_by_label("Title").fill("Physical improvement boards")
    page.get_by_label("Plan").fill("Every team huddles at a board on the wall.")
    page.get_by_label("Started on").fill("2026-02-09")
    page.get_by_label("Decision").select_option("adopt")
    page.get_by_role("button", name="Add the cycle").click()
    page.wait_for_load_state("load")
    browser_page.check_accessibility()
    assert page.get_by_text("Give the date the decision was made.").is_visible()
    assert page.get_by_label("Plan").input_value() == "Every team huddles at a board on the wall."
    page.get_by_label("Decided on").fill("2026-05-11")
    page.get_by_role("button", name="Add the cycle").click()
    page.wait_for_load_state("load")
    browser_page.check_accessibility()
    assert page.get_by_role("heading", level=1).inner_text() == "Physical improvement boards"
    assert page.get_by_text("ADOPT").is_visible()


def test_new_chart_limits_offered_after_the_decision_ticked_by_default(client, login, personas):
    login("manager", personas)
    form = client.get(reverse("programmes:pdsa_create")).context["form"]
    names = list(form.fields)
    assert names.index("new_limits") == names.index("decided_on") + 1
    assert form["new_limits"].value() is True


@pytest.mark.parametrize(
    ("decision", "ticked", "marks"),
    [("adopt", True, True), ("adapt", True, True), ("adopt", False, False), ("abandon", True, False)],
)
def test_only_an_adopted_or_adapted_change_left_ticked_starts_new_limits(
    client, login, personas, decision, ticked, marks
):
    login("manager", personas)
    data = cycle_data(decision=decision) | ({"new_limits": "on"} if ticked else {})
    client.post(reverse("programmes:pdsa_create"), data)
    cycle = PdsaCycle.objects.get()
    assert (cycle.new_limits, cycle.marks_chart_change) == (ticked, marks)
    detail = client.get(reverse("programmes:pdsa_detail", kwargs={"pk": cycle.pk})).content.decode()
    assert ("New mean and process limits from the decision date" in detail) is marks
