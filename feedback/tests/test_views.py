"""Staff feedback pages: a session's feedback, open/close, the poster, the figures, the change log
and the CSV export, walked through by every persona."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from decimal import Decimal
from urllib.parse import quote

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from conftest import PERSONAS, PERSONAS_AND_NO_ROLE
from feedback.models import ChangeKind, ContentChange, FeedbackLink, FeedbackResponse
from feedback.services import feedback_shared_device_set, refresh_feedback_tallies
from tests import factories
from tests.helpers import EVERY_ROLE, MANAGERS_ONLY, THIS_TEAM_WRITE, persona_request

pytestmark = pytest.mark.django_db


# --- Permissions, every view and persona -------------------------------------------------------

# A session's feedback is for its coach and managers (write access to the session), not leads.
SESSION_PAGE = THIS_TEAM_WRITE
SESSION_WRITE = {**THIS_TEAM_WRITE, "manager": 302, "coach": 302}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", ["feedback:session", "feedback:poster"])
def test_session_pages_permissions(client, login, personas, link, persona, name):
    url = reverse(name, kwargs={"session_pk": link.session_id})
    persona_request(login, personas, persona, url, SESSION_PAGE)


@pytest.mark.parametrize("persona", PERSONAS)
def test_close_and_open_permissions(client, login, personas, link, persona):
    for name, is_open in (("feedback:session_close", False), ("feedback:session_open", True)):
        url = reverse(name, kwargs={"session_pk": link.session_id})
        persona_request(login, personas, persona, url, SESSION_WRITE, method="post")
        link.refresh_from_db()
        assert link.is_open is (is_open if persona in ("manager", "coach") else True)


@pytest.mark.parametrize("name", ["feedback:session_close", "feedback:session_open"])
def test_open_and_close_refuse_get(client, login, personas, link, name):
    login("coach", personas)
    assert client.get(reverse(name, kwargs={"session_pk": link.session_id})).status_code == 405


@pytest.mark.parametrize("persona", PERSONAS_AND_NO_ROLE)
@pytest.mark.parametrize("name", ["feedback:overview", "feedback:changes"])
def test_read_pages_permissions(client, login, personas, link, persona, name):
    persona_request(login, personas, persona, reverse(name), EVERY_ROLE)


@pytest.mark.parametrize("persona", PERSONAS)
def test_change_form_permissions(client, login, personas, persona):
    change = factories.ContentChangeFactory()
    for url in (reverse("feedback:change_create"), reverse("feedback:change_edit", kwargs={"pk": change.pk})):
        persona_request(login, personas, persona, url, MANAGERS_ONLY)
        persona_request(login, personas, persona, url, {**MANAGERS_ONLY, "manager": 200}, method="post")


@pytest.mark.parametrize("persona", PERSONAS_AND_NO_ROLE)
def test_export_permissions(client, login, personas, persona):
    persona_request(login, personas, persona, "/exports/feedback.csv", EVERY_ROLE)


def test_unknown_session_is_404(client, login, personas):
    login("manager", personas)
    assert client.get(reverse("feedback:session", kwargs={"session_pk": 999_999})).status_code == 404
    assert client.post(reverse("feedback:session_open", kwargs={"session_pk": 999_999})).status_code == 404


# --- A session's feedback page -------------------------------------------------------------------


def test_session_page_shows_link_qr_counts_and_comments(client, login, personas, link, settings):
    settings.SITE_URL = "https://qms.example.nhs.uk"
    factories.FeedbackResponseFactory(link=link, rating=4, what_worked="Team learning", what_better="Typos on slide 4")
    factories.FeedbackResponseFactory(link=link, rating=5, could_improve="not_sure")
    change = factories.ContentChangeFactory(section="Session 1 slides", kind=ChangeKind.SPELLING_GRAMMAR)
    change.responses.add(FeedbackResponse.objects.get(what_better="Typos on slide 4"))
    login("coach", personas)
    response = client.get(reverse("feedback:session", kwargs={"session_pk": link.session_id}))
    content = response.content.decode()
    assert f"https://qms.example.nhs.uk/feedback/{link.token}/" in content
    assert '<svg role="img"' in content
    assert "<title>QR code for this session's feedback form</title>" in content
    assert "Feedback form: <strong>open</strong>" in content
    assert "Close feedback" in content
    panel = response.context["panel"]
    assert (panel.figures.responses, panel.figures.yes, panel.figures.not_sure) == (2, 1, 1)
    assert "50%" in content
    assert "2 of 8" not in content  # the rate is a percentage of attendees recorded
    assert "25% of 8 attendees recorded" in content
    assert "Typos on slide 4" in content and "Team learning" in content
    assert "Yes: Spelling &amp; grammar, Session 1 slides (version 0.9" in content
    assert content.count("No change recorded") == 1


def test_session_page_without_a_link_offers_to_open_one(client, login, personas, session_1):
    login("coach", personas)
    content = client.get(reverse("feedback:session", kwargs={"session_pk": session_1.pk})).content.decode()
    assert "No feedback form yet" in content
    assert "Open a feedback form" in content
    assert "<svg" not in content


def test_open_makes_a_link_once_and_close_closes_it(client, login, personas, session_1):
    login("coach", personas)
    open_url = reverse("feedback:session_open", kwargs={"session_pk": session_1.pk})
    response = client.post(open_url)
    assert response["Location"] == reverse("feedback:session", kwargs={"session_pk": session_1.pk})
    link = FeedbackLink.objects.get(session=session_1)
    assert link.is_open is True
    client.post(reverse("feedback:session_close", kwargs={"session_pk": session_1.pk}))
    link.refresh_from_db()
    assert link.is_open is False
    client.post(open_url)
    assert FeedbackLink.objects.get(session=session_1).token == link.token  # the same link, reopened


def test_open_returns_to_the_page_it_came_from_but_never_off_site(client, login, personas, session_1):
    login("coach", personas)
    url = reverse("feedback:session_open", kwargs={"session_pk": session_1.pk})
    assert client.post(url, {"next": "/programmes/sessions/1/"})["Location"] == "/programmes/sessions/1/"
    off_site = client.post(url, {"next": "https://evil.example.com/"})
    assert off_site["Location"] == reverse("feedback:session", kwargs={"session_pk": session_1.pk})


def test_cancelled_session_cannot_open_feedback(client, login, personas):
    session = personas.enrolment.sessions.get(number=3)
    session.cancelled = True
    session.cancelled_reason = "No one free"
    session.save()
    login("coach", personas)
    response = client.post(reverse("feedback:session_open", kwargs={"session_pk": session.pk}), follow=True)
    assert "This session was cancelled, so it has no feedback to collect." in response.content.decode()
    assert not FeedbackLink.objects.filter(session=session).exists()


def test_closing_without_a_link_says_so(client, login, personas, session_1):
    login("coach", personas)
    response = client.post(reverse("feedback:session_close", kwargs={"session_pk": session_1.pk}), follow=True)
    assert "This session has no feedback link to close." in response.content.decode()


def test_poster_shows_qr_and_address(client, login, personas, link, settings):
    settings.SITE_URL = "https://qms.example.nhs.uk"
    login("manager", personas)
    content = client.get(reverse("feedback:poster", kwargs={"session_pk": link.session_id})).content.decode()
    assert "Tell us how this session went" in content
    assert f"https://qms.example.nhs.uk/feedback/{link.token}/" in content
    assert '<svg role="img"' in content


def test_poster_without_a_link_sends_back(client, login, personas, session_1):
    login("coach", personas)
    response = client.get(reverse("feedback:poster", kwargs={"session_pk": session_1.pk}))
    assert response["Location"] == reverse("feedback:session", kwargs={"session_pk": session_1.pk})


SEP_22 = dt.date(2025, 9, 22)


def _add_responses(link, n):
    FeedbackResponse.objects.bulk_create(
        FeedbackResponse(link=link, could_improve="yes", rating=5, what_better=f"c{i}", submitted_on=SEP_22)
        for i in range(n)
    )
    refresh_feedback_tallies([link.session.enrolment_id])  # a bulk insert sends no post_save


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_session_page_queries_do_not_grow_with_responses(client, login, personas, link):
    """Session, user, groups, link with counts, responses, their changes: the same at 1 and 30 responses."""
    change = factories.ContentChangeFactory()
    login("coach", personas)
    url = reverse("feedback:session", kwargs={"session_pk": link.session_id})
    _add_responses(link, 1)
    change.responses.set(FeedbackResponse.objects.all())
    small = _count_queries(client, url)
    _add_responses(link, 29)
    change.responses.set(FeedbackResponse.objects.all())
    assert _count_queries(client, url) == small
    # Django's session and user (2), groups (1), the session (1), link with counts (1),
    # responses (1), their content changes (1).
    assert small == 7


# --- The figures page ----------------------------------------------------------------------------


def test_overview_coach_sees_own_team_only(client, login, personas, link, other_link):
    factories.FeedbackResponseFactory(link=link)
    factories.FeedbackResponseFactory(link=other_link, could_improve="no")
    login("coach", personas)
    content = client.get(reverse("feedback:overview")).content.decode()
    assert "Education support team" in content
    assert "Pharmacy team" not in content
    assert reverse("feedback:session", kwargs={"session_pk": link.session_id}) in content


def test_overview_lead_is_told_why_each_group_is_hidden(client, login, personas, link, other_link):
    for _ in range(5):
        factories.FeedbackResponseFactory(link=link)
    factories.FeedbackResponseFactory(link=other_link, could_improve="no")
    login("lead", personas)
    content = client.get(reverse("feedback:overview")).content.decode()
    # The other team's 1 response is under the minimum; this team's 5 are hidden only to protect it.
    assert content.count('<td colspan="5">Not shown: fewer than 5 responses</td>') == 2  # its team and session
    protecting = '<td colspan="5">Not shown, so that a smaller group’s answers cannot be worked out</td>'
    assert content.count(protecting) == 2  # this team and its session


def test_overview_lead_sees_withheld_small_groups_and_no_links(client, login, personas, link, other_link):
    for _ in range(5):
        factories.FeedbackResponseFactory(link=link)
    factories.FeedbackResponseFactory(link=other_link, could_improve="no")
    login("lead", personas)
    response = client.get(reverse("feedback:overview"))
    content = response.content.decode()
    report = response.context["report"]
    assert report.for_session(other_link.session_id).withheld is True
    assert report.for_session(link.session_id).withheld is True  # else 6 - 5 gives the other team away
    assert "Not shown: fewer than 5 responses" in content
    assert reverse("feedback:session", kwargs={"session_pk": link.session_id}) not in content
    assert report.overall.positive_pct == Decimal("83.3")  # 5 of 6


def test_overview_queries_do_not_grow_with_sessions_and_responses(client, login, personas, link):
    """Django's session and user (2), groups (1), sessions with links (1), answers per session (1)."""
    login("manager", personas)
    url = reverse("feedback:overview")
    _add_responses(link, 2)
    small = _count_queries(client, url)
    for enrolment in (personas.enrolment, personas.other_enrolment):
        for session in enrolment.sessions.filter(number__gt=1):
            _add_responses(FeedbackLink.objects.create(session=session), 3)
    assert FeedbackLink.objects.count() == 19
    assert _count_queries(client, url) == small == 5


