"""Programme versions: drafting from the current version, editing a draft's session plan,
publishing it (then read-only), the version 1.0 target, and who may do what."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains

from conftest import PERSONAS
from core.concurrency import DAMAGED_MESSAGE
from programmes.models import ProgrammeTemplate, SessionPlan, TemplateStatus
from programmes.selectors import programme_versions, version_key
from programmes.services import PlanRow, programme_version_update
from tests import factories
from tests.helpers import EVERY_ROLE, MANAGERS_ONLY, persona_request

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


def qms() -> ProgrammeTemplate:
    return factories.default_template()


def draft_of(source: ProgrammeTemplate, version: str = "1.0") -> ProgrammeTemplate:
    from programmes.services import programme_version_draft

    return programme_version_draft(source=source, version=version)


def plan_post(template: ProgrammeTemplate, rows: list[tuple], *, notes: str = "", revision: int | None = None) -> dict:
    """Form data for the session plan formset: rows of (number, title, kind, week, checklist, delete)."""
    data = {
        "notes": notes,
        "revision": revision if revision is not None else revised(template),
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(template.plans.count()),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for i, (number, title, kind, week, checklist, delete) in enumerate(rows):
        data |= {f"form-{i}-number": number, f"form-{i}-title": title, f"form-{i}-kind": kind, f"form-{i}-week": week}
        if checklist:
            data[f"form-{i}-checklist_due"] = "on"
        if delete:
            data[f"form-{i}-DELETE"] = "on"
    return data


def revised(template: ProgrammeTemplate) -> int:
    """The draft's revision as saved now, as a page opened now shows it."""
    return ProgrammeTemplate.objects.values_list("revision", flat=True).get(pk=template.pk)


def current_rows(template: ProgrammeTemplate) -> list[tuple]:
    return [(p.number, p.title, p.kind, p.week, p.checklist_due, False) for p in template.plans.order_by("number")]


# --- Permissions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_read_pages_every_role(client, login, personas, persona):
    for url in (reverse("programmes:versions"), reverse("programmes:version_detail", kwargs={"pk": qms().pk})):
        response = persona_request(login, personas, persona, url, EVERY_ROLE)
        if persona != "anonymous":
            assert "QMS programme" in response.content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_writes_managers_only(client, login, personas, persona):
    draft = draft_of(qms())
    # (method, url, data, the manager's status)
    attempts = [
        # 200: the form again, saying that version 1.0 is a draft already.
        ("post", reverse("programmes:version_draft"), {"source": qms().pk, "version": "2.0"}, 200),
        ("get", reverse("programmes:version_edit", kwargs={"pk": draft.pk}), {}, 200),
        (
            "post",
            reverse("programmes:version_edit", kwargs={"pk": draft.pk}),
            plan_post(draft, current_rows(draft)),
            302,
        ),
        ("post", reverse("programmes:version_publish", kwargs={"pk": draft.pk}), {"revision": 2}, 302),
        ("post", reverse("programmes:version_delete", kwargs={"pk": draft.pk}), {"revision": 3}, 302),
    ]
    for method, url, data, status in attempts:
        persona_request(login, personas, persona, url, {**MANAGERS_ONLY, "manager": status}, method=method, data=data)
    draft.refresh_from_db()
    if persona == "manager":  # saved (revision 2), then published (3); a published version is not deleted
        assert (draft.status, draft.revision) == (TemplateStatus.PUBLISHED, 3)
    else:
        assert (draft.status, draft.revision) == (TemplateStatus.DRAFT, 1)
    assert not ProgrammeTemplate.objects.filter(version="2.0").exists()


def test_account_without_a_role_is_refused(login, personas):
    assert login("no_role", personas).get(reverse("programmes:versions")).status_code == 403


def test_unknown_version_is_404(client, login, personas):
    login("manager", personas)
    assert client.get(reverse("programmes:version_detail", kwargs={"pk": 999_999})).status_code == 404
    assert client.get(reverse("programmes:version_edit", kwargs={"pk": 999_999})).status_code == 404
    assert client.post(reverse("programmes:version_publish", kwargs={"pk": 999_999})).status_code == 404


# --- The versions page and the target ---------------------------------------------------------


