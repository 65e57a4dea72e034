"""Every URL pattern in the project, walked by every persona with GET and POST.

The table below is the whole access policy in one place: for each URL name, the status each
persona gets. A URL pattern without an entry fails test_every_url_has_an_entry, so a new page
cannot ship without saying who may use it. "login" in the table: anonymous is sent to the login
page and back (302 to /accounts/login/?next=...).

Objects are those of the coach's team (personas.enrolment): "coach" is this team's coach,
"other_coach" coaches another team and must never see this team's records (404). POSTs carry
no form data: a permitted user gets the form back with its errors (200), or the action's redirect
(302); nothing in the table may be a 500.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from programmes.tests.fast_passwords import fast_passwords  # noqa: F401 - personas make six users
from tests.world import TEAM_RECORDS, URL_ARGS, make_world, url_for

PERSONAS = ["lead", "no_role", "other_coach", "anonymous", "coach", "manager"]  # writers last
LOGIN = "login"
L = LOGIN

# name -> {"get": (manager, coach, other_coach, lead, no_role, anonymous), "post": (...)}
ORDER = ("manager", "coach", "other_coach", "lead", "no_role", "anonymous")
MATRIX: dict[str, dict[str, tuple]] = {
    "audit": {"get": (200, 403, 403, 403, 403, L), "post": (405, 405, 405, 405, 405, 405)},
    "audit_csv": {"get": (200, 403, 403, 403, 403, L), "post": (405, 405, 405, 405, 405, 405)},
    "checklists:checklist": {"get": (200, 200, 404, 403, 403, L), "post": (200, 200, 404, 403, 403, L)},
    "checklists:checklist_history": {"get": (200, 200, 404, 200, 403, L), "post": (405, 405, 405, 405, 405, 405)},
    "checklists:checklist_print": {"get": (200, 200, 404, 200, 403, L), "post": (405, 405, 405, 405, 405, 405)},
    "checklists:enrolment_summary": {"get": (200, 200, 404, 200, 403, L), "post": (405, 405, 405, 405, 405, 405)},
    "checklists:tool_add": {"get": (200, 403, 403, 403, 403, L), "post": (200, 403, 403, 403, 403, L)},
    "checklists:tool_edit": {"get": (200, 403, 403, 403, 403, L), "post": (200, 403, 403, 403, 403, L)},
    "checklists:tool_list": {"get": (200, 403, 403, 403, 403, L), "post": (405, 405, 405, 405, 405, 405)},
    "coaching:agreement": {"get": (200, 200, 404, 403, 404, L), "post": (200, 200, 404, 403, 404, L)},
    "coaching:agreement_meeting": {"get": (405, 405, 405, 405, 405, L), "post": (200, 200, 404, 403, 404, L)},
    "coaching:calendar": {"get": (200, 200, 200, 200, 200, 200), "post": (405, 405, 405, 405, 405, 405)},
    "coaching:calendar_reset": {"get": (405, 405, 405, 405, 405, L), "post": (302, 302, 302, 403, 403, L)},
    "coaching:digest_retry": {"get": (405, 405, 405, 405, 405, 405), "post": (302, 403, 403, 403, 403, L)},
    "coaching:invitation_retry": {"get": (405, 405, 405, 405, 405, 405), "post": (302, 403, 403, 403, 403, L)},
    "coaching:invitations": {"get": (200, 200, 200, 403, 403, L), "post": (302, 302, 302, 403, 403, L)},
    "coaching:my_teams": {"get": (200, 200, 200, 403, 403, L), "post": (405, 405, 405, 405, 405, 405)},
    "coaching:reminder_retry": {"get": (405, 405, 405, 405, 405, 405), "post": (302, 403, 403, 403, 403, L)},
    "coaching:reminders": {"get": (200, 403, 403, 403, 403, L), "post": (405, 405, 405, 405, 405, 405)},
    "coaching:team_calendar_reset": {"get": (405, 403, 403, 403, 403, L), "post": (302, 403, 403, 403, 403, L)},
    "dashboards:aim": {"get": (200, 403, 403, 200, 403, L), "post": (405, 403, 403, 405, 403, L)},
    "dashboards:cohort": {"get": (200, 403, 403, 200, 403, L), "post": (405, 403, 403, 405, 403, L)},
    "dashboards:cohort_report": {"get": (200, 403, 403, 200, 403, L), "post": (405, 403, 403, 405, 403, L)},
    "dashboards:cohort_report_pdf": {"get": (200, 403, 403, 200, 403, L), "post": (405, 403, 403, 405, 403, L)},
    "dashboards:progress": {"get": (200, 200, 200, 200, 403, L), "post": (405, 405, 405, 405, 403, L)},
    "dashboards:week": {"get": (200, 200, 200, 403, 403, L), "post": (405, 405, 405, 405, 405, 405)},
    "feedback:change_create": {"get": (200, 403, 403, 403, 403, L), "post": (200, 403, 403, 403, 403, L)},
    "feedback:change_edit": {"get": (200, 403, 403, 403, 403, L), "post": (200, 403, 403, 403, 403, L)},
    "feedback:changes": {"get": (200, 200, 200, 200, 403, L), "post": (405, 405, 405, 405, 403, L)},
    "feedback:form": {"get": (200, 200, 200, 200, 200, 200), "post": (200, 200, 200, 200, 200, 200)},
    "feedback:overview": {"get": (200, 200, 200, 200, 403, L), "post": (405, 405, 405, 405, 403, L)},
    "feedback:poster": {"get": (200, 200, 404, 403, 403, L), "post": (405, 405, 405, 405, 403, L)},
    "feedback:session": {"get": (200, 200, 404, 403, 403, L), "post": (405, 405, 405, 405, 403, L)},
    "feedback:session_close": {"get": (405, 405, 405, 405, 403, L), "post": (302, 302, 404, 403, 403, L)},
    "feedback:session_open": {"get": (405, 405, 405, 405, 403, L), "post": (302, 302, 404, 403, 403, L)},
    "feedback:session_shared_device": {"get": (405, 405, 405, 405, 403, L), "post": (302, 302, 404, 403, 403, L)},
    "feedback:thanks": {"get": (200, 200, 200, 200, 200, 200), "post": (405, 405, 405, 405, 405, 405)},
    # The huddle check-in from the team's board: no login. Posted empty, its form asks again (200);
    # its confirmation, with no huddle recorded today, sends back to the check-in (302).
    "feedback:huddle": {"get": (200, 200, 200, 200, 200, 200), "post": (200, 200, 200, 200, 200, 200)},
    "feedback:huddle_recorded": {"get": (302, 302, 302, 302, 302, 302), "post": (405, 405, 405, 405, 405, 405)},
    "feedback:huddle_sheet": {"get": (200, 200, 404, 403, 403, L), "post": (405, 405, 405, 405, 403, L)},
    "feedback:huddle_reset": {"get": (405, 405, 405, 405, 403, L), "post": (302, 302, 404, 403, 403, L)},
    "feedback_csv": {"get": (200, 200, 200, 200, 403, L), "post": (405, 405, 405, 405, 403, L)},
    "favicon": {"get": (301, 301, 301, 301, 301, 301), "post": (405, 405, 405, 405, 405, 405)},
    "healthz": {"get": (200, 200, 200, 200, 200, 200), "post": (405, 405, 405, 405, 405, 405)},
    "home": {"get": (200, 200, 200, 200, 200, L), "post": (405, 405, 405, 405, 405, 405)},
    "login": {"get": (302, 302, 302, 302, 302, 200), "post": (302, 302, 302, 302, 302, 200)},
    "logout": {"get": (405, 405, 405, 405, 405, 405), "post": (302, 302, 302, 302, 302, 302)},
    # Sign-in with the Trust's accounts: not configured here, so not found (configured, every persona:
    # core/tests/test_oidc.py).
    "oidc:authenticate": {"get": (404, 404, 404, 404, 404, 404), "post": (404, 404, 404, 404, 404, 404)},
    "oidc:callback": {"get": (404, 404, 404, 404, 404, 404), "post": (404, 404, 404, 404, 404, 404)},
    "programmes:cohort": {"get": (200, 403, 403, 200, 403, L), "post": (405, 405, 405, 405, 405, 405)},
    "programmes:cohort_create": {"get": (200, 403, 403, 403, 403, L), "post": (200, 403, 403, 403, 403, L)},
    "programmes:cohort_edit": {"get": (200, 403, 403, 403, 403, L), "post": (200, 403, 403, 403, 403, L)},
    "programmes:cohorts": {"get": (200, 403, 403, 200, 403, L), "post": (405, 405, 405, 405, 405, 405)},
    "programmes:enrolment": {"get": (200, 200, 404, 200, 404, L), "post": (405, 405, 405, 405, 405, 405)},
    "programmes:enrolment_create": {"get": (200, 403, 403, 403, 403, L), "post": (200, 403, 403, 403, 403, L)},
    "programmes:enrolment_edit": {"get": (200, 403, 403, 403, 403, L), "post": (200, 403, 403, 403, 403, L)},
    "programmes:enrolment_status": {"get": (405, 405, 405, 405, 405, 405), "post": (302, 403, 403, 403, 403, L)},
    "programmes:meeting_create": {"get": (200, 403, 403, 403, 403, L), "post": (200, 403, 403, 403, 403, L)},
    "programmes:meeting_edit": {"get": (200, 403, 403, 403, 403, L), "post": (200, 403, 403, 403, 403, L)},
    "programmes:pdsa_create": {"get": (200, 403, 403, 403, 403, L), "post": (200, 403, 403, 403, 403, L)},
    "programmes:pdsa_detail": {"get": (200, 200, 200, 200, 403, L), "post": (405, 405, 405, 405, 403, L)},
    "programmes:pdsa_edit": {"get": (200, 403, 403, 403, 403, L), "post": (200, 403, 403, 403, 403, L)},
    "programmes:pdsa_list": {"get": (200, 200, 200, 200, 403, L), "post": (405, 405, 405, 405, 403, L)},
    "programmes:session": {"get": (200, 200, 404, 200, 404, L), "post": (405, 405, 405, 405, 405, 405)},
    "programmes:session_cancel": {"get": (200, 200, 404, 403, 404, L), "post": (200, 200, 404, 403, 404, L)},
    "programmes:session_held": {"get": (200, 200, 404, 403, 404, L), "post": (200, 200, 404, 403, 404, L)},
    "programmes:session_move": {"get": (200, 200, 404, 403, 404, L), "post": (200, 200, 404, 403, 404, L)},
    "programmes:team": {"get": (200, 200, 404, 200, 404, L), "post": (405, 405, 405, 405, 405, 405)},
    "programmes:team_create": {"get": (200, 403, 403, 403, 403, L), "post": (200, 403, 403, 403, 403, L)},
    "programmes:team_edit": {"get": (200, 403, 403, 403, 403, L), "post": (200, 403, 403, 403, 403, L)},
    "programmes:teams": {"get": (200, 403, 403, 200, 403, L), "post": (405, 405, 405, 405, 405, 405)},
    "programmes:version_delete": {"get": (405, 403, 403, 403, 403, L), "post": (302, 403, 403, 403, 403, L)},
    "programmes:version_detail": {"get": (200, 200, 200, 200, 403, L), "post": (405, 405, 405, 405, 403, L)},
    "programmes:version_draft": {"get": (405, 403, 403, 403, 403, L), "post": (200, 403, 403, 403, 403, L)},
    "programmes:version_edit": {"get": (200, 403, 403, 403, 403, L), "post": (200, 403, 403, 403, 403, L)},
    "programmes:version_publish": {"get": (405, 403, 403, 403, 403, L), "post": (302, 403, 403, 403, 403, L)},
    "programmes:versions": {"get": (200, 200, 200, 200, 403, L), "post": (405, 405, 405, 405, 403, L)},
    "ratings_csv": {"get": (200, 200, 200, 200, 403, L), "post": (405, 405, 405, 405, 405, 405)},
    "sessions_csv": {"get": (200, 200, 200, 200, 403, L), "post": (405, 405, 405, 405, 403, L)},
}


def walk(patterns, namespace: str | None = None):
    """Every URL name in the project's resolver, admin aside (Django's own, behind its own login)."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            yield from walk(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