# --- The content change log ------------------------------------------------------------------


def test_change_log_shows_comments_to_managers_and_counts_to_others(client, login, personas, link):
    response = factories.FeedbackResponseFactory(link=link, what_better="Typos on slide 4")
    change = factories.ContentChangeFactory(section="Session 1 slides", description="Corrected spelling.")
    change.responses.add(response)
    login("manager", personas)
    content = client.get(reverse("feedback:changes")).content.decode()
    assert "Typos on slide 4" in content and "Corrected spelling." in content
    for persona in ("coach", "lead"):
        login(persona, personas)
        content = client.get(reverse("feedback:changes")).content.decode()
        assert "Typos on slide 4" not in content
        assert "1 feedback response" in content
        assert reverse("feedback:change_edit", kwargs={"pk": change.pk}) not in content


def test_change_log_queries_do_not_grow(client, login, personas, link):
    """Django's session and user (2), groups (1), changes (1), their responses with sessions (1)."""
    login("manager", personas)
    _add_responses(link, 3)
    factories.ContentChangeFactory().responses.set(FeedbackResponse.objects.all())
    small = _count_queries(client, reverse("feedback:changes"))
    for _ in range(10):
        factories.ContentChangeFactory().responses.set(FeedbackResponse.objects.all())
    assert _count_queries(client, reverse("feedback:changes")) == small == 5


