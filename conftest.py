"""Shared fixtures: personas for permission tests, services, and the browser."""

from __future__ import annotations

import os
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from programmes.models import Enrolment
from tests import factories
from tests.html_checker import NuChecker, checker_missing, describe


def require_service(name: str, available: bool, why: str = "") -> None:
    """Skip a test whose service is missing, or fail it when CI says every service must be there."""
    if available:
        return
    message = f"{name} is not available{': ' + why if why else ''}"
    if os.environ.get("QMS_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message} (QMS_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(message)


def skip_unless_postgresql() -> None:
    """For tests of parallel writers: SQLite runs one writer at a time, so there is nothing to race.
    A skip even in CI, whose SQLite pass runs the rest of the suite on purpose."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time")


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests (browser, Celery worker) empty the database when they end, rows the data
    migrations made included; put the groups, tools and default programme back before each one."""
    if _is_transactional(request):
        request.getfixturevalue("transactional_db")
        from django.apps import apps

        from programmes.reference_data import reference_data_ensure

        reference_data_ensure(apps)


@dataclass
class Personas:
    """The five people every view is walked through, and a logged-in user with no role."""

    manager: User
    coach: User  # coaches `enrolment`
    other_coach: User  # coaches another team
    lead: User
    no_role: User  # logged in, in no group (see PERSONAS_AND_NO_ROLE)
    enrolment: Enrolment
    other_enrolment: Enrolment

    def user(self, name: str) -> User | None:
        """`anonymous` gives None."""
        return None if name == "anonymous" else getattr(self, name)


PERSONAS = ["manager", "coach", "other_coach", "lead", "anonymous"]
# And the user with no role. Not in PERSONAS, because what that user gets is not one thing: pages
# behind a role decorator refuse them (403), the programmes pages behind a login alone do not find
# the team (404, as for another coach), and several walks over PERSONAS have no row for them. A walk
# over this list needs "no_role" in its expected statuses (tests.helpers' role tables have it).
PERSONAS_AND_NO_ROLE = [*PERSONAS, "no_role"]


@pytest.fixture
def personas(db) -> Personas:
    manager = factories.ManagerFactory(username="manager", first_name="Mina", last_name="Manager")
    coach = factories.CoachFactory(username="coach", first_name="Cara", last_name="Coach")
    other_coach = factories.CoachFactory(username="othercoach", first_name="Omar", last_name="Other")
    lead = factories.LeadFactory(username="lead", first_name="Lee", last_name="Lead")
    no_role = factories.UserFactory(username="norole", first_name="Nia", last_name="Newstarter")
    cohort = factories.CohortFactory(owner=manager, name="Autumn cohort")
    enrolment = factories.EnrolmentFactory(cohort=cohort, coach=coach, team__name="Education support team")
    other_enrolment = factories.EnrolmentFactory(cohort=cohort, coach=other_coach, team__name="Pharmacy team")
    factories.make_sessions(enrolment)
    factories.make_sessions(other_enrolment)
    return Personas(
        manager=manager,
        coach=coach,
        other_coach=other_coach,
        lead=lead,
        no_role=no_role,
        enrolment=enrolment,
        other_enrolment=other_enrolment,
    )


@pytest.fixture
def superuser(client):
    """The test client signed in as a superuser, for the Django admin."""
    user = User.objects.create_superuser("root", "root@example.nhs.uk", "x-password-1")
    client.force_login(user)
    return client


@pytest.fixture
def login(client):
    """login("coach", personas) logs the client in as that persona ("no_role" too); "anonymous" logs out."""

    def _login(name: str, people: Personas):
        client.logout()
        user = people.user(name)
        if user is not None:
            client.force_login(user)
        return client

    return _login


# --- Browser -------------------------------------------------------------------------------

CHROMIUM = os.environ.get("QMS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
# axe-core rule tags for WCAG 2.0, 2.1 and 2.2, levels A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="session")
def chromium_browser():
    require_service("Chromium", Path(CHROMIUM).exists() or bool(shutil.which(CHROMIUM)), CHROMIUM)
    # Playwright's sync API runs an event loop in this thread; the Django ORM calls the tests
    # make between browser steps are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def html_checker():
    """The Nu HTML checker's service, one JVM for the whole run (tests/html_checker.py), or None
    with a warning when Java or vnu.jar is missing here (a failure in CI)."""
    why = checker_missing()
    if why:
        if os.environ.get("QMS_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Nu HTML checker is not available: {why} (QMS_REQUIRE_SERVICES=1)", pytrace=False)
        warnings.warn(f"HTML validity is not checked: {why}", stacklevel=1)
        yield None
        return
    checker = NuChecker()
    # Ready before any page loads: a JVM starting beside the first page (two CPUs) made it time out.
    checker.wait_ready()
    yield checker
    checker.close()


class BrowserPage:
    """A Playwright page that insists every page it loads is checked with axe-core, and that every
    HTML document the live server sends it is valid HTML (the Nu checker, when there is one)."""

    def __init__(self, page, base_url: str, html_checker: NuChecker | None = None):
        self.page = page
        self.base_url = base_url
        self.loaded: list[str] = []
        self.checked: set[str] = set()
        self.html_checker = html_checker
        self.documents: list[tuple[str, str]] = []  # (url, HTML) not yet validated
        page.on("load", lambda p: self.loaded.append(self._path(p.url)))
        if html_checker is not None:
            page.on("response", self._keep_document)

    def _keep_document(self, response) -> None:
        """Keep the HTML of each page the server sends the main frame: every navigation, clicks and
        form posts included. Redirects have no body; downloads (CSV, PDF, iCalendar) are not HTML."""
        request = response.request
        if request.resource_type != "document" or request.frame != self.page.main_frame:
            return
        if not response.url.startswith(self.base_url) or 300 <= response.status < 400:
            return
        if not response.headers.get("content-type", "").startswith("text/html"):
            return
        html = response.text()
        self.html_checker.submit(html)  # checked in the background while the test goes on
        self.documents.append((response.url, html))

    def check_html(self) -> None:
        """Errors from the Nu HTML checker in any document received since the last check fail the test."""
        documents, self.documents = self.documents, []
        if self.html_checker is None:
            return
        report = [
            f"{self._path(url)}:\n{describe(errors)}"
            for url, html in dict.fromkeys(documents)
            if (errors := self.html_checker.errors(html))
        ]
        if report:
            pytest.fail("Invalid HTML (Nu HTML checker):\n" + "\n".join(report), pytrace=False)

    def _path(self, url: str) -> str:
        return url.removeprefix(self.base_url).split("#")[0]

    def goto(self, path: str):
        self.page.goto(self.base_url + path)
        self.check_accessibility()
        return self.page

    def check_accessibility(self) -> None:
        """Serious or critical WCAG 2 A/AA violations on the current page fail the test."""
        from axe_playwright_python.sync_playwright import Axe

        self.page.wait_for_load_state("load")
        results = Axe().run(self.page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        bad = [v for v in results.response["violations"] if v.get("impact") in {"serious", "critical"}]
        if bad:
            details = "\n".join(
                f"- {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in bad
            )
            pytest.fail(f"Accessibility violations on {self.page.url}:\n{details}", pytrace=False)
        self.checked.add(self._path(self.page.url))
        self.check_html()

    def login(self, username: str, password: str = factories.DEFAULT_PASSWORD) -> None:
        page = self.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        self.check_accessibility()


@pytest.fixture
def browser_page(chromium_browser, live_server, html_checker, settings):
    # The journeys read the pages as people do: on PostgreSQL their figures are kept until the next
    # write (core.figures_cache), so a journey that writes and then reads sees what was written.
    settings.QMS_FIGURES_CACHE = True
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    wrapper = BrowserPage(page, live_server.url, html_checker)
    yield wrapper
    context.close()
    wrapper.check_html()  # documents that came after the last accessibility check
    unchecked = [path for path in dict.fromkeys(wrapper.loaded) if path not in wrapper.checked]
    if unchecked:
        pytest.fail(f"Pages loaded but not checked with axe-core: {unchecked}", pytrace=False)