@pytest.fixture
def world(personas):
    return make_world(personas)


def test_every_url_has_an_entry():
    names = set(walk(get_resolver().url_patterns))
    assert names - set(MATRIX) == set(), "URL patterns with no entry in the permission matrix"
    assert set(MATRIX) - names == set(), "entries for URL patterns that no longer exist"


RECORD = os.environ.get("QMS_MATRIX_RECORD")  # a path: write what each cell gets, to review


@pytest.mark.parametrize("name", sorted(MATRIX) or sorted(set(walk(get_resolver().url_patterns))))
def test_permission_matrix(name, client, personas, world, login):
    url = url_for(name, world)
    seen = {}
    for method in ("get", "post"):
        for persona in PERSONAS:
            response = getattr(login(persona, personas), method)(url, {})
            status = response.status_code
            if status == 302 and persona == "anonymous" and response["Location"] == f"/accounts/login/?next={url}":
                status = LOGIN
            seen.setdefault(method, {})[persona] = status
    if RECORD:
        with Path(RECORD).open("a") as out:
            out.write(json.dumps({"name": name, **{m: [seen[m][p] for p in ORDER] for m in seen}}) + "\n")
        return
    expected = MATRIX[name]
    for method in ("get", "post"):
        assert tuple(seen[method][p] for p in ORDER) == expected[method], method


def test_matrix_never_lets_another_coach_or_a_lead_write():
    """The policy itself, read from the table: another coach never gets this team's records, and
    neither a lead, nor someone with no role, nor anyone anonymous changes anything."""
    public = {"favicon", "healthz", "login", "logout", "feedback:form", "feedback:thanks", "coaching:calendar"}
    public |= {"feedback:huddle", "feedback:huddle_recorded"}  # the huddle check-in from the board
    public |= {"oidc:authenticate", "oidc:callback"}  # the way in, as the login page is
    own = {"coaching:calendar_reset", "coaching:invitations"}  # each person's own calendar address and invitations
    refused = (403, 404, 405)
    for name, cells in MATRIX.items():
        if name in public:
            continue
        get, post = (dict(zip(ORDER, cells[m], strict=True)) for m in ("get", "post"))
        assert get["anonymous"] in (LOGIN, 405), name
        assert post["anonymous"] in (LOGIN, 405), name
        assert post["lead"] in refused, name
        assert post["no_role"] in refused, name
        assert name in own or post["other_coach"] in refused, name
        if TEAM_RECORDS & set(URL_ARGS.get(name, ())):
            assert get["other_coach"] in refused, name