def test_change_form_queries_do_not_grow_with_comments(client, login, personas, link):
    """Django's session and user (2), groups (1), cohorts with comments (1), the responses listed (1),
    the versions to choose from (2: read for the options and by crispy's template)."""
    login("manager", personas)
    _add_responses(link, 1)
    small = _count_queries(client, reverse("feedback:change_create"))
    _add_responses(link, 40)
    assert _count_queries(client, reverse("feedback:change_create")) == small == 7


def test_manager_records_a_change_linked_to_feedback(client, login, personas, link):
    prompted = factories.FeedbackResponseFactory(link=link, what_better="Typos on slide 4")
    factories.FeedbackResponseFactory(link=link, what_worked="", what_better="")  # no comment: not listed
    login("manager", personas)
    page = client.get(reverse("feedback:change_create"))
    assert "Typos on slide 4" in page.content.decode()
    assert [choice[0] for choice in page.context["form"].fields["responses"].widget.choices] == [prompted.pk]
    template = factories.default_template()
    response = client.post(
        reverse("feedback:change_create"),
        {
            "template": template.pk,
            "section": "Session 1 slides",
            "kind": "spelling",
            "description": "Corrected spelling on the slides.",
            "made_on": "2025-10-06",
            "responses": [prompted.pk],
        },
    )
    assert response["Location"] == reverse("feedback:changes")
    change = ContentChange.objects.get()
    assert (change.template, change.kind, change.made_by) == (template, "spelling", personas.manager)
    assert list(change.responses.all()) == [prompted]
    session_page = client.get(reverse("feedback:session", kwargs={"session_pk": link.session_id}))
    assert "Yes: Spelling &amp; grammar, Session 1 slides" in session_page.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"section": ""}, "section", "This field is required."),
        ({"kind": "typo"}, "kind", "Select a valid choice. typo is not one of the available choices."),
        # The service's rule (content_change_create), beside the field it names; tomorrow, as further
        # ahead than two years is core.forms' bound.
        (
            {"made_on": (timezone.localdate() + dt.timedelta(days=1)).isoformat()},
            "made_on",
            "A change is recorded once it has been made: the date cannot be in the future.",
        ),
        ({"made_on": "not a date"}, "made_on", "Enter a valid date."),
        ({"responses": ["999999"]}, "responses", "Select a valid choice. 999999 is not one of the available choices."),
        ({"template": "999999"}, "template", "Select a valid choice. That choice is not one of the available choices."),
    ],
)
def test_change_form_bad_input_is_explained(client, login, personas, overrides, field, message):
    login("manager", personas)
    data = {
        "template": factories.default_template().pk,
        "section": "Leader standard work",
        "kind": "rewrite",
        "description": "Rewrote the section so it follows on from go and see.",
        "made_on": "2025-11-17",
        **overrides,
    }
    response = client.post(reverse("feedback:change_create"), data)
    assert response.status_code == 200
    assert ContentChange.objects.count() == 0
    form = response.context["form"]
    assert (form.errors[field], form.non_field_errors()) == ([message], [])
    assert "Rewrote the section so it follows on from go and see." in response.content.decode()


