"""submit(): a posted form (and formset) through its service, the service's errors beside their
fields, and a stale save refused in the three ways a page can show it.

The forms, services and rows are real ones (a team, a programme version's session plan): core has no
models of its own, and a versioned row is what StaleEdit is about."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from core.concurrency import STALE_MESSAGE, SavedValue, StaleEdit
from core.views import Submitted, add_service_errors, submit
from programmes.forms import PlanFormSet, TeamForm, VersionDraftForm, VersionNotesForm, plan_initial
from programmes.models import ProgrammeTemplate, SessionKind, Team
from programmes.selectors import published_versions
from programmes.services import programme_version_draft, programme_version_update
from programmes.services.scheduling import team_update
from tests import factories

pytestmark = pytest.mark.django_db

TEAM_STALE = STALE_MESSAGE.format(thing="team")
PLAN_STALE = STALE_MESSAGE.format(thing="programme version")


def post(data: dict):
    return RequestFactory().post("/", data)


def never_saved(data: dict):
    raise AssertionError("the service was called")


def team_data(team: Team, **overrides) -> dict:
    """The team form as posted from a page opened on the team's version as saved now."""
    return {
        "name": team.name,
        "site": team.site_id,
        "department": team.department,
        "improvement_board": team.improvement_board,
        "board_location": team.board_location,
        "version": team.version,
        **overrides,
    }


# --- The form alone -------------------------------------------------------------------------------


def test_submit_on_a_get_checks_nothing_and_saves_nothing():
    form = TeamForm(None)
    assert submit(RequestFactory().get("/"), form, never_saved) == Submitted()
    assert not form.is_bound


def test_submit_saves_through_the_service_and_returns_what_it_returned():
    team = factories.TeamFactory(name="Pharmacy")
    request = post(team_data(team, name="Pharmacy team"))
    form = TeamForm(request.POST, instance=team)
    done = submit(request, form, lambda data: team_update(team=team, **data))
    assert (done.saved, done.result, done.stale, done.meanwhile) == (True, team, False, None)
    assert Team.objects.values_list("name", "version").get(pk=team.pk) == ("Pharmacy team", 2)


def test_submit_form_errors_mean_the_service_is_not_called():
    team = factories.TeamFactory()
    request = post(team_data(team, name=""))
    form = TeamForm(request.POST, instance=team)
    assert submit(request, form, never_saved) == Submitted()
    assert form.errors["name"] == ["This field is required."]


def test_a_service_field_error_sits_beside_its_field():
    source = factories.default_template()
    request = post({"source": source.pk, "version": "0.9"})
    form = VersionDraftForm(request.POST, sources=published_versions())
    done = submit(request, form, lambda data: programme_version_draft(**data))
    assert done == Submitted()
    assert form.errors == {"version": ["QMS programme already has a version 0.9."]}
    assert form.non_field_errors() == []


def test_a_service_error_without_a_field_sits_at_the_top():
    source = factories.default_template()
    programme_version_draft(source=source, version="1.0")
    request = post({"source": source.pk, "version": "1.1"})
    form = VersionDraftForm(request.POST, sources=published_versions())
    submit(request, form, lambda data: programme_version_draft(**data))
    assert form.non_field_errors() == [
        "Version 1.0 of QMS programme is already a draft: publish it or delete it first."
    ]
    assert "version" not in form.errors


def test_a_service_error_naming_what_the_form_has_no_field_for_sits_at_the_top():
    """form.add_error() would raise ValueError (a 500) for a name the form does not have."""

    def refuse(data: dict):
        raise ValidationError({"plans": "A version needs at least one session.", "version": "Not that one."})

    request = post({"source": factories.default_template().pk, "version": "1.0"})
    form = VersionDraftForm(request.POST, sources=published_versions())
    submit(request, form, refuse)
    assert form.errors == {"__all__": ["A version needs at least one session."], "version": ["Not that one."]}


# --- A stale save ---------------------------------------------------------------------------------


