"""Checklist pages: every view for every persona, the form's errors and conflicts, query counts."""

import re
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from checklists.models import Checklist, Tool, ToolRating
from conftest import PERSONAS
from programmes.models import Session
from tests.helpers import EVERY_ROLE, MANAGERS_ONLY, THIS_TEAM_READ, THIS_TEAM_WRITE, persona_request

from .helpers import form_post, hold, save_checklist, session_number

pytestmark = pytest.mark.django_db


def checked_levels(response) -> dict[str, str]:
    """The level radio that is checked in each row: field name -> value."""
    html = response.content.decode()
    return dict(re.findall(r'<input type="radio" name="(tool-\d+-level)" value="(\d)"[^>]* checked>', html))


# --- Who may open what ---------------------------------------------------------------------

READ = THIS_TEAM_READ
WRITE = THIS_TEAM_WRITE
MANAGE = MANAGERS_ONLY


def page_urls(personas, held_session) -> dict[str, tuple[str, dict]]:
    save_checklist(held_session, personas.coach, 2)
    tool = Tool.objects.get(name="Go and See")
    return {
        "checklist": (reverse("checklists:checklist", args=[held_session.pk]), WRITE),
        "checklist_history": (reverse("checklists:checklist_history", args=[held_session.pk]), READ),
        "checklist_print": (reverse("checklists:checklist_print", args=[held_session.pk]), READ),
        "enrolment_summary": (reverse("checklists:enrolment_summary", args=[personas.enrolment.pk]), READ),
        "tool_list": (reverse("checklists:tool_list"), MANAGE),
        "tool_add": (reverse("checklists:tool_add"), MANAGE),
        "tool_edit": (reverse("checklists:tool_edit", args=[tool.pk]), MANAGE),
        "ratings_csv": ("/exports/ratings.csv", EVERY_ROLE),
    }