def test_listing_another_cohort_keeps_what_was_typed(client, login, personas, link, other_link):
    factories.FeedbackResponseFactory(link=other_link, what_better="Hard to find coaching times")
    spring = factories.EnrolmentFactory(coach=personas.coach, cohort__name="Spring cohort")
    spring_link = FeedbackLink.objects.create(session=factories.make_sessions(spring)[0])
    factories.FeedbackResponseFactory(link=spring_link, what_better="Spring comment")
    login("manager", personas)
    response = client.post(
        reverse("feedback:change_create"),
        {"cohort": spring.cohort_id, "list": "1", "section": "Half-typed section", "description": "Half a thought"},
    )
    content = response.content.decode()
    assert "Half-typed section" in content and "Half a thought" in content
    assert "Spring comment" in content and "Hard to find coaching times" not in content
    assert ContentChange.objects.count() == 0


def test_two_managers_editing_one_change_the_second_is_refused(client, login, personas):
    change = factories.ContentChangeFactory(section="Session 1 slides", description="First words.")
    login("manager", personas)
    url = reverse("feedback:change_edit", kwargs={"pk": change.pk})
    opened = client.get(url).context["form"]["version"].value()
    data = {
        "template": change.template_id,
        "section": "Session 1 slides",
        "kind": "spelling",
        "made_on": "2025-10-01",
        "version": opened,
    }
    assert client.post(url, {**data, "description": "Alice's words."}).status_code == 302
    refused = client.post(url, {**data, "description": "Bob's words."})
    assert refused.status_code == 200
    content = refused.content.decode()
    assert "Someone else saved this content change while you were editing it" in content
    assert "Bob&#x27;s words." in content and "Alice&#x27;s words." in content  # both, side by side
    change.refresh_from_db()
    assert change.description == "Alice's words."
    # Having seen the latest version, Bob saves deliberately.
    latest_version = refused.context["form"]["version"].value()
    assert latest_version == "2"
    again = client.post(url, {**data, "description": "Bob's words.", "version": latest_version})
    assert again.status_code == 302
    change.refresh_from_db()
    assert change.description == "Bob's words."