def test_versions_page_shows_target_and_each_version(client, login, personas):
    draft_of(qms(), "1.0")
    login("coach", personas)
    content = client.get(reverse("programmes:versions")).content.decode()
    assert "Target: version 1.0 by April 2026" in content
    assert "<strong>Not met yet:</strong> 59 days left to publish version 1.0." in content  # 2 March to 30 April
    assert "Draft: not yet in use; publishing it by 30 April 2026 meets the target" in content
    assert "Published 1 Sep 2025; current: new cohorts follow it; before version 1.0" in content
    assert "Draft a new version" not in content  # coaches read only


@pytest.mark.parametrize(
    ("published_on", "today", "met", "text"),
    [
        (dt.date(2026, 4, 1), dt.date(2026, 11, 26), True, "Met: version 1.0 was published on 1 Apr 2026."),
        (dt.date(2026, 4, 30), dt.date(2026, 11, 26), True, "Met: version 1.0 was published on 30 Apr 2026."),
        (
            dt.date(2026, 5, 1),
            dt.date(2026, 11, 26),
            False,
            "Missed: version 1.0 was published on 1 May 2026, after April 2026.",
        ),
        (None, dt.date(2026, 4, 29), False, "Not met yet: 1 day left to publish version 1.0."),
        (None, dt.date(2026, 5, 1), False, "Missed: no version 1.0 or later has been published yet."),
    ],
)
def test_target_status(published_on, today, met, text):
    if published_on:
        factories.ProgrammeTemplateFactory(name="QMS programme", version="1.0", published_on=published_on)
    programme = next(p for p in programme_versions(today=today) if p.name == "QMS programme")
    assert (programme.target.met, programme.target.summary) == (met, text)


def test_standing_and_current_version():
    factories.ProgrammeTemplateFactory(name="QMS programme", version="1.0", published_on=dt.date(2026, 4, 1))
    factories.ProgrammeTemplateFactory(
        name="QMS programme", version="1.1", status=TemplateStatus.DRAFT, published_on=None
    )
    programme = next(p for p in programme_versions(today=dt.date(2026, 11, 26)) if p.name == "QMS programme")
    assert [(row.template.version, row.standing) for row in programme.rows] == [
        ("1.1", "Draft: not yet in use"),
        ("1.0", "Published 1 Apr 2026; current: new cohorts follow it; on time for the version 1.0 target"),
        ("0.9", "Published 1 Sep 2025; before version 1.0"),
    ]
    assert programme.current.version == "1.0"
    assert programme.draft.version == "1.1"


@pytest.mark.parametrize(
    ("label", "key"), [("1.0", (1,)), ("1", (1,)), ("0.9", (0, 9)), ("1.10", (1, 10)), ("v1", None), ("", None)]
)
def test_version_key(label, key):
    assert version_key(label) == key


def test_versions_page_queries_do_not_grow(client, login, personas):
    """Django's session and user (2), groups (1), versions with their session and cohort counts (1),
    the content changes counted per version (1: the feedback app's tag, once for all the rows), the
    draft form's list of published versions (2: the select's choices are read once for the options
    and once by crispy's template; a ModelChoiceField does not cache its queryset)."""
    login("manager", personas)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("programmes:versions")).status_code == 200
        return len(queries)

    small = count()
    for n in range(10):
        template = factories.ProgrammeTemplateFactory(name="QMS programme", version=f"2.{n}")
        factories.SessionPlanFactory.create_batch(3, template=template)
        factories.CohortFactory(template=template)
        factories.ContentChangeFactory(template=template)
    assert count() == small == 7


def test_version_detail_queries_do_not_grow(client, login, personas):
    """Session, user, groups (3), the version, its plans and cohorts (3), its content changes with
    their responses (2), PDSA cycles (1)."""
    login("manager", personas)
    template = qms()
    url = reverse("programmes:version_detail", kwargs={"pk": template.pk})

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    factories.ContentChangeFactory(template=template)
    small = count()
    for _ in range(8):
        factories.ContentChangeFactory(template=template).responses.add(factories.FeedbackResponseFactory())
        factories.PdsaCycleFactory(template=template, cohort=factories.CohortFactory(template=template))
    assert count() == small == 9


# --- Drafting, editing, publishing -----------------------------------------------------------


