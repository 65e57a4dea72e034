"""The coach's journey in a real browser: fill in the checklist after a held session, then see it."""

import re

import pytest
from playwright.sync_api import expect

from checklists.models import Checklist, Tool

from .helpers import hold, save_checklist, session_number

# The browser talks to a live server in another thread, so the test data must be committed; the
# migrations' rows (tools, groups, the default template) are put back afterwards.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_coach_fills_in_the_checklist_and_sees_the_heatmap_cell(browser_page, personas):
    session = hold(session_number(personas.enrolment, 2))
    tools = list(Tool.objects.active())
    browser_page.login("coach")
    page = browser_page.goto(f"/checklists/enrolment/{personas.enrolment.pk}/")
    expect(page.get_by_text("No checklists have been filled in for this team yet.")).to_be_visible()

    page.get_by_role("link", name="Fill in the checklist for session 2").first.click()
    page.wait_for_url(f"**/checklists/session/{session.pk}/")
    browser_page.check_accessibility()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tool-usage checklist: session 2")

    for index, tool in enumerate(tools):
        row = page.get_by_role("group", name=tool.name, exact=True)
        if index % 2 == 0:
            row.get_by_label(f"Discussed in this session: {tool.name}").check()
        level = "Most of the time" if tool.name == "Go and See" else "Sometimes"
        row.get_by_text(level, exact=True).click()
        expect(row.get_by_role("radio", name=level, exact=True)).to_be_checked()
    # The keyboard reaches the levels too: arrow keys move the choice within a row.
    huddle = page.get_by_role("group", name="Improvement huddle", exact=True)
    huddle.get_by_role("radio", name="Sometimes", exact=True).focus()
    page.keyboard.press("ArrowLeft")
    expect(huddle.get_by_role("radio", name="Oscillatory", exact=True)).to_be_checked()
    page.get_by_label("Comment on Go and See (optional)").fill("Every Tuesday on the ward")
    page.get_by_label("Anything else to note about change in team / practice / culture").fill(
        "The team moved the board next to the kettle."
    )
    page.get_by_role("button", name="Save checklist").click()

    page.wait_for_url(f"**/checklists/enrolment/{personas.enrolment.pk}/#session-{session.pk}")
    browser_page.check_accessibility()
    expect(page.get_by_role("status")).to_have_text("Checklist for session 2 saved.")
    heatmap = page.locator("table.heatmap")
    expect(heatmap.get_by_role("columnheader", name="Session 2")).to_be_visible()
    go_row = heatmap.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Go and See", exact=True))
    cell = go_row.get_by_role("cell").first
    expect(cell).to_have_class("level level-3")
    expect(cell).to_contain_text("Most of the time")
    expect(cell).to_contain_text("Not discussed")
    expect(cell).to_contain_text("Every Tuesday on the ward")
    first_row = heatmap.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Driver diagrams / aims"))
    expect(first_row.get_by_role("cell").first).to_have_text(re.compile(r"^\s*Sometimes\s+✓ Discussed\s*$"))
    expect(page.get_by_text("The team moved the board next to the kettle.")).to_be_visible()

    checklist = Checklist.objects.get(session=session)
    assert checklist.ratings.get(tool__name="Improvement huddle").level == 1
    assert checklist.ratings.filter(discussed=True).count() == 5


def test_blank_checklist_prints_on_a4_landscape(browser_page, personas):
    session = session_number(personas.enrolment, 4)
    browser_page.login("lead")
    page = browser_page.goto(f"/checklists/session/{session.pk}/print/")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("columnheader", name="Most of the time")).to_be_visible()
    pdf = page.pdf(prefer_css_page_size=True)
    # One page (a "/Type /Page" object, not "/Pages"), A4 landscape: 842 x 595 points.
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 1
    assert re.findall(rb"/MediaBox\s*\[0 0 (\d+)[.\d]* (\d+)[.\d]*\]", pdf) == [(b"841", b"594")]


def test_manager_pages_pass_accessibility_checks(browser_page, personas):
    session = hold(session_number(personas.enrolment, 2))
    save_checklist(session, personas.coach, 2, note="First")
    save_checklist(session, personas.coach, 3, note="Second", version=1)
    browser_page.login("manager")
    page = browser_page.goto(f"/checklists/session/{session.pk}/history/")
    expect(page.get_by_text("Go and See: Sometimes → Most of the time")).to_be_visible()
    expect(page.get_by_text("Culture note “First” → “Second”")).to_be_visible()
    page = browser_page.goto("/checklists/tools/")
    page.get_by_role("link", name="Go and See").click()
    page.wait_for_url("**/checklists/tools/*/")
    browser_page.check_accessibility()
    page.get_by_label("Position on the checklist").fill("")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    browser_page.check_accessibility()
    expect(page).to_have_title("Error: Edit Go and See – QMS Coach")
    browser_page.goto("/checklists/tools/add/")

    # An invalid checklist: the error summary links to the row that needs an answer.
    page = browser_page.goto(f"/checklists/session/{hold(session_number(personas.enrolment, 3)).pk}/")
    page.get_by_role("button", name="Save checklist").click()
    page.wait_for_load_state()
    browser_page.check_accessibility()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    summary.get_by_role("link", name="Choose how much the team is using Go and See.").click()
    expect(page.get_by_role("group", name="Go and See", exact=True).get_by_role("radio").first).to_be_focused()


def test_coach_saving_a_stale_checklist_sees_what_changed_and_keeps_their_answers(browser_page, personas):
    session = hold(session_number(personas.enrolment, 2))
    save_checklist(session, personas.coach, 2)
    browser_page.login("coach")
    page = browser_page.goto(f"/checklists/session/{session.pk}/")
    huddle = page.get_by_role("group", name="Improvement huddle", exact=True)
    huddle.get_by_text("Not at all", exact=True).click()
    # Meanwhile the manager saves the same checklist from another form.
    go = Tool.objects.get(name="Go and See")
    save_checklist(
        session, personas.manager, {t.pk: 3 if t.pk == go.pk else 2 for t in Tool.objects.active()}, version=1
    )
    page.get_by_role("button", name="Save checklist").click()
    page.wait_for_load_state()
    browser_page.check_accessibility()
    alert = page.get_by_role("alert")
    expect(alert.get_by_role("heading")).to_contain_text("Mina Manager saved this checklist after you opened it")
    expect(alert.get_by_role("listitem")).to_have_text(["Go and See: Sometimes → Most of the time"])
    expect(huddle.get_by_role("radio", name="Not at all", exact=True)).to_be_checked()
    assert Checklist.objects.get(session=session).ratings.get(tool__name="Improvement huddle").level == 2
    # Saving again, having seen the change, keeps the coach's answers.
    page.get_by_role("button", name="Save checklist").click()
    page.wait_for_url(f"**/checklists/enrolment/{personas.enrolment.pk}/#session-{session.pk}")
    browser_page.check_accessibility()
    assert Checklist.objects.get(session=session).ratings.get(tool__name="Improvement huddle").level == 0