# --- CSV export ----------------------------------------------------------------------------------


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


HEADER = [
    "team",
    "site",
    "cohort",
    "session_number",
    "session_date",
    "submitted_on",
    "could_improve",
    "rating",
    "what_worked",
    "what_would_make_it_better",
]


def test_export_manager_gets_every_response_with_iso_dates(client, login, personas, link, other_link):
    factories.FeedbackResponseFactory(
        link=link, could_improve="not_sure", rating=4, what_worked="=1+1", what_better="More"
    )
    factories.FeedbackResponseFactory(link=other_link, submitted_on=dt.date(2025, 9, 23))
    login("manager", personas)
    response = client.get("/exports/feedback.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _rows(response)
    assert rows[0] == HEADER
    site = personas.enrolment.team.site.code
    other_site = personas.other_enrolment.team.site.code
    mine = ["Education support team", site, "Autumn cohort", "1", "2025-09-22", "2025-09-22", "Not sure", "4"]
    theirs = ["Pharmacy team", other_site, "Autumn cohort", "1", "2025-09-22", "2025-09-23", "Yes", "5"]
    # A comment that a spreadsheet would run as a formula is defused with an apostrophe.
    assert sorted(rows[1:]) == sorted([[*mine, "'=1+1", "More"], [*theirs, "", ""]])


def test_export_coach_gets_only_their_sessions(client, login, personas, link, other_link):
    factories.FeedbackResponseFactory(link=link, what_better="Mine")
    factories.FeedbackResponseFactory(link=other_link, what_better="Theirs")
    login("coach", personas)
    rows = _rows(client.get("/exports/feedback.csv"))
    assert [row[0] for row in rows[1:]] == ["Education support team"]
    assert rows[1][9] == "Mine"


def test_export_lead_gets_the_sessions_the_pages_show_without_comments(client, login, personas, link, other_link):
    for _ in range(5):
        factories.FeedbackResponseFactory(link=link, what_better="Identifying detail")
    for _ in range(6):
        factories.FeedbackResponseFactory(link=other_link)
    small = FeedbackLink.objects.create(session=personas.other_enrolment.sessions.get(number=2))
    factories.FeedbackResponseFactory(link=small)  # too few; and the other team's session 1 hides with it
    login("lead", personas)
    rows = _rows(client.get("/exports/feedback.csv"))
    assert rows[0] == HEADER
    assert len(rows) == 6
    assert {row[0] for row in rows[1:]} == {"Education support team"}
    assert {(row[8], row[9]) for row in rows[1:]} == {("", "")}


def test_export_queries_do_not_grow(client, login, personas, link):
    login("manager", personas)
    _add_responses(link, 2)
    with CaptureQueriesContext(connection) as small:
        _rows(client.get("/exports/feedback.csv"))
    _add_responses(link, 50)
    with CaptureQueriesContext(connection) as big:
        assert len(_rows(client.get("/exports/feedback.csv"))) == 53
    # Django's session and user (2), groups (1), the responses with their sessions (1).
    assert len(small) == len(big) == 4


# --- The include for the session page (programmes:session) -------------------------------------


@pytest.mark.parametrize(
    ("persona", "shows", "hides"),
    [
        (
            "coach",
            ["Feedback form: <strong>open</strong>", '<svg role="img"', "Close feedback", "Printable poster"],
            [],
        ),
        ("manager", ["Close feedback", '<svg role="img"'], []),
        ("lead", ["Not shown: fewer than 5 responses"], ["<svg", "Close feedback", "/feedback/"]),
    ],
)
def test_session_page_include_renders_for_each_role(rf, personas, link, persona, shows, hides):
    from django.template.loader import render_to_string

    from feedback.selectors import session_feedback_panel

    factories.FeedbackResponseFactory(link=link)
    user = getattr(personas, persona)
    request = rf.get(f"/programmes/sessions/{link.session_id}/")
    request.user = user
    session = type(link.session).objects.select_related("enrolment").get(pk=link.session_id)
    html = render_to_string(
        "feedback/_session_feedback.html",
        {"panel": session_feedback_panel(session=session, user=user)},
        request=request,
    )
    for text in shows:
        assert text in html
    for text in hides:
        assert text not in html
    if persona != "lead":
        assert f'name="next" value="/programmes/sessions/{link.session_id}/"' in html


# --- The shared device switch: the session's coach and managers only -----------------------------

SHARED_DEVICE_SWITCH = {**SESSION_WRITE, "no_role": 403}


def shared_device_url(link, next_: str | None = None) -> str:
    url = reverse("feedback:session_shared_device", kwargs={"session_pk": link.session_id})
    return url if next_ is None else f"{url}?next={next_}"


@pytest.mark.parametrize("persona", PERSONAS_AND_NO_ROLE)
def test_shared_device_switch_permissions(client, login, personas, link, persona):
    allowed = persona in ("manager", "coach")
    url = shared_device_url(link)
    persona_request(login, personas, persona, url, SHARED_DEVICE_SWITCH, method="post", data={"shared_device": "on"})
    link.refresh_from_db()
    assert (link.shared_device_until is not None) is allowed
    if not allowed:  # and nor can they turn off the one a coach turned on
        feedback_shared_device_set(session=link.session, on=True, now=timezone.now())
    persona_request(login, personas, persona, url, SHARED_DEVICE_SWITCH, method="post", data={"shared_device": "off"})
    link.refresh_from_db()
    assert (link.shared_device_until is None) is allowed


def test_shared_device_switch_refuses_get(client, login, personas, link):
    login("coach", personas)
    assert client.get(shared_device_url(link)).status_code == 405


def test_shared_device_switch_needs_the_csrf_token(personas, link):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas.coach)
    session_page = reverse("programmes:session", kwargs={"pk": link.session_id})
    assert browser.post(shared_device_url(link), {"shared_device": "on"}).status_code == 403
    link.refresh_from_db()
    assert link.shared_device_until is None
    page = browser.get(session_page).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    action = re.search(r'<form method="post" action="([^"]+)">\s*<input type="hidden" name="csrfmiddlewaretoken"'
                       r'[^>]*><input type="hidden" name="shared_device" value="on">', page).group(1)  # fmt: skip
    response = browser.post(html.unescape(action), {"shared_device": "on", "csrfmiddlewaretoken": token})
    assert (response.status_code, response["Location"]) == (302, session_page)
    link.refresh_from_db()
    assert link.shared_device_until is not None