PAGES = [
    "checklist",
    "checklist_history",
    "checklist_print",
    "enrolment_summary",
    "tool_list",
    "tool_add",
    "tool_edit",
    "ratings_csv",
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("page", PAGES)
def test_pages_get_by_persona(personas, held_session, login, page, persona):
    url, expected = page_urls(personas, held_session)[page]
    persona_request(login, personas, persona, url, expected)


@pytest.mark.parametrize("page", PAGES)
def test_pages_user_without_role_is_refused(personas, held_session, login, page):
    url, _ = page_urls(personas, held_session)[page]
    assert login("no_role", personas).get(url).status_code == 403


@pytest.mark.parametrize(("persona", "status"), [("other_coach", 404), ("lead", 403)])
def test_checklist_post_by_wrong_persona_is_refused_and_saves_nothing(
    personas, held_session, tools, login, persona, status
):
    client = login(persona, personas)
    response = client.post(reverse("checklists:checklist", args=[held_session.pk]), form_post(tools, 3))
    assert response.status_code == status
    assert Checklist.objects.count() == 0


def test_checklist_post_anonymous_goes_to_login_and_saves_nothing(personas, held_session, tools, client):
    url = reverse("checklists:checklist", args=[held_session.pk])
    assertRedirects(client.post(url, form_post(tools, 3)), f"/accounts/login/?next={url}")
    assert Checklist.objects.count() == 0


@pytest.mark.parametrize("persona", ["coach", "other_coach", "lead"])
def test_tool_posts_by_non_managers_are_refused(personas, login, persona):
    client = login(persona, personas)
    tool = Tool.objects.get(name="Go and See")
    assert client.post(reverse("checklists:tool_add"), {"name": "X", "order": 1}).status_code == 403
    edit = {"name": tool.name, "order": 1, "version": 1}
    assert client.post(reverse("checklists:tool_edit", args=[tool.pk]), edit).status_code == 403
    assert Tool.objects.count() == 9
    assert Tool.objects.get(pk=tool.pk).order == 2


def test_checklist_of_another_coachs_team_is_404_for_every_page(personas, login):
    other = hold(session_number(personas.other_enrolment, 2))
    save_checklist(other, personas.other_coach, 2)
    client = login("coach", personas)
    for name in ("checklist", "checklist_history", "checklist_print"):
        assert client.get(reverse(f"checklists:{name}", args=[other.pk])).status_code == 404
    assert client.get(reverse("checklists:enrolment_summary", args=[personas.other_enrolment.pk])).status_code == 404


# --- The checklist form --------------------------------------------------------------------


def test_checklist_form_lists_active_tools_in_order_with_labelled_inputs(personas, held_session, tools, login):
    Tool.objects.filter(name="Improvement huddle").update(active=False)
    response = login("coach", personas).get(reverse("checklists:checklist", args=[held_session.pk]))
    html = response.content.decode()
    legends = re.findall(r'<legend class="card-header h5 mb-0">([^<]+)</legend>', html)
    assert legends == [t.name for t in tools if t.name != "Improvement huddle"]
    go = Tool.objects.get(name="Go and See")
    for value, label in enumerate(["Not at all", "Oscillatory", "Sometimes", "Most of the time"]):
        assertContains(
            response,
            f'<input type="radio" name="tool-{go.pk}-level" value="{value}" class="btn-check" '
            f'required id="id_tool-{go.pk}-level_{value}">',
            html=True,
        )
        assertContains(
            response, f'<label class="btn level-{value}" for="id_tool-{go.pk}-level_{value}">{label}</label>'
        )
    assertContains(response, f'<label class="form-check-label" for="id_tool-{go.pk}-discussed">')
    assertContains(response, f'<label class="form-label" for="id_tool-{go.pk}-comment">')
    assertContains(response, "Anything else to note about change in team / practice / culture")
    assertContains(response, 'for="id_culture_note"')
    assertContains(response, '<input type="hidden" name="version" value="0" id="id_version">', html=True)
    assertContains(response, "<title>Checklist for session 2: Education support team – QMS Coach</title>")


def test_checklist_form_save_new_redirects_to_the_team_summary(personas, held_session, tools, login):
    client = login("coach", personas)
    url = reverse("checklists:checklist", args=[held_session.pk])
    response = client.post(url, form_post(tools, 3, comment="Weekly", note="Huddle restarted"))
    summary = reverse("checklists:enrolment_summary", args=[personas.enrolment.pk])
    assertRedirects(response, f"{summary}#session-{held_session.pk}")
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Checklist for session 2 saved."]
    checklist = Checklist.objects.get(session=held_session)
    assert (checklist.culture_note, checklist.version, checklist.coach) == ("Huddle restarted", 1, personas.coach)
    assert set(checklist.ratings.values_list("level", "discussed", "comment")) == {(3, True, "Weekly")}
    assert set(ToolRating.history.values_list("history_user__username", flat=True)) == {"coach"}


def test_checklist_form_edit_shows_saved_answers_and_the_previous_checklist(personas, login):
    s2 = hold(session_number(personas.enrolment, 2))
    s3 = hold(session_number(personas.enrolment, 3))
    save_checklist(s2, personas.coach, 1)
    save_checklist(s3, personas.coach, 3, note="Saved note")
    response = login("manager", personas).get(reverse("checklists:checklist", args=[s3.pk]))
    go = Tool.objects.get(name="Go and See")
    assert checked_levels(response) == {f"tool-{t.pk}-level": "3" for t in Tool.objects.active()}
    assert go.pk in {t.pk for t in Tool.objects.active()}
    assertContains(response, "Last checklist (session 2): Oscillatory, discussed.", count=9)
    assertContains(response, "Saved note</textarea>")
    assertContains(response, '<input type="hidden" name="version" value="1" id="id_version">', html=True)
    assertContains(response, "See who changed what")


def test_checklist_form_edit_by_manager_is_kept_in_history(personas, held_session, tools, login):
    save_checklist(held_session, personas.coach, 2)
    client = login("manager", personas)
    go = Tool.objects.get(name="Go and See")
    levels = {t.pk: 2 for t in tools} | {go.pk: 0}
    client.post(reverse("checklists:checklist", args=[held_session.pk]), form_post(tools, levels, version=1))
    response = client.get(reverse("checklists:checklist_history", args=[held_session.pk]))
    assertContains(response, "<td>Mina Manager</td>", html=True)
    assertContains(response, "<li>Go and See: Sometimes \u2192 Not at all</li>", html=True)
    assertContains(response, "<td>Cara Coach</td>", html=True)
    assertContains(response, "Filled in the checklist")


def test_checklist_form_retired_tool_stays_on_the_old_checklist(personas, held_session, tools, login):
    save_checklist(held_session, personas.coach, 2)
    Tool.objects.filter(name="Improvement huddle").update(active=False)
    client = login("coach", personas)
    url = reverse("checklists:checklist", args=[held_session.pk])
    response = client.get(url)
    assertContains(response, 'Improvement huddle <span class="small fw-normal">(retired)</span></legend>')
    response = client.post(url, form_post(tools, 3, version=1))
    assert response.status_code == 302
    assert Checklist.objects.get().ratings.filter(level=3).count() == 9


# --- Invalid posts: a form error, never a 500, nothing saved half ---------------------------


def assert_nothing_saved(response, *, message: str):
    assert response.status_code == 200
    assertContains(response, "<title>Error: Checklist for session")
    assertContains(response, message)
    assert Checklist.objects.count() == 0
    assert ToolRating.objects.count() == 0


def test_checklist_post_missing_level_is_a_form_error_and_keeps_the_input(personas, held_session, tools, login):
    go = Tool.objects.get(name="Go and See")
    data = form_post(tools, 3, comment="Kept", note="Typed note")
    del data[f"tool-{go.pk}-level"]
    response = login("coach", personas).post(reverse("checklists:checklist", args=[held_session.pk]), data)
    assert_nothing_saved(response, message="Choose how much the team is using Go and See.")
    assertContains(response, f'<a href="#id_tool-{go.pk}-level_0">Choose how much the team is using Go and See.</a>')
    assertContains(response, "Typed note</textarea>")
    assertContains(response, 'value="Kept"', count=9)


@pytest.mark.parametrize("level", ["7", "-1", "abc", "3.0"])
def test_checklist_post_level_off_the_scale_is_a_form_error(personas, held_session, tools, login, level):
    go = Tool.objects.get(name="Go and See")
    data = form_post(tools, 2) | {f"tool-{go.pk}-level": level}
    response = login("coach", personas).post(reverse("checklists:checklist", args=[held_session.pk]), data)
    assert_nothing_saved(response, message="Choose one of the four usage levels for Go and See.")


@pytest.mark.parametrize("tampered", ["999999", "abc"])
def test_checklist_post_tampered_tool_id_is_a_form_error(personas, held_session, tools, login, tampered):
    data = form_post(tools, 2)
    data["tools"] = [*data["tools"][:-1], tampered]
    response = login("coach", personas).post(reverse("checklists:checklist", args=[held_session.pk]), data)
    assert_nothing_saved(response, message="not on this checklist")


def test_checklist_post_tool_retired_while_the_form_was_open_is_a_form_error(personas, held_session, tools, login):
    Tool.objects.filter(name="Improvement huddle").update(active=False)
    response = login("coach", personas).post(
        reverse("checklists:checklist", args=[held_session.pk]), form_post(tools, 2)
    )
    assert_nothing_saved(response, message="it may have just been retired")
    # The re-shown form has the eight active tools, with the answers given.
    assert response.content.decode().count('<fieldset class="tool-row card mb-3') == 8
    active = Tool.objects.active()
    assert checked_levels(response) == {f"tool-{t.pk}-level": "2" for t in active}
    assert len(active) == 8


def test_checklist_post_tool_added_while_the_form_was_open_asks_for_its_rating(personas, held_session, tools, login):
    Tool.objects.create(name="Visual management", order=10)
    response = login("coach", personas).post(
        reverse("checklists:checklist", args=[held_session.pk]), form_post(tools, 2)
    )
    assert_nothing_saved(response, message="Visual management joined the checklist after you opened this form.")
    assertContains(response, "Choose how much the team is using Visual management.")


def test_checklist_post_session_not_held_is_an_error_and_saves_nothing(personas, tools, login):
    session = session_number(personas.enrolment, 3)
    url = reverse("checklists:checklist", args=[session.pk])
    client = login("coach", personas)
    get = client.get(url)
    assertContains(get, "This session has not been recorded as held, so it cannot have a checklist yet.")
    assertNotContains(get, '<form method="post" novalidate>')
    response = client.post(url, form_post(tools, 2))
    assert_nothing_saved(response, message="This session has not been recorded as held")


def test_checklist_post_cancelled_session_is_an_error(personas, tools, login):
    session = session_number(personas.enrolment, 3)
    Session.objects.filter(pk=session.pk).update(cancelled=True, cancelled_reason="Ward closed")
    response = login("coach", personas).post(reverse("checklists:checklist", args=[session.pk]), form_post(tools, 2))
    assert_nothing_saved(response, message="This session was cancelled, so it has no checklist.")


@pytest.mark.parametrize("version", ["", "abc", "-1"])
def test_checklist_post_bad_version_is_a_form_error(personas, held_session, tools, login, version):
    data = form_post(tools, 2) | {"version": version}
    response = login("coach", personas).post(reverse("checklists:checklist", args=[held_session.pk]), data)
    assert_nothing_saved(response, message="The form is out of date: reload the page.")


def test_checklist_post_comment_too_long_is_a_form_error(personas, held_session, tools, login):
    data = form_post(tools, 2)
    data[f"tool-{tools[0].pk}-comment"] = "x" * 1001
    response = login("coach", personas).post(reverse("checklists:checklist", args=[held_session.pk]), data)
    assert_nothing_saved(response, message="Ensure this value has at most 1000 characters (it has 1001).")


def test_checklist_post_empty_body_is_a_form_error(personas, held_session, login):
    response = login("coach", personas).post(reverse("checklists:checklist", args=[held_session.pk]), {})
    assert_nothing_saved(response, message="Choose how much the team is using Driver diagrams / aims.")
    assertContains(response, "Choose how much the team is using", count=2 * 9)  # summary and row, per tool
    assertNotContains(response, "joined the checklist")


def test_checklist_post_invalid_edit_leaves_the_saved_checklist_as_it_was(personas, held_session, tools, login):
    save_checklist(held_session, personas.coach, 2, note="Kept")
    data = form_post(tools, 3, version=1, note="Changed") | {f"tool-{tools[-1].pk}-level": "9"}
    response = login("coach", personas).post(reverse("checklists:checklist", args=[held_session.pk]), data)
    assert response.status_code == 200
    checklist = Checklist.objects.get()
    assert (checklist.version, checklist.culture_note) == (1, "Kept")
    assert set(checklist.ratings.values_list("level", flat=True)) == {2}


# --- Two people, one checklist -------------------------------------------------------------


def test_checklist_conflict_second_stale_save_is_refused_with_what_changed(personas, held_session, tools, login):
    save_checklist(held_session, personas.coach, 2, note="Start")
    url = reverse("checklists:checklist", args=[held_session.pk])
    go = Tool.objects.get(name="Go and See")
    # Both open version 1. The manager saves first.
    manager_levels = {t.pk: 2 for t in tools} | {go.pk: 3}
    first = login("manager", personas).post(url, form_post(tools, manager_levels, version=1, note="Manager's note"))
    assert first.status_code == 302
    # The coach's save, from the form opened on version 1, is refused.
    coach_levels = {t.pk: 1 for t in tools}
    second = login("coach", personas).post(url, form_post(tools, coach_levels, version=1, note="Coach's note"))
    assert second.status_code == 200
    assertContains(second, "Mina Manager saved this checklist after you opened it")
    assertContains(second, "<li>Go and See: Sometimes \u2192 Most of the time</li>", html=True)
    assertContains(second, "<li>Culture note \u201cStart\u201d \u2192 \u201cManager's note\u201d</li>", html=True)
    # The coach's input is all still there, and the form now carries the current version.
    assertContains(second, "Coach&#x27;s note</textarea>")
    assert checked_levels(second) == {f"tool-{t.pk}-level": "1" for t in tools}
    assertContains(second, '<input type="hidden" name="version" value="2" id="id_version">', html=True)
    assertContains(second, "<strong>Saved now:</strong> Most of the time, discussed</p>")
    # The first save is kept.
    checklist = Checklist.objects.get()
    assert (checklist.version, checklist.culture_note) == (2, "Manager's note")
    assert checklist.ratings.get(tool=go).level == 3
    # Saving again, having seen the conflict, is a decision: it goes through.
    third = login("coach", personas).post(url, form_post(tools, coach_levels, version=2, note="Coach's note"))
    assert third.status_code == 302
    assert set(Checklist.objects.get().ratings.values_list("level", flat=True)) == {1}


def test_checklist_conflict_both_filling_in_a_new_checklist(personas, held_session, tools, login):
    url = reverse("checklists:checklist", args=[held_session.pk])
    assert login("manager", personas).post(url, form_post(tools, 3, version=0)).status_code == 302
    second = login("coach", personas).post(url, form_post(tools, 1, version=0))
    assertContains(second, "Mina Manager saved this checklist after you opened it")
    assertContains(second, "<li>Go and See: Most of the time, discussed</li>", html=True)
    assert set(Checklist.objects.get().ratings.values_list("level", flat=True)) == {3}


# --- Pages' content ------------------------------------------------------------------------


def test_enrolment_summary_shows_heatmap_sustainment_adoption_and_notes(personas, login):
    enrolment = personas.enrolment
    s2, s3 = hold(session_number(enrolment, 2)), hold(session_number(enrolment, 3))
    metrics = Tool.objects.get(name="Metrics discussed")
    levels = {t.pk: 1 for t in Tool.objects.active()} | {metrics.pk: 3}
    save_checklist(s2, personas.coach, levels, note="First note")
    save_checklist(s3, personas.coach, levels, discussed=False, note="Second note")
    response = login("lead", personas).get(reverse("checklists:enrolment_summary", args=[enrolment.pk]))
    assertContains(response, "<strong>1 of 9 tools sustained</strong>")
    assertContains(response, f'<th scope="col" id="session-{s2.pk}">')
    assertContains(
        response,
        '<td class="level level-3"><span class="level-label">Most of the time</span>'
        '<span class="discussed"><span aria-hidden="true">✓ </span>Discussed</span></td>',
        html=True,
        count=1,
    )
    assertContains(
        response,
        '<td class="level level-1"><span class="level-label">Oscillatory</span>'
        '<span class="discussed">Not discussed</span></td>',
        html=True,
        count=8,
    )
    assertContains(response, '<span class="sustainment sustainment-sustained">Sustained</span>', count=1)
    assertContains(response, '<span class="sustainment sustainment-not_yet">Not yet</span>', count=8)
    assertContains(response, "<td>41%</td>", html=True, count=2)  # 11 of 27
    html = response.content.decode()
    assert html.index("First note") < html.index("Second note")
    # A lead reads; no links to the form.
    assertNotContains(response, f'href="{reverse("checklists:checklist", args=[s2.pk])}"')


def test_enrolment_summary_coach_gets_links_to_fill_in_held_sessions(personas, login):
    s2 = hold(session_number(personas.enrolment, 2))
    s3 = session_number(personas.enrolment, 3)
    response = login("coach", personas).get(reverse("checklists:enrolment_summary", args=[personas.enrolment.pk]))
    assertContains(response, f'<a href="{reverse("checklists:checklist", args=[s2.pk])}">Fill in the checklist')
    assertNotContains(response, f'href="{reverse("checklists:checklist", args=[s3.pk])}"')
    assertContains(response, "No checklists have been filled in for this team yet.")


def test_checklist_print_is_a_blank_table_like_the_source_document(personas, login):
    session = session_number(personas.enrolment, 4)
    Tool.objects.filter(name="Improvement huddle").update(active=False)
    response = login("coach", personas).get(reverse("checklists:checklist_print", args=[session.pk]))
    html = response.content.decode()
    assert re.findall(r'<th scope="col" class="box-cell"[^>]*>([^<]+)</th>', html) == [
        "Discussed",
        "Not at all",
        "Oscillatory",
        "Sometimes",
        "Most of the time",
    ]
    rows = re.findall(r'<th scope="row">([^<]+)</th>\s*<td class="box-cell">', html)
    assert rows == list(Tool.objects.active().values_list("name", flat=True))
    assertContains(response, f"<td>Education support team ({personas.enrolment.team.site.code})</td>", html=True)
    assertContains(response, "<td>4</td>", html=True)
    assertContains(response, "Anything else to note about change in team / practice / culture")
    assertContains(response, '<link rel="stylesheet" href="/static/checklists/checklists.css">')
    css = Path(finders.find("checklists/checklists.css")).read_text()
    assert "@media print" in css
    assert "size: A4 landscape;" in css


def test_checklist_history_of_a_session_without_checklist_is_404(personas, held_session, login):
    assert (
        login("manager", personas).get(reverse("checklists:checklist_history", args=[held_session.pk])).status_code
        == 404
    )


# --- Tools ---------------------------------------------------------------------------------


def test_tool_list_shows_every_tool_with_status_and_ratings(personas, held_session, login):
    save_checklist(held_session, personas.coach, 2)
    Tool.objects.filter(name="Improvement huddle").update(active=False)
    response = login("manager", personas).get(reverse("checklists:tool_list"))
    rows = re.findall(
        r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>\s*<td>[^<]*</td>\s*'
        r'<td>(\w+)</td>\s*<td class="text-end">(\d+)</td>',
        response.content.decode(),
    )
    assert rows[:5] == [
        ("Driver diagrams / aims", "Active", "1"),
        ("Go and See", "Active", "1"),
        ("Leader standard work", "Active", "1"),
        ("Improvement board", "Active", "1"),
        ("Improvement huddle", "Retired", "1"),
    ]
    assert len(rows) == 9


def test_tool_add_creates_a_tool_for_new_checklists(personas, login):
    client = login("manager", personas)
    data = {"name": "Visual management", "order": 10, "description": "Boards", "active": "on"}
    assertRedirects(client.post(reverse("checklists:tool_add"), data), reverse("checklists:tool_list"))
    assert Tool.objects.active().last().name == "Visual management"


@pytest.mark.parametrize("page", ["tool_add", "tool_edit"])
def test_tool_forms_posted_empty_show_errors_and_change_nothing(personas, login, page):
    tool = Tool.objects.get(name="Go and See")
    url = reverse(f"checklists:{page}", args=[tool.pk] if page == "tool_edit" else [])
    response = login("manager", personas).post(url, {})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert (errors["name"], errors["order"]) == (["This field is required."], ["This field is required."])
    assertContains(response, "<title>Error: ")
    assert (Tool.objects.count(), Tool.objects.get(pk=tool.pk).version) == (9, 1)


def name_error(message: str) -> str:
    """A message beside the name field, as crispy renders it (the input points to it by aria-describedby)."""
    return (
        f'<div id="id_name_error" class="invalid-feedback"><p id="error_1_id_name"><strong>{message}</strong></p></div>'
    )


def test_tool_add_duplicate_name_is_a_form_error(personas, login):
    response = login("manager", personas).post(reverse("checklists:tool_add"), {"name": "Go and See", "order": 1})
    assert response.status_code == 200
    assertContains(response, "There is already a tool called Go and See.", count=1)
    assert Tool.objects.count() == 9


def test_tool_add_duplicate_name_sits_beside_the_name_field(personas, login):
    """The service says it (tool_create), and submit() puts it beside the field it names."""
    response = login("manager", personas).post(reverse("checklists:tool_add"), {"name": "go and see", "order": 1})
    form = response.context["form"]
    assert form.errors == {"name": ["There is already a tool called go and see."]}
    assert form.non_field_errors() == []
    assertContains(response, name_error("There is already a tool called go and see."), html=True)


def test_tool_edit_duplicate_name_sits_beside_the_name_field(personas, login):
    tool = Tool.objects.get(name="Go and See")
    data = {"name": "Improvement huddle", "order": tool.order, "description": "", "active": "on", "version": 1}
    response = login("manager", personas).post(reverse("checklists:tool_edit", args=[tool.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {"name": ["There is already a tool called Improvement huddle."]}
    assertContains(response, name_error("There is already a tool called Improvement huddle."), html=True)
    tool.refresh_from_db()
    assert (tool.name, tool.version) == ("Go and See", 1)


def test_tool_edit_retires_a_tool(personas, login):
    tool = Tool.objects.get(name="Improvement huddle")
    data = {"name": tool.name, "order": 5, "description": "Retired", "version": 1}
    response = login("manager", personas).post(reverse("checklists:tool_edit", args=[tool.pk]), data)
    assertRedirects(response, reverse("checklists:tool_list"))
    tool.refresh_from_db()
    assert (tool.active, tool.description, tool.version) == (False, "Retired", 2)


def test_tool_edit_rated_tool_name_cannot_change(personas, held_session, login):
    save_checklist(held_session, personas.coach, 2)
    tool = Tool.objects.get(name="Go and See")
    client = login("manager", personas)
    url = reverse("checklists:tool_edit", args=[tool.pk])
    assertContains(client.get(url), "Checklists have rated this tool, so its name stays.")
    data = {"name": "Gemba walk", "order": 2, "active": "on", "version": 1}
    assertRedirects(client.post(url, data), reverse("checklists:tool_list"))
    tool.refresh_from_db()
    assert tool.name == "Go and See"


def test_tool_edit_conflict_keeps_input_and_the_first_save(personas, login):
    tool = Tool.objects.get(name="Go and See")
    url = reverse("checklists:tool_edit", args=[tool.pk])
    client = login("manager", personas)
    client.post(url, {"name": tool.name, "order": 2, "description": "First", "active": "on", "version": 1})
    response = client.post(url, {"name": tool.name, "order": 7, "description": "Second", "version": 1})
    assertContains(response, "Someone else changed this tool after you opened it")
    assertContains(response, "<li>Description: First</li>", html=True)
    assertContains(response, "Second</textarea>")
    assertContains(response, '<input type="hidden" name="version" value="2" id="id_version">', html=True)
    tool.refresh_from_db()
    assert (tool.description, tool.active) == ("First", True)


@pytest.mark.parametrize("order", ["", "-1", "abc", "99999"])
def test_tool_edit_bad_order_is_a_form_error(personas, login, order):
    tool = Tool.objects.get(name="Go and See")
    response = login("manager", personas).post(
        reverse("checklists:tool_edit", args=[tool.pk]), {"name": tool.name, "order": order, "version": 1}
    )
    assert response.status_code == 200
    assertContains(response, "<title>Error: Edit Go and See")
    assert Tool.objects.get(pk=tool.pk).version == 1


# --- Query counts do not grow with tools x sessions ----------------------------------------


def grow(personas, *, extra_tools: int, checklists: int) -> Session:
    """The coach's team with `checklists` checklists; returns the session of the latest one."""
    for n in range(extra_tools):
        Tool.objects.create(name=f"Extra tool {n}", order=20 + n)
    session = None
    for number in range(2, 2 + checklists):
        session = hold(session_number(personas.enrolment, number))
        save_checklist(session, personas.coach, 2, note=f"Note {number}")
        save_checklist(session, personas.manager, 3, note=f"Edited {number}", version=1)  # history grows too
    return session


def count_queries(client, method: str, url: str, data=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code in (200, 302)
    return len(queries)


@pytest.mark.parametrize(("extra_tools", "checklists"), [(0, 1), (11, 8)])
def test_checklist_form_get_query_count(personas, login, django_assert_num_queries, extra_tools, checklists):
    session = grow(personas, extra_tools=extra_tools, checklists=checklists)
    client = login("coach", personas)
    # 1 session row, 2 user, 3 user's groups, 4 session with plan, enrolment, team, site, cohort, coach and
    # checklist, 5 the checklist's ratings with tools, 6 the previous checklist's ratings with its session,
    # 7-9 the team's huddles at its board (its board sheet, huddle meetings and check-ins).
    with django_assert_num_queries(9):
        client.get(reverse("checklists:checklist", args=[session.pk]))


def standing_refresh_queries() -> int:
    """The lock (PostgreSQL), the latest standing, the standing up to the review, the review session, the upsert."""
    return 4 + (connection.vendor == "postgresql")


@pytest.mark.parametrize(("extra_tools", "checklists"), [(0, 1), (11, 8)])
def test_checklist_form_post_edit_query_count(personas, login, django_assert_num_queries, extra_tools, checklists):
    session = grow(personas, extra_tools=extra_tools, checklists=checklists)
    tools = [r.tool for r in Checklist.objects.get(session=session).ratings.select_related("tool")]
    client = login("coach", personas)
    # 1 session row, 2 user, 3 groups, 4 session and checklist, 5 its ratings, 6 previous ratings (form data);
    # service: 7 savepoint, 8 checklist, 9 its ratings with tools, 10 claim the version, 11 save the checklist,
    # 12 its history, 13 update the ratings, 14 their history, then the stored standing (refresh_standings),
    # and the release of the savepoint.
    with django_assert_num_queries(15 + standing_refresh_queries()):
        response = client.post(
            reverse("checklists:checklist", args=[session.pk]), form_post(tools, 1, version=2, note="Changed")
        )
    assert response.status_code == 302


@pytest.mark.parametrize(("extra_tools", "checklists"), [(0, 1), (11, 8)])
def test_checklist_form_post_new_query_count(personas, login, django_assert_num_queries, extra_tools, checklists):
    grow(personas, extra_tools=extra_tools, checklists=checklists)
    session = hold(session_number(personas.enrolment, 10))
    client = login("coach", personas)
    tools = list(Tool.objects.active())
    # 1 session row, 2 user, 3 groups, 4 session, 5 active tools, 6 previous ratings (form data);
    # service: 7 savepoint, 8 any checklist, 9 active tools, 10 inner savepoint, 11 insert the checklist,
    # 12 its history, 13 release the inner savepoint, 14 insert the ratings, 15 their history, then the
    # stored standing (refresh_standings), and the release.
    with django_assert_num_queries(16 + standing_refresh_queries()):
        response = client.post(reverse("checklists:checklist", args=[session.pk]), form_post(tools, 1))
    assert response.status_code == 302


@pytest.mark.parametrize(("extra_tools", "checklists"), [(0, 1), (11, 8)])
def test_enrolment_summary_query_count(personas, login, django_assert_num_queries, extra_tools, checklists):
    grow(personas, extra_tools=extra_tools, checklists=checklists)
    client = login("coach", personas)
    # 1 session row, 2 user, 3 groups, 4 enrolment with team, site, cohort, template and coach,
    # 5 sessions with plan rows, checklists and their coaches, 6 ratings, 7 tools.
    with django_assert_num_queries(7):
        response = client.get(reverse("checklists:enrolment_summary", args=[personas.enrolment.pk]))
    assertContains(response, '<td class="level level-3">', count=checklists * (9 + extra_tools))


@pytest.mark.parametrize(("extra_tools", "checklists"), [(0, 1), (11, 8)])
def test_checklist_history_query_count(personas, login, django_assert_num_queries, extra_tools, checklists):
    session = grow(personas, extra_tools=extra_tools, checklists=checklists)
    client = login("lead", personas)
    # 1 session row, 2 user, 3 groups, 4 session and checklist, 5 checklist history, 6 ratings' history.
    with django_assert_num_queries(6):
        client.get(reverse("checklists:checklist_history", args=[session.pk]))


def test_ratings_csv_query_count_same_at_two_sizes(personas, login):
    client = login("coach", personas)
    small = grow(personas, extra_tools=0, checklists=1)
    small_count = count_queries(client, "get", "/exports/ratings.csv")
    grow_more = [hold(session_number(personas.enrolment, n)) for n in range(3, 9)]
    for session in grow_more:
        save_checklist(session, personas.coach, 1)
    for n in range(10):
        Tool.objects.create(name=f"Later tool {n}", order=40 + n)
    assert small is not None
    # 1 session row, 2 user, 3 groups, 4 the ratings, in one query however many.
    assert small_count == count_queries(client, "get", "/exports/ratings.csv") == 4


def test_checklist_form_other_methods_are_refused(personas, held_session, login):
    client = login("coach", personas)
    assert client.put(reverse("checklists:checklist", args=[held_session.pk])).status_code == 405
    assert client.delete(reverse("checklists:checklist", args=[held_session.pk])).status_code == 405
    assert Checklist.objects.count() == 0


# --- Offered only where the plan has a checklist due -----------------------------------------------


def test_checklist_offered_only_for_sessions_whose_plan_has_one_due(login, personas):
    """Session 1 (taught) has no checklist in the plan; session 3 (coaching) has: held, only session 3
    is offered on the team's checklist page (timeline and heatmap) and on each session's page."""
    first = hold(session_number(personas.enrolment, 1))
    third = hold(session_number(personas.enrolment, 3))
    assert (first.plan.checklist_due, third.plan.checklist_due) == (False, True)
    client = login("coach", personas)
    summary = client.get(reverse("checklists:enrolment_summary", args=[personas.enrolment.pk]))
    assertNotContains(summary, f'href="/checklists/session/{first.pk}/"')
    assertContains(summary, f'href="/checklists/session/{third.pk}/"', count=2)  # timeline and heatmap
    assertNotContains(client.get(reverse("programmes:session", args=[first.pk])), "tool checklist")
    assertContains(client.get(reverse("programmes:session", args=[third.pk])), "Fill in the tool checklist")


def test_checklist_saved_goes_back_to_next_on_this_site_only(login, personas, tools):
    session = hold(session_number(personas.enrolment, 3))
    client = login("coach", personas)
    url = reverse("checklists:checklist", args=[session.pk])
    back = reverse("programmes:session", args=[session.pk])
    assertContains(client.get(f"{url}?next={back}"), f'<a class="btn btn-link" href="{back}">Cancel</a>', html=True)
    response = client.post(f"{url}?next={back}", form_post(tools))
    assertRedirects(response, back, fetch_redirect_response=False)
    elsewhere = client.post(f"{url}?next=https://evil.example.com/", form_post(tools, version=1))
    summary = reverse("checklists:enrolment_summary", args=[personas.enrolment.pk])
    assertRedirects(elsewhere, f"{summary}#session-{session.pk}", fetch_redirect_response=False)