def test_manager_drafts_a_new_version_from_the_current_one(client, login, personas):
    login("manager", personas)
    page = client.get(reverse("programmes:versions"))
    assert page.context["draft_form"]["source"].value() == qms().pk
    response = client.post(reverse("programmes:version_draft"), {"source": qms().pk, "version": "1.0"})
    draft = ProgrammeTemplate.objects.get(name="QMS programme", version="1.0")
    assert response["Location"] == reverse("programmes:version_detail", kwargs={"pk": draft.pk})
    assert (draft.status, draft.published_on) == (TemplateStatus.DRAFT, None)
    assert current_rows(draft) == current_rows(qms())
    assert draft.plans.count() == 10


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("one point oh", "Write the version as numbers and dots, for example 1.1 or 2.0."),
        ("", "This field is required."),
        ("0.9", "QMS programme already has a version 0.9."),
        ("1" * 21, "Ensure this value has at most 20 characters (it has 21)."),
    ],
)
def test_draft_bad_version_label(client, login, personas, version, message):
    login("manager", personas)
    response = client.post(reverse("programmes:version_draft"), {"source": qms().pk, "version": version})
    assert response.status_code == 200
    assert response.context["draft_form"].errors["version"] == [message]
    assert ProgrammeTemplate.objects.count() == 1


def test_draft_version_taken_is_said_beside_the_version_field(client, login, personas):
    """The service's refusal (programme_version_draft) names the field, and the page puts it there."""
    login("manager", personas)
    response = client.post(reverse("programmes:version_draft"), {"source": qms().pk, "version": "0.9"})
    assert response.context["draft_form"].non_field_errors() == []
    assertContains(
        response,
        '<div id="id_version_error" class="invalid-feedback">'
        '<p id="error_1_id_version"><strong>QMS programme already has a version 0.9.</strong></p></div>',
        html=True,
    )


def test_only_one_draft_at_a_time(client, login, personas):
    draft_of(qms(), "1.0")
    login("manager", personas)
    response = client.post(reverse("programmes:version_draft"), {"source": qms().pk, "version": "1.1"})
    assert (
        "Version 1.0 of QMS programme is already a draft: publish it or delete it first." in response.content.decode()
    )
    assert not ProgrammeTemplate.objects.filter(version="1.1").exists()


def test_draft_from_a_draft_is_not_offered(client, login, personas):
    draft = draft_of(qms(), "1.0")
    login("manager", personas)
    response = client.post(reverse("programmes:version_draft"), {"source": draft.pk, "version": "1.1"})
    assert "Select a valid choice" in response.context["draft_form"].errors["source"][0]


def test_manager_edits_a_drafts_session_plan(client, login, personas):
    draft = draft_of(qms())
    rows = current_rows(draft)
    rows[0] = (1, "Session 1: QMS and booking every coaching slot", "taught", 1, False, False)
    rows[9] = (*rows[9][:5], True)  # remove the 90-day sustain check
    rows.append((11, "Sustain check (6 months)", "sustain", 36, True, False))
    rows.append(("", "", "", "", False, False))  # a blank extra row adds nothing
    login("manager", personas)
    url = reverse("programmes:version_edit", kwargs={"pk": draft.pk})
    assert client.get(url).status_code == 200
    response = client.post(url, plan_post(draft, rows, notes="Coaching slots booked at session 1."))
    assert response["Location"] == reverse("programmes:version_detail", kwargs={"pk": draft.pk})
    draft.refresh_from_db()
    assert draft.notes == "Coaching slots booked at session 1."
    assert [(p.number, p.title, p.week_offset) for p in draft.plans.order_by("number")][0] == (
        1,
        "Session 1: QMS and booking every coaching slot",
        0,
    )
    assert list(draft.plans.order_by("number").values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 11]
    assert draft.plans.get(number=11).week == 36
    # The published version it came from is untouched.
    assert qms().plans.get(number=1).title == "Session 1: introduction to QMS and agreeing coaching times"
    assert qms().plans.count() == 10


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda rows: [(*rows[1][:5], False), *rows[1:]], "Each session needs its own number; used more than once: 2."),
        (lambda rows: [(1, rows[0][1], "taught", 2, False, False), *rows[1:]], "Session 1 is in week 1"),
        (
            lambda rows: [*rows[:2], (3, "Coaching", "coaching", 1, True, False), *rows[3:]],
            "Session 3 is in an earlier week",
        ),
        (lambda rows: [(*r[:5], True) for r in rows], "A version needs at least one session."),
        (lambda rows: [(*rows[0][:5], True), *rows[1:]], "The first session must be number 1."),
    ],
)
def test_bad_session_plan_is_explained_and_nothing_saved(client, login, personas, change, message):
    draft = draft_of(qms())
    before = current_rows(draft)
    login("manager", personas)
    response = client.post(
        reverse("programmes:version_edit", kwargs={"pk": draft.pk}), plan_post(draft, change(before))
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["formset"].non_form_errors())
    assert current_rows(draft) == before