@pytest.fixture
def stale_team() -> tuple[Team, dict]:
    """A team, and what its edit form posts when opened on version 1 while someone else saved
    version 2 meanwhile."""
    team = factories.TeamFactory(name="Pharmacy")
    opened = team_data(team, name="Mine")
    other = Team.objects.get(pk=team.pk)
    form = TeamForm(team_data(other, name="Theirs"), instance=other)
    assert form.is_valid(), form.errors
    team_update(team=other, **form.cleaned_data)
    return Team.objects.get(pk=team.pk), opened


def test_a_stale_save_is_refused_and_said_at_the_top(stale_team):
    team, opened = stale_team
    request = post(opened)
    form = TeamForm(request.POST, instance=team)
    done = submit(request, form, lambda data: team_update(team=team, **data))
    assert (done.saved, done.stale, done.meanwhile, done.latest) == (False, True, None, None)
    assert form.non_field_errors() == [TEAM_STALE]
    assert Team.objects.values_list("name", "version").get(pk=team.pk) == ("Theirs", 2)


def test_a_stale_save_with_latest_shows_what_is_saved_now_and_takes_its_version(stale_team):
    team, opened = stale_team
    request = post(opened)
    form = TeamForm(request.POST, instance=team)
    done = submit(
        request,
        form,
        lambda data: team_update(team=team, **data),
        latest=lambda: Team.objects.get(pk=team.pk),
        also=("department",),
    )
    assert (done.saved, done.stale, done.latest.name) == (False, True, "Theirs")
    assert done.meanwhile == [
        SavedValue("Team name", "Theirs", "Mine"),
        SavedValue("Department", team.department, team.department),
    ]
    assert form.non_field_errors() == [TEAM_STALE]
    assert form.data["version"] == "2"  # saving again overwrites knowingly
    assert form["name"].value() == "Mine"  # what was typed is kept


def test_a_stale_save_with_on_stale_leaves_the_page_to_say_it(stale_team):
    team, opened = stale_team
    request = post(opened)
    form = TeamForm(request.POST, instance=team)
    refused = []

    def in_its_own_words(error: StaleEdit) -> str:
        refused.append(error)
        return "Someone renamed this team: it is called Theirs now."

    done = submit(request, form, lambda data: team_update(team=team, **data), on_stale=in_its_own_words)
    assert (done.saved, done.stale, done.latest) == (False, True, None)
    assert done.meanwhile == "Someone renamed this team: it is called Theirs now."
    assert [type(error) for error in refused] == [StaleEdit]
    assert form.non_field_errors() == []  # nothing said but what on_stale said
    assert form.data["version"] == "1"


def test_submit_takes_latest_or_on_stale_not_both():
    team = factories.TeamFactory()
    request = post(team_data(team))
    with pytest.raises(TypeError):
        submit(
            request, TeamForm(request.POST, instance=team), never_saved, latest=lambda: team, on_stale=lambda e: None
        )


# --- A form and a formset -------------------------------------------------------------------------


@pytest.fixture
def draft() -> ProgrammeTemplate:
    return programme_version_draft(source=factories.default_template(), version="1.0")


