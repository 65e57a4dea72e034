"""Fixtures for the reminder tests: a cohort with dated sessions, mail servers that fail, and URL
configurations with and without the pages the emails link to."""

from __future__ import annotations

import datetime as dt
import smtplib
import socket
import threading
import time
import types
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.core.mail.backends import locmem
from django.http import HttpResponse
from django.urls import include, path

from programmes.models import Cohort, Enrolment, EnrolmentStatus, Session
from programmes.services.progress import refresh_progress
from programmes.tests.fast_passwords import fast_passwords  # noqa: F401 (autouse)
from tests import factories

# The default template's due dates for session 1 on Monday 22 September 2025:
# 1: 22 Sep, 2: 29 Sep, 3: 13 Oct, 4: 27 Oct, 5: 10 Nov, 6: 24 Nov, 7: 8 Dec (12-week review),
# 8: 5 Jan 2026, 9: 2 Feb, 10: 9 Mar.
SESSION_1 = dt.date(2025, 9, 22)


@dataclass
class Programme:
    manager: User
    coach: User
    cohort: Cohort

    def enrol(
        self,
        *,
        held_through: int = 0,
        agreement: bool = True,
        coach: User | None | str = "default",
        status: EnrolmentStatus = EnrolmentStatus.ACTIVE,
        team_name: str | None = None,
    ) -> tuple[Enrolment, dict[int, Session]]:
        """An enrolment with the template's sessions; sessions 1..held_through held on their due date."""
        extra = {"team__name": team_name} if team_name else {}
        enrolment = factories.EnrolmentFactory(
            cohort=self.cohort,
            coach=self.coach if coach == "default" else coach,
            session1_date=SESSION_1,
            status=status,
            **extra,
        )
        sessions = {s.number: s for s in factories.make_sessions(enrolment)}
        held = [s for n, s in sessions.items() if n <= held_through]
        for session in held:
            session.held_on = session.due_date
        Session.objects.bulk_update(held, ["held_on"])
        refresh_progress([enrolment.pk])  # bulk_update sends no signals: keep the stored progress current
        if agreement:
            factories.CoachingAgreementFactory(enrolment=enrolment, agreed_by=enrolment.coach or self.manager)
        return enrolment, sessions


@pytest.fixture
def programme(db) -> Programme:
    manager = factories.ManagerFactory(username="helen", first_name="Helen", last_name="Morris")
    coach = factories.CoachFactory(username="rachel", first_name="Rachel", last_name="Evans")
    cohort = factories.CohortFactory(owner=manager, name="Autumn 2025 test bed")
    return Programme(manager=manager, coach=coach, cohort=cohort)


# --- Mail servers that fail ----------------------------------------------------------------------


class FlakyBackend(locmem.EmailBackend):
    """Django's test backend behind a mail server that drops the connection the first `failures` times."""

    failures = 0
    calls = 0
    error: Callable[[], Exception] = staticmethod(
        lambda: smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    )

    def send_messages(self, messages):
        FlakyBackend.calls += 1
        if FlakyBackend.calls <= FlakyBackend.failures:
            raise FlakyBackend.error()
        return super().send_messages(messages)


@pytest.fixture
def flaky_mail(settings):
    """flaky_mail(failures=2) makes the next two sends fail; error= sets what they raise."""

    def configure(*, failures: int, error: Callable[[], Exception] | None = None) -> type[FlakyBackend]:
        FlakyBackend.failures, FlakyBackend.calls = failures, 0
        if error is not None:
            FlakyBackend.error = staticmethod(error)
        settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
        return FlakyBackend

    yield configure
    FlakyBackend.failures, FlakyBackend.calls = 0, 0
    FlakyBackend.error = staticmethod(lambda: smtplib.SMTPServerDisconnected("Connection unexpectedly closed"))


@pytest.fixture
def refusing_smtp(settings) -> int:
    """Django's real SMTP backend pointed at a local port nobody listens on: connection refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return port


class GateBackend(locmem.EmailBackend):
    """Holds a send until the test opens the gate: to catch a second sender mid-send."""

    entered = threading.Event()
    gate = threading.Event()

    def send_messages(self, messages):
        GateBackend.entered.set()
        if not GateBackend.gate.wait(timeout=30):
            raise AssertionError("the test never opened the gate")
        return super().send_messages(messages)


@pytest.fixture
def gated_mail(settings) -> type[GateBackend]:
    GateBackend.entered = threading.Event()
    GateBackend.gate = threading.Event()
    settings.EMAIL_BACKEND = f"{__name__}.GateBackend"
    yield GateBackend
    GateBackend.gate.set()


class PeekBackend(locmem.EmailBackend):
    """Django's test backend that notes, as each message goes to the mail server, how the reminder
    rows stand in the database: (status, claim held, attempts) of each."""

    seen: list[list[tuple[str, bool, int]]] = []

    def send_messages(self, messages):
        from coaching.models import Reminder

        rows = Reminder.objects.order_by("pk").values_list("status", "claim", "attempts")
        PeekBackend.seen.append([(status, claim is not None, attempts) for status, claim, attempts in rows])
        return super().send_messages(messages)


@pytest.fixture
def peeking_mail(settings) -> type[PeekBackend]:
    PeekBackend.seen = []
    settings.EMAIL_BACKEND = f"{__name__}.PeekBackend"
    return PeekBackend


# --- Waiting on a condition -----------------------------------------------------------------------


def wait_until(condition: Callable[[], bool], *, timeout: float = 30, what: str = "condition") -> None:
    """Polls condition until it holds; fails the test after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


# --- URL configurations for the links in emails ---------------------------------------------------


def _page(request, *args, **kwargs):
    return HttpResponse("")


def urlconf(*, with_links: bool) -> types.ModuleType:
    """A URL configuration with (or without) the session, enrolment and calendar pages the emails
    link to, so the email tests do not depend on those pages being built yet."""
    module = types.ModuleType("reminder_test_urls")
    module.urlpatterns = []
    if with_links:
        programmes = [
            path("sessions/<int:pk>/", _page, name="session"),
            path("enrolments/<int:pk>/", _page, name="enrolment"),
        ]
        coaching = [path("calendar/<str:token>.ics", _page, name="calendar")]
        module.urlpatterns = [
            path("programmes/", include((programmes, "programmes"))),
            path("coaching/", include((coaching, "coaching"))),
        ]
    return module


@pytest.fixture
def email_links(settings):
    settings.ROOT_URLCONF = urlconf(with_links=True)
    settings.SITE_URL = "https://qms.example.nhs.uk"
    return settings


@pytest.fixture
def no_email_links(settings):
    settings.ROOT_URLCONF = urlconf(with_links=False)
    settings.SITE_URL = "https://qms.example.nhs.uk"
    return settings


@pytest.fixture(autouse=True)
def celery_in_process(settings):
    """Tasks run eagerly here even if the environment sets CELERY_BROKER_URL; the real-worker
    test switches the Celery app itself to its Redis broker."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_TASK_EAGER_PROPAGATES = True


@pytest.fixture
def fortnightly(enrolment):
    """The team's huddle, Tuesdays at 09:00 every two weeks from 23 September 2025. Needs the test
    module's own `enrolment` fixture."""
    return factories.TeamMeetingFactory(
        team=enrolment.team,
        name="Team huddle",
        weekday=1,
        start_time=dt.time(9, 0),
        every_weeks=2,
        first_date=dt.date(2025, 9, 23),
    )