@time_machine.travel(dt.datetime(2025, 9, 22, 14, 5, tzinfo=dt.UTC), tick=False)
def test_shared_device_on_for_four_hours_then_off_says_so(client, login, personas, link):
    login("coach", personas)
    response = client.post(shared_device_url(link), {"shared_device": "on"}, follow=True)
    link.refresh_from_db()
    assert link.shared_device_until == dt.datetime(2025, 9, 22, 18, 5, tzinfo=dt.UTC)
    content = response.content.decode()
    # 19:05 in London (British Summer Time).
    assert "Shared device on for session 1 until 19:05: after each answer the form offers the next person" in content
    assert "<strong>Shared device: on</strong> until 19:05." in content
    assert "Stop sharing a device" in content
    response = client.post(shared_device_url(link), {"shared_device": "off"}, follow=True)
    assert "Shared device off for session 1." in response.content.decode()
    assert "Share one device" in response.content.decode()
    link.refresh_from_db()
    assert link.shared_device_until is None


@pytest.mark.parametrize("value", ["", "yes", "ON"])
def test_shared_device_switch_with_a_bad_value_changes_nothing_and_says_so(client, login, personas, link, value):
    login("coach", personas)
    response = client.post(shared_device_url(link), {"shared_device": value}, follow=True)
    assert response.status_code == 200
    assert "Choose whether to turn the shared device on or off." in response.content.decode()
    link.refresh_from_db()
    assert link.shared_device_until is None


