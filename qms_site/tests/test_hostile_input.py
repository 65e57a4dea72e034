"""Hostile input to every form in the project: no 500, and nothing saved by a refused post.

Each page a manager or this team's coach can open is read, every form on it (wherever it sends to:
posts, and the GET filter forms of the lists and dashboards alike) is found in its HTML, and
hypothesis sends generated values to its fields: huge and empty strings, NUL and other control
characters, unicode, negative and huge numbers, wrong types, missing fields, repeated fields,
impossible dates, and forged ids of another coach's records. A response must be below 500; a post
that is not followed by a redirect (the form came back, or a 4xx) must leave every programme,
coaching, checklist and feedback row as it was.

The number of examples per form comes from the hypothesis profile (qms_site/pytest_plugin.py): `ci`
in CI, more on a developer's machine.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.concurrency import has_version, version_field
from programmes.tests.fast_passwords import fast_passwords  # noqa: F401 - personas make six users
from tests.world import make_world, url_for

# The pages whose forms are walked, and who walks them: this team's coach where a coach works,
# the manager elsewhere, an attendee (anonymous) on the public feedback form and the huddle check-in.
PAGES = {
    "coach": [
        "programmes:session_held",
        "programmes:session_cancel",
        "programmes:session_move",
        "programmes:session",
        "coaching:agreement",
        "coaching:my_teams",
        "checklists:checklist",
        "feedback:session",
        "feedback:huddle_sheet",
    ],
    "manager": [
        "programmes:team_create",
        "programmes:team_edit",
        "programmes:team",
        "programmes:meeting_create",
        "programmes:meeting_edit",
        "programmes:cohort_create",
        "programmes:cohort_edit",
        "programmes:enrolment_create",
        "programmes:enrolment_edit",
        "programmes:enrolment",
        "programmes:versions",
        "programmes:version_edit",
        "programmes:version_detail",
        "programmes:pdsa_create",
        "programmes:pdsa_edit",
        "coaching:reminders",
        "checklists:tool_add",
        "checklists:tool_edit",
        "feedback:change_create",
        "feedback:change_edit",
        "dashboards:progress",
    ],
    "anonymous": ["feedback:form", "feedback:huddle"],
}
# Forms every page has that would end the walk: logging out.
SKIPPED_ACTIONS = {"/accounts/logout/"}
APPS = ("programmes", "coaching", "checklists", "feedback")


class FormFinder(HTMLParser):
    """The forms of a page: their method, action and the names of their fields."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, str, set[str]]] = []
        self._current: tuple[str, str, set[str]] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._current = ((attrs.get("method") or "get").lower(), attrs.get("action") or "", set())
        elif tag in ("input", "select", "textarea", "button") and self._current and attrs.get("name"):
            if attrs["name"] != "csrfmiddlewaretoken":
                self._current[2].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form" and self._current is not None:
            self.forms.append(self._current)
            self._current = None


def forms_on(html: str, page_url: str) -> dict[tuple[str, str], set[str]]:
    """(method, address) -> the field names of the page's forms that send there."""
    finder = FormFinder()
    finder.feed(html)
    found: dict[tuple[str, str], set[str]] = {}
    for method, action, names in finder.forms:
        target = urlsplit(action).path or page_url
        if target not in SKIPPED_ACTIONS:
            found.setdefault((method, target), set()).update(names)
    return found


def snapshot() -> dict[str, tuple]:
    """Every row of the apps that hold what people type, as counts and summed versions."""
    state = {}
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            rows = model.objects.all()
            # A history record copies its row's fields, not the model's VERSION_FIELD: no summed version.
            historical = any(field.name == "history_id" for field in model._meta.concrete_fields)
            versioned = has_version(model) and not historical
            total = rows.aggregate(total=Sum(version_field(model)))["total"] if versioned else None
            state[model._meta.label] = (rows.count(), total)
    return state


def hostile_values(forged: list[str]) -> st.SearchStrategy:
    """One field's value: strings, numbers, dates and ids that a careless user or an attacker sends."""
    text = st.text(st.characters(codec="utf-8"), max_size=300)
    control = st.text(st.characters(min_codepoint=0, max_codepoint=31), min_size=1, max_size=20)
    return st.one_of(
        st.just(""),
        st.just("\x00"),
        st.just("x" * 100_000),
        text,
        control,
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        st.sampled_from(
            [
                "9999-12-31",
                "0000-00-00",
                "2025-02-30",
                "2025-13-01",
                "-1",
                "²",
                "١٢",
                "1e309",
                "None",
                "true",
                "[]",
                "{}",
                "2026-03-29T01:30",  # a London time the clocks skip
                "2025-10-26T01:30",  # and one they repeat
                "../../etc/passwd",
                "//evil.example/",
                "javascript:alert(1)",
                "<script>alert(1)</script>",
                "' OR 1=1 --",
            ]
        ),
        st.sampled_from(forged),
    )


def post_data(names: set[str], forged: list[str]) -> st.SearchStrategy:
    """A post of the form's fields (some left out, some sent twice) and a stray one."""
    field = st.one_of(hostile_values(forged), st.lists(hostile_values(forged), min_size=2, max_size=3))
    return st.fixed_dictionaries({}, optional={name: field for name in sorted({*names, "unexpected"})})


@pytest.fixture
def world(personas):
    """Made once per test: hypothesis runs the test body many times with the same fixtures."""
    return make_world(personas)


@pytest.fixture
def page_forms(persona, name, personas, world, login) -> dict[tuple[str, str], set[str]]:
    """The forms of the page as it first opens, read once: every example sends to the same ones."""
    page = url_for(name, world)
    response = login(persona, personas).get(page)
    assert response.status_code == 200, page
    forms = forms_on(response.content.decode(), page)
    assert forms, f"no form on {page}"
    return forms


@pytest.mark.parametrize(("persona", "name"), [(persona, name) for persona, names in PAGES.items() for name in names])
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_posts_get_no_500_and_save_nothing(persona, name, data, personas, page_forms, forged, login):
    # Each example starts from the same rows (its writes are rolled back at its end), so that
    # hypothesis can replay and shrink a failing one.
    with transaction.atomic():
        for (method, action), names in sorted(page_forms.items()):
            client = login(persona, personas)  # a post may have logged out or rotated the session
            values = data.draw(post_data(names, forged), label=f"{method} {action}")
            before = snapshot()
            response = getattr(client, method)(action, values)
            assert response.status_code < 500, (method, action, values)
            if method == "get" or response.status_code != 302:
                assert snapshot() == before, (method, action, values)
        transaction.set_rollback(True)


@pytest.fixture
def forged(personas) -> list[str]:
    """Ids of the other coach's team's records, which the coach must not reach. Read once and in
    a fixed order: hypothesis replays its examples from the same choices."""
    other = personas.other_enrolment
    sessions = other.sessions.order_by("number").values_list("pk", flat=True)[:3]
    return [str(i) for i in (other.pk, other.team_id, other.cohort_id, *sessions)]