def plan_post(template: ProgrammeTemplate, rows: list[tuple], *, notes: str = "", revision: int | None = None):
    """The plan editor's POST: rows of (number, title, kind, week)."""
    data = {
        "notes": notes,
        "revision": template.revision if revision is None else revision,
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(template.plans.count()),  # as the page rendered them
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for i, (number, title, kind, week) in enumerate(rows):
        data |= {f"form-{i}-number": number, f"form-{i}-title": title, f"form-{i}-kind": kind, f"form-{i}-week": week}
    return post(data)


TWO_SESSIONS = [(1, "Taught", SessionKind.TAUGHT, 1), (2, "Review", SessionKind.REVIEW, 12)]


def edit_plan(request, template: ProgrammeTemplate, **options):
    notes_form = VersionNotesForm(request.POST)
    formset = PlanFormSet(request.POST, initial=plan_initial(template))

    def save(data: dict):
        return programme_version_update(
            template=template, revision=data["revision"], notes=data["notes"], plans=formset.rows()
        )

    return notes_form, formset, submit(request, notes_form, options.pop("save", save), formset=formset, **options)


def test_a_form_and_its_formset_are_saved_together(draft):
    notes_form, formset, done = edit_plan(plan_post(draft, TWO_SESSIONS, notes="Shorter"), draft)
    assert done.saved
    draft.refresh_from_db()
    assert draft.notes == "Shorter"
    assert list(draft.plans.order_by("number").values_list("title", "week_offset")) == [("Taught", 0), ("Review", 11)]


def test_a_valid_form_with_a_bad_formset_row_saves_nothing_and_the_row_says_why(draft):
    rows = [TWO_SESSIONS[0], (2, "", SessionKind.REVIEW, 0)]
    notes_form, formset, done = edit_plan(plan_post(draft, rows), draft, save=never_saved)
    assert done == Submitted()
    assert notes_form.errors == {}
    assert formset.forms[1].errors == {
        "title": ["This field is required."],
        "week": ["Ensure this value is greater than or equal to 1."],
    }
    assert draft.plans.count() == 10


def test_a_bad_form_with_a_bad_formset_says_both(draft):
    rows = [(1, "", SessionKind.TAUGHT, 1)]
    notes_form, formset, done = edit_plan(plan_post(draft, rows, revision=0), draft, save=never_saved)
    assert done == Submitted()
    assert notes_form.errors["revision"]  # damaged: said at the top too (VersionedForm)
    assert formset.forms[0].errors == {"title": ["This field is required."]}


def test_a_service_error_naming_a_formset_row_sits_beside_that_row(draft):
    """A service names a row's field by its HTML name (form-1-week), or a whole row by its prefix."""

    def refuse(data: dict):
        raise ValidationError(
            {
                "form-1-week": "Week 12 already has the review.",
                "form-0": "Session 1 is taught in week 1.",
                "notes": "Say what changes.",
                "form-9-week": "No such row.",
            }
        )

    notes_form, formset, done = edit_plan(plan_post(draft, TWO_SESSIONS), draft, save=refuse)
    assert done == Submitted()
    assert formset.forms[1].errors == {"week": ["Week 12 already has the review."]}
    assert formset.forms[0].non_field_errors() == ["Session 1 is taught in week 1."]
    assert notes_form.errors == {"notes": ["Say what changes."], "__all__": ["No such row."]}
    assert formset.total_error_count() == 2


def test_a_stale_formset_save_shows_the_latest_and_keeps_the_rows_as_typed(draft):
    opened = draft.revision
    theirs = PlanFormSet(plan_post(draft, TWO_SESSIONS[:1]).POST)
    assert theirs.is_valid(), theirs.errors
    programme_version_update(template=draft, revision=opened, notes="Theirs", plans=theirs.rows())
    request = plan_post(draft, TWO_SESSIONS, notes="Mine", revision=opened)
    notes_form, formset, done = edit_plan(request, draft, latest=lambda: ProgrammeTemplate.objects.get(pk=draft.pk))
    assert (done.saved, done.stale, done.latest.notes) == (False, True, "Theirs")
    assert done.meanwhile == [SavedValue("What changes in this version", "Theirs", "Mine")]
    assert notes_form.non_field_errors() == [PLAN_STALE]
    assert notes_form.data["revision"] == str(opened + 1)  # saving again overwrites knowingly
    assert [row["title"].value() for row in formset.forms] == ["Taught", "Review"]
    assert list(draft.plans.values_list("title", flat=True)) == ["Taught"]


# --- add_service_errors on its own ----------------------------------------------------------------


def test_add_service_errors_without_a_formset_puts_row_names_at_the_top(draft):
    notes_form = VersionNotesForm({"revision": draft.revision, "notes": ""})
    assert notes_form.is_valid()
    add_service_errors(notes_form, ValidationError({"form-1-week": "Week 12 already has the review."}))
    assert notes_form.non_field_errors() == ["Week 12 already has the review."]