def test_bad_cells_are_explained_per_field(client, login, personas):
    draft = draft_of(qms())
    rows = current_rows(draft)
    rows[2] = (3, "", "lecture", 0, True, False)
    login("manager", personas)
    response = client.post(reverse("programmes:version_edit", kwargs={"pk": draft.pk}), plan_post(draft, rows))
    errors = response.context["formset"].forms[2].errors
    assert errors["title"] == ["This field is required."]
    assert errors["kind"] == ["Select a valid choice. lecture is not one of the available choices."]
    assert errors["week"] == ["Ensure this value is greater than or equal to 1."]


def test_published_version_cannot_be_edited(client, login, personas):
    login("manager", personas)
    url = reverse("programmes:version_edit", kwargs={"pk": qms().pk})
    response = client.post(url, plan_post(qms(), [(1, "Changed", "taught", 1, False, False)]), follow=True)
    assert "Version 0.9 is published, so it cannot be changed. Draft a new version." in response.content.decode()
    assert qms().plans.count() == 10
    assert client.get(url)["Location"] == reverse("programmes:version_detail", kwargs={"pk": qms().pk})


def test_two_managers_editing_one_draft_the_second_is_refused_and_keeps_their_edits(client, login, personas):
    draft = draft_of(qms())
    rows = current_rows(draft)
    login("manager", personas)
    url = reverse("programmes:version_edit", kwargs={"pk": draft.pk})
    opened = client.get(url).context["notes_form"]["revision"].value()
    assert opened == 1
    alice = [(1, "Alice's session 1", "taught", 1, False, False), *rows[1:]]
    assert client.post(url, plan_post(draft, alice, revision=opened)).status_code == 302
    bob = [(1, "Bob's session 1", "taught", 1, False, False), *rows[1:]]
    refused = client.post(url, plan_post(draft, bob, notes="Bob's notes", revision=opened))
    assert refused.status_code == 200
    content = refused.content.decode()
    assert "Someone else saved this programme version while you were editing it" in content
    assert "Bob&#x27;s session 1" in content and "Alice&#x27;s session 1" in content
    assert "Bob&#x27;s notes</textarea>" in content
    assert draft.plans.get(number=1).title == "Alice's session 1"
    renewed = refused.context["notes_form"]["revision"].value()
    assert renewed == "2"
    assert client.post(url, plan_post(draft, bob, revision=renewed)).status_code == 302
    assert draft.plans.get(number=1).title == "Bob's session 1"
    assert revised(draft) == 3


def test_edit_posted_empty_is_a_form_error_and_changes_nothing(client, login, personas):
    draft = draft_of(qms())
    login("manager", personas)
    response = client.post(reverse("programmes:version_edit", kwargs={"pk": draft.pk}), {})
    assert response.status_code == 200
    assert response.context["notes_form"].non_field_errors() == [DAMAGED_MESSAGE]
    assertContains(response, "<title>Error: Edit version 1.0")
    assert (draft.plans.count(), revised(draft)) == (10, 1)