def test_shared_device_needs_an_open_link(client, login, personas, session_1, link):
    login("coach", personas)
    client.post(reverse("feedback:session_close", kwargs={"session_pk": session_1.pk}))
    response = client.post(shared_device_url(link), {"shared_device": "on"}, follow=True)
    assert "The feedback form is closed: reopen it before sharing a device." in response.content.decode()
    link.delete()
    response = client.post(shared_device_url(link), {"shared_device": "on"}, follow=True)
    assert "Open the feedback form first: a shared device answers its form." in response.content.decode()


@pytest.mark.parametrize(
    ("next_", "expected"),
    [
        ("/feedback/session/{pk}/", "/feedback/session/{pk}/"),
        ("https://evil.example.com/", "/programmes/sessions/{pk}/"),
        ("//evil.example.com/", "/programmes/sessions/{pk}/"),
        ("oops", "/programmes/sessions/{pk}/"),
        (None, "/programmes/sessions/{pk}/"),
    ],
)
def test_shared_device_returns_to_its_page_but_never_off_site(client, login, personas, link, next_, expected):
    login("manager", personas)
    pk = link.session_id
    url = shared_device_url(link, None if next_ is None else quote(next_.format(pk=pk), safe=""))
    assert client.post(url, {"shared_device": "on"})["Location"] == expected.format(pk=pk)


@pytest.mark.parametrize(
    ("persona", "shows"),
    [("coach", True), ("manager", True), ("lead", False)],
)
def test_session_page_offers_the_shared_device_switch_to_its_coach_and_managers(
    client, login, personas, link, persona, shows
):
    login(persona, personas)
    url = reverse("programmes:session", kwargs={"pk": link.session_id})
    content = client.get(url).content.decode()
    assert ("Share one device" in content) is shows
    assert (f'action="{shared_device_url(link, quote(url, safe="/"))}"' in content) is shows


def test_closed_link_offers_no_shared_device_and_closing_ends_it(client, login, personas, link):
    login("coach", personas)
    client.post(shared_device_url(link), {"shared_device": "on"})
    client.post(reverse("feedback:session_close", kwargs={"session_pk": link.session_id}))
    link.refresh_from_db()
    assert link.shared_device_until is None
    content = client.get(reverse("feedback:session", kwargs={"session_pk": link.session_id})).content.decode()
    assert "Share one device" not in content and "Shared device: on" not in content


# --- The site address note (feedback.site_address) ------------------------------------------------


def _note_pages(client, session) -> list:
    FeedbackLink.objects.get_or_create(session=session, defaults={"is_open": True})
    return [
        client.get(reverse("feedback:poster", kwargs={"session_pk": session.pk})),
        client.get(reverse("feedback:session", kwargs={"session_pk": session.pk})),
    ]


def test_poster_and_session_feedback_warn_of_a_loopback_site_address(login, personas, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    session = personas.enrolment.sessions.get(number=1)
    for response in _note_pages(login("coach", personas), session):
        assert response.status_code == 200
        assertContains(
            response,
            "This address (http://127.0.0.1:8000) works only on this computer: phones cannot reach it. "
            "Set QMS_SITE_URL to the address staff use.",
        )
        assertContains(response, 'class="alert alert-warning d-print-none"')
        # The test client's own address (testserver:80) is not the printed one either.
        assertContains(response, "but you opened this page at http://testserver.")


def test_no_note_when_the_site_address_is_the_one_in_use(login, personas, settings):
    settings.SITE_URL = "http://testserver"
    session = personas.enrolment.sessions.get(number=1)
    for response in _note_pages(login("manager", personas), session):
        assert response.status_code == 200
        assertNotContains(response, 'id="site-address-note"')


def test_note_when_another_reachable_address_is_in_use(login, personas, settings):
    settings.SITE_URL = "https://qms.example.nhs.uk"
    session = personas.enrolment.sessions.get(number=1)
    for response in _note_pages(login("coach", personas), session):
        assertNotContains(response, "works only on this computer")
        assertContains(
            response,
            "The link and QR code use https://qms.example.nhs.uk, but you opened this page at http://testserver. "
            "If attendees should use http://testserver, set QMS_SITE_URL to it.",
        )