def test_publish_makes_the_draft_read_only_and_cohorts_keep_their_version(client, login, personas):
    cohort = personas.enrolment.cohort
    session_plans = list(personas.enrolment.sessions.values_list("plan_id", flat=True))
    draft = draft_of(qms())
    login("manager", personas)
    url = reverse("programmes:version_publish", kwargs={"pk": draft.pk})
    response = client.post(url, {"revision": revised(draft)}, follow=True)
    assert "Version 1.0 published: new cohorts can follow it." in response.content.decode()
    draft.refresh_from_db()
    assert (draft.status, draft.published_on) == (TemplateStatus.PUBLISHED, dt.date(2026, 3, 2))
    cohort.refresh_from_db()
    assert cohort.template == qms()
    assert list(personas.enrolment.sessions.values_list("plan_id", flat=True)) == session_plans
    assert set(SessionPlan.objects.filter(pk__in=session_plans).values_list("template_id", flat=True)) == {qms().pk}
    again = client.post(url, {"revision": revised(draft)}, follow=True)
    assert "Version 1.0 is published, so it can no longer be changed." in again.content.decode()
    detail = client.get(reverse("programmes:version_detail", kwargs={"pk": draft.pk})).content.decode()
    assert "Edit the session plan" not in detail and "read-only" in detail


def test_publish_refused_when_the_draft_changed_since_the_page_was_shown(client, login, personas):
    draft = draft_of(qms())
    login("manager", personas)
    detail = client.get(reverse("programmes:version_detail", kwargs={"pk": draft.pk}))
    assertContains(detail, '<input type="hidden" name="revision" value="1">', count=2)  # publish and delete
    rows = current_rows(draft)
    rows[1] = (2, "Changed meanwhile", *rows[1][2:])
    programme_version_update(
        template=draft, revision=1, notes="", plans=[PlanRow(n, t, k, w - 1, c) for n, t, k, w, c, _ in rows]
    )
    response = client.post(reverse("programmes:version_publish", kwargs={"pk": draft.pk}), {"revision": 1}, follow=True)
    assert "changed after you opened this page, so it has not been published" in response.content.decode()
    draft.refresh_from_db()
    assert (draft.status, draft.revision) == (TemplateStatus.DRAFT, 2)
    missing = client.post(reverse("programmes:version_publish", kwargs={"pk": draft.pk}), {}, follow=True)
    assert "The page was out of date" in missing.content.decode()


def test_delete_a_draft_unless_changes_are_recorded_against_it(client, login, personas):
    draft = draft_of(qms())
    change = factories.ContentChangeFactory(template=draft)
    login("manager", personas)
    url = reverse("programmes:version_delete", kwargs={"pk": draft.pk})
    response = client.post(url, {"revision": revised(draft)}, follow=True)
    assert "1 content change is recorded against version 1.0" in response.content.decode()
    assert ProgrammeTemplate.objects.filter(pk=draft.pk).exists()
    change.delete()
    response = client.post(url, {"revision": revised(draft)})
    assert response["Location"] == reverse("programmes:versions")
    assert not ProgrammeTemplate.objects.filter(pk=draft.pk).exists()
    published = client.post(
        reverse("programmes:version_delete", kwargs={"pk": qms().pk}), {"revision": qms().revision}, follow=True
    )
    assert "Version 0.9 is published" in published.content.decode()
    assert ProgrammeTemplate.objects.filter(pk=qms().pk).exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_versions_pages_in_a_browser(browser_page):
    factories.ManagerFactory(username="mina")
    draft = draft_of(qms())
    browser_page.login("mina")
    page = browser_page.goto(reverse("programmes:versions"))
    assert page.get_by_role("heading", name="Target: version 1.0 by April 2026").is_visible()
    page.get_by_role("link", name="Version 1.0").click()
    page.wait_for_load_state("load")
    browser_page.check_accessibility()
    page.get_by_role("link", name="Edit the session plan").click()
    page.wait_for_load_state("load")
    browser_page.check_accessibility()
    page.get_by_label("Title, row 2").fill("Coaching: aims, on the team's own meeting")
    page.get_by_role("button", name="Save the session plan").click()
    page.wait_for_load_state("load")
    browser_page.check_accessibility()
    assert page.get_by_role("rowheader", name="Coaching: aims, on the team's own meeting").is_visible()
    page.get_by_role("button", name="Publish version 1.0").click()
    page.wait_for_load_state("load")
    browser_page.check_accessibility()
    draft.refresh_from_db()
    assert draft.is_published
    assert page.get_by_text("Version 1.0 published: new cohorts can follow it.").is_visible()
