"""Production hardening (README "Security"): the login lockout, the security log, the headers on
real responses, "keep me signed in", and pages that keep working under the Content Security Policy.

Logins go through the real login page (client.post), so django-axes counts them as it would in
production; REMOTE_ADDR is set per request to play different places.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.utils import timezone
from pytest_django.asserts import assertContains, assertInHTML

from core.security import client_ip, redact_path
from programmes.reference_data import MANAGERS, groups_ensure
from programmes.tests.fast_passwords import fast_passwords  # noqa: F401 - every login here hashes
from tests import factories

LOGIN = "/accounts/login/"
PASSWORD = factories.DEFAULT_PASSWORD
HERE = "203.0.113.7"  # the address the guesses come from
ELSEWHERE = "198.51.100.20"
# 09:27 UTC is 10:27 in London in July (summer time): 15 minutes later is 10:42.
LOCKED_AT = dt.datetime(2025, 7, 1, 9, 27, tzinfo=dt.UTC)
CSP = {  # django-csp writes the directives in no fixed order
    "default-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), publickey-credentials-get=(), "
    "screen-wake-lock=(), serial=(), usb=(), xr-spatial-tracking=()"
)
FEEDBACK_TOKEN = "Zq3xY7-kP0_aB9cD1eF2gH4iJ5kL6mN7"  # the shape of a token, 32 characters

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    """Cara and Omar coach; Mina is an improvement manager (staff, for the admin)."""
    return {
        "cara": factories.CoachFactory(username="cara"),
        "omar": factories.CoachFactory(username="omar"),
        "mina": factories.ManagerFactory(username="mina"),
        "lee": factories.LeadFactory(username="lee"),
    }


def attempt(client: Client, username: str, password: str, *, ip: str = HERE, remember: bool = False, **headers):
    data = {"username": username, "password": password, **({"remember": "on"} if remember else {})}
    return client.post(LOGIN, data, REMOTE_ADDR=ip, **headers)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def lock_out(client: Client, username: str = "cara", *, ip: str = HERE) -> None:
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        attempt(client, username, "wrong-password", ip=ip)


def security_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "qms.security"]


# --- Lockout ---------------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_that_username_from_that_address_for_15_minutes(client, people, time_machine):
    time_machine.move_to(LOCKED_AT, tick=False)
    for _ in range(4):
        response = attempt(client, "cara", "wrong-password")
        assert response.status_code == 200
        assertContains(response, "Please enter a correct username and password")
    fifth = attempt(client, "cara", "wrong-password")
    assert fifth.status_code == 429  # locked after 5 failures

    sixth = attempt(client, "cara", "wrong-password")
    assert sixth.status_code == 429
    assertInHTML('<h1 class="h2 mb-3">Too many attempts to log in</h1>', sixth.content.decode())
    assertContains(
        sixth,
        'Try again after <time datetime="2025-07-01T10:42:00+01:00">10:42</time></strong> (UK time)',
        status_code=429,
    )
    assertContains(sixth, '<a class="navbar-brand fw-semibold" href="/">QMS Coach</a>', html=True, status_code=429)

    right = attempt(client, "cara", PASSWORD)
    assert right.status_code == 429
    assert not signed_in(client)

    # Someone else from the same address, and the same person from elsewhere, are not locked.
    colleague = Client()
    assert attempt(colleague, "omar", PASSWORD).status_code == 302
    assert signed_in(colleague)
    elsewhere = Client()
    assert attempt(elsewhere, "cara", PASSWORD, ip=ELSEWHERE).status_code == 302

    # A try during the lockout does not extend it: it ends 15 minutes after the fifth failure.
    time_machine.move_to(LOCKED_AT + dt.timedelta(minutes=10), tick=False)
    assert attempt(client, "cara", "wrong-password").status_code == 429
    time_machine.move_to(LOCKED_AT + dt.timedelta(minutes=14, seconds=59), tick=False)
    assert attempt(client, "cara", PASSWORD).status_code == 429
    time_machine.move_to(LOCKED_AT + dt.timedelta(minutes=15, seconds=1), tick=False)
    response = attempt(client, "cara", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in(client)


def test_lockout_page_names_the_day_when_the_pause_ends_tomorrow(client, people, time_machine):
    time_machine.move_to(dt.datetime(2025, 12, 31, 23, 50, tzinfo=dt.UTC), tick=False)  # GMT: London = UTC
    lock_out(client)
    response = attempt(client, "cara", PASSWORD)
    assertContains(
        response, '<time datetime="2026-01-01T00:05:00+00:00">00:05</time> on Thursday 1 January', status_code=429
    )


def test_lockout_counts_the_connecting_address_not_a_forwarded_header(client, people):
    """Unless QMS_CLIENT_IP_HEADER is configured, X-Forwarded-For is the client's own word."""
    for n in range(django_settings.AXES_FAILURE_LIMIT):
        attempt(client, "cara", "wrong-password", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    response = attempt(client, "cara", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == 429
    assert list(AccessAttempt.objects.values_list("username", "ip_address", "failures_since_start")) == [
        ("cara", HERE, 5)
    ]


def test_right_password_before_the_limit_starts_the_count_again(client, people):
    for _ in range(4):
        attempt(client, "cara", "wrong-password")
    assert attempt(client, "cara", PASSWORD).status_code == 302
    assert AccessAttempt.objects.count() == 0
    client.logout()
    for _ in range(4):
        assert attempt(client, "cara", "wrong-password").status_code == 200


def test_manager_lifts_a_lockout_in_the_admin(client, people):
    lock_out(client)
    manager = Client()
    manager.force_login(people["mina"])
    index = manager.get("/admin/")
    assertContains(index, 'href="/admin/axes/accessattempt/"')
    assertContains(index, "Access attempts")
    listing = manager.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assertContains(listing, HERE)
    assertContains(listing, "Locked Out")
    locked = AccessAttempt.objects.get(username="cara", ip_address=HERE)
    deleted = manager.post(f"/admin/axes/accessattempt/{locked.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert AccessAttempt.objects.count() == 0
    assert attempt(client, "cara", PASSWORD).status_code == 302


@pytest.mark.parametrize("username", ["cara", "lee"])
def test_coach_and_lead_do_not_reach_the_login_records(client, people, username):
    client.force_login(people[username])
    response = client.get("/admin/axes/accessattempt/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/axes/accessattempt/"


def test_managers_group_keeps_the_lockout_permissions_when_the_groups_are_set_up_again(db):
    groups_ensure(django_apps)  # what the transactional tests' reset and the data migrations run
    granted = set(
        Group.objects.get(name=MANAGERS)
        .permissions.filter(content_type__app_label="axes")
        .values_list("codename", flat=True)
    )
    wanted = set(
        Permission.objects.filter(content_type__app_label="axes", codename__regex=r"^(view|delete)_").values_list(
            "codename", flat=True
        )
    )
    assert "delete_accessattempt" in wanted
    assert granted == wanted


# --- The client's address --------------------------------------------------------------------------


def test_client_ip_is_the_connecting_address_by_default(settings):
    request = RequestFactory().get("/", REMOTE_ADDR=HERE, HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert client_ip(request) == HERE


@pytest.mark.parametrize(
    ("forwarded", "count", "expected"),
    [
        ("192.0.2.50", 1, "192.0.2.50"),
        ("6.6.6.6, 192.0.2.50", 1, "192.0.2.50"),  # what the client wrote at the left is ignored
        ("6.6.6.6, 192.0.2.50, 10.0.0.2", 2, "192.0.2.50"),  # two proxies of our own
        ("", 1, HERE),  # missing: the connecting address
        ("not-an-address", 1, HERE),
        ("192.0.2.50", 2, HERE),  # shorter than the proxies configured
    ],
)
def test_client_ip_behind_our_own_proxies_reads_the_header_from_the_right(settings, forwarded, count, expected):
    settings.QMS_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.QMS_TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=HERE, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


# --- The security log ------------------------------------------------------------------------------


def test_failed_login_is_one_line_with_username_and_address_never_the_password(client, people, caplog):
    caplog.set_level(logging.INFO)
    attempt(client, "cara", "Hunter2-not-my-password")
    assert security_lines(caplog) == [f"login_failed user='cara' ip={HERE} path='/accounts/login/'"]
    assert "Hunter2-not-my-password" not in caplog.text
    assert all("Hunter2" not in str(r.args) for r in caplog.records)


def test_login_and_logout_are_one_line_each(client, people, caplog):
    caplog.set_level(logging.INFO)
    attempt(client, "cara", PASSWORD)
    client.post("/accounts/logout/", REMOTE_ADDR=HERE)
    assert security_lines(caplog) == [
        f"login user='cara' ip={HERE} path='/accounts/login/'",
        f"logout user='cara' ip={HERE} path='/accounts/logout/'",
    ]
    assert PASSWORD not in caplog.text


def test_lockout_is_logged_once_per_attempt_with_when_it_ends(client, people, caplog, time_machine):
    time_machine.move_to(LOCKED_AT, tick=False)
    caplog.set_level(logging.INFO)
    lock_out(client)
    attempt(client, "cara", PASSWORD)
    failed = f"login_failed user='cara' ip={HERE} path='/accounts/login/'"
    locked = f"login_locked_out user='cara' ip={HERE} path='/accounts/login/' until=2025-07-01T10:42+01:00"
    assert security_lines(caplog) == [failed, failed, failed, failed, locked, locked]
    assert PASSWORD not in caplog.text
    assert not [r for r in caplog.records if r.name.startswith("axes")]  # axes's own lines would repeat these


def test_a_typed_username_cannot_forge_a_log_line(client, people, caplog):
    caplog.set_level(logging.INFO)
    attempt(client, "cara\nlogin user='mina'", "x")
    assert security_lines(caplog) == [
        f"login_failed user=\"cara\\nlogin user='mina'\" ip={HERE} path='/accounts/login/'"
    ]


def test_refused_request_is_one_line_without_a_traceback(client, people, caplog):
    caplog.set_level(logging.INFO)
    client.force_login(people["lee"])
    caplog.clear()
    response = client.get("/checklists/tools/")
    assert response.status_code == 403
    assert security_lines(caplog) == ["refused user='lee' ip=127.0.0.1 path='/checklists/tools/' status=403"]
    assert [r for r in caplog.records if r.exc_info] == []
    assert [r for r in caplog.records if r.name == "django.request"] == []


def test_tokens_in_paths_never_reach_the_log(client, people, caplog):
    caplog.set_level(logging.INFO)
    assert client.get(f"/feedback/{FEEDBACK_TOKEN}/").status_code == 404
    assert client.get(f"/coaching/calendar/{FEEDBACK_TOKEN}x.ics").status_code == 404
    assert [r.getMessage() for r in caplog.records if r.name == "django.request"] == [
        "Not Found: /feedback/<token>/",
        "Not Found: /coaching/calendar/<token>.ics",
    ]
    assert FEEDBACK_TOKEN not in caplog.text


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"/feedback/{FEEDBACK_TOKEN}/", "/feedback/<token>/"),
        (f"/feedback/{FEEDBACK_TOKEN}/thanks/", "/feedback/<token>/thanks/"),
        (f"/coaching/calendar/{FEEDBACK_TOKEN}.ics", "/coaching/calendar/<token>.ics"),
        ("/programmes/sessions/12/", "/programmes/sessions/12/"),
        ("/coaching/enrolments/4/agreement/meeting/", "/coaching/enrolments/4/agreement/meeting/"),
        ("/feedback/changes/", "/feedback/changes/"),
    ],
)
def test_redact_path(path, expected):
    assert redact_path(path) == expected


def test_server_errors_keep_their_traceback_and_lose_tokens(caplog):
    """The filter on Django's request logger drops only the plain 403's record."""
    caplog.set_level(logging.INFO)
    log = logging.getLogger("django.request")
    try:
        raise ValueError("boom")
    except ValueError:
        log.error("Internal Server Error: %s", f"/feedback/{FEEDBACK_TOKEN}/", exc_info=True)
    try:
        raise PermissionDenied("no")
    except PermissionDenied:
        log.warning("Forbidden (Permission denied): %s", "/checklists/tools/", exc_info=True)
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == "Internal Server Error: /feedback/<token>/"
    assert record.exc_info[0] is ValueError


# --- Headers on real responses ---------------------------------------------------------------------


@pytest.fixture
def production(settings):
    """What a deployment with DJANGO_DEBUG=0 and no overrides runs (tests turn the redirect off)."""
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True
    return settings


def csp_of(response) -> dict[str, str]:
    directives = (part.strip().partition(" ") for part in response["Content-Security-Policy"].split(";"))
    return {name: sources for name, _, sources in directives}


def assert_security_headers(response) -> None:
    assert csp_of(response) == CSP
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_signed_in_page_has_every_header_and_is_not_stored(client, people, production):
    client.force_login(people["cara"])
    response = client.get("/", secure=True)
    assert response.status_code == 200
    assert_security_headers(response)
    assert response["Cache-Control"] == "no-store, private"


@pytest.mark.parametrize("export", ["/exports/sessions.csv", "/exports/ratings.csv", "/exports/feedback.csv"])
def test_csv_exports_have_every_header_and_are_not_stored(client, people, production, export):
    client.force_login(people["mina"])
    response = client.get(export, secure=True)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert_security_headers(response)
    assert response["Cache-Control"] == "no-store, private"


def test_public_feedback_form_is_not_stored(client, production):
    link = factories.FeedbackLinkFactory()
    for url in (f"/feedback/{link.token}/", f"/feedback/{link.token}/thanks/"):
        response = client.get(url, secure=True)
        assert response.status_code == 200, url
        assert_security_headers(response)
        # The form's own view may say more (never_cache); no-store and private are what matter.
        assert {"no-store", "private"} <= {part.strip() for part in response["Cache-Control"].split(",")}


def test_static_files_are_not_signed_in_pages(client, people, production):
    client.force_login(people["cara"])
    response = client.get("/static/css/qms.css", secure=True)
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_plain_http_is_redirected_except_the_health_check(client, production):
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"
    health = client.get("/healthz")
    assert health.status_code == 200
    assert "Strict-Transport-Security" not in health  # HSTS only over HTTPS


def test_content_security_policy_is_sent_in_debug_too(client, settings):
    settings.DEBUG = True
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert csp_of(response) == CSP


def test_deploy_check_is_clean_with_production_environment():
    """`manage.py check --deploy` with DJANGO_DEBUG=0, a real key and a host: no warnings at all."""
    from qms_site.tests.test_settings_and_health import run_django

    result = run_django(
        "from django.core.management import call_command\ncall_command('check', deploy=True, fail_level='WARNING')",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="test-only-J8f3LmQ2vX9pR4sT7wY1zA6bC0dE5gH-_uNoPqRsTuVwXyZ",
        DJANGO_ALLOWED_HOSTS="qms.example.nhs.uk",
        QMS_SITE_URL="https://qms.example.nhs.uk",  # a loopback site address is warned of (qms.W001)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


# --- Keep me signed in -----------------------------------------------------------------------------


def test_login_page_offers_to_keep_me_signed_in(client):
    response = client.get(LOGIN)
    assertContains(response, "Keep me signed in on this device")
    assertContains(response, '<input type="checkbox" name="remember"')


def test_unticked_the_session_ends_when_the_browser_closes(client, people):
    response = attempt(client, "cara", PASSWORD)
    cookie = response.cookies["sessionid"]
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
    assert client.session.get_expire_at_browser_close() is True


def test_ticked_the_session_outlives_the_browser_for_14_days(client, people, time_machine):
    time_machine.move_to(LOCKED_AT, tick=False)
    response = attempt(client, "cara", PASSWORD, remember=True)
    cookie = response.cookies["sessionid"]
    assert cookie["max-age"] == 14 * 24 * 3600
    assert cookie["expires"] == "Tue, 15 Jul 2025 09:27:00 GMT"
    assert client.session.get_expire_at_browser_close() is False
    assert client.session.get_expiry_date() == timezone.now() + dt.timedelta(days=14)
    # The next page does not push the end back: 14 days from login, not from the last page.
    time_machine.move_to(LOCKED_AT + dt.timedelta(hours=2), tick=False)
    assert client.get("/").status_code == 200
    assert client.session.get_expiry_date() == LOCKED_AT + dt.timedelta(days=14)


# --- Pages under the Content Security Policy -------------------------------------------------------

STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b", re.IGNORECASE)


def test_templates_have_no_style_attributes_or_elements():
    """'unsafe-inline' is not in the policy; email templates are read by mail programs, not browsers."""
    root = Path(django_settings.BASE_DIR)
    found = {}
    for path in sorted(root.rglob("*.html")):
        parts = set(path.relative_to(root).parts)
        if {".venv", ".git", "node_modules", "email"} & parts:
            continue
        html = path.read_text(encoding="utf-8")
        hits = STYLE_ATTRIBUTE.findall(html) + INLINE_STYLE.findall(html)
        if hits:
            found[str(path.relative_to(root))] = hits
    assert found == {}


def test_run_chart_svg_module_writes_no_style():
    source = (Path(django_settings.BASE_DIR) / "dashboards" / "spc_svg.py").read_text(encoding="utf-8")
    assert "style" not in source


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_that_had_style_attributes_keep_their_look_under_the_policy(browser_page):
    """The progress bars, the QR code's box, the session plan's number fields and the run chart, in
    Chromium with the policy on: no violation reported, and the sizes the style attributes gave."""
    from dashboards.tests.helpers import checklist, hold, session

    violations: list[str] = []
    browser_page.page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    manager = factories.ManagerFactory(username="mina", first_name="Mina", last_name="Manager")
    today = timezone.localdate()
    cohort = factories.CohortFactory(owner=manager, name="Current cohort")
    enrolment = factories.EnrolmentFactory(
        cohort=cohort, team__name="Ward 22 nursing team", session1_date=today - dt.timedelta(weeks=8, days=1)
    )
    factories.make_sessions(enrolment)
    for number in (1, 2, 3, 4):
        hold(enrolment, number, attendees=6)
    for number, level in ((2, 0), (3, 1), (4, 2)):
        checklist(session(enrolment, number), level)
    session_1 = session(enrolment, 1)
    factories.FeedbackLinkFactory(session=session_1)
    draft = factories.ProgrammeTemplateFactory(name="QMS programme", version="1.0", status="draft", published_on=None)
    factories.SessionPlanFactory(template=draft, number=1, week_offset=0)
    page = browser_page.page
    browser_page.login("mina")

    browser_page.goto("/dashboard/")
    bar = page.locator(".progress-bar").first
    assert bar.get_attribute("class") == "progress-bar qms-week-9"
    ratio = bar.evaluate("e => e.getBoundingClientRect().width / e.parentElement.clientWidth")
    assert round(ratio, 2) == 0.75

    browser_page.goto(f"/programmes/sessions/{session_1.pk}/")
    assert page.locator(".qms-qr-box").evaluate("e => getComputedStyle(e).maxWidth") == "192px"  # 12rem

    browser_page.goto(f"/programmes/versions/{draft.pk}/edit/")
    number_field = page.locator("input[type=number]").first
    assert number_field.evaluate("e => getComputedStyle(e).maxWidth") == "96px"  # 6rem

    browser_page.goto(f"/programmes/teams/{enrolment.team_id}/")
    assert page.locator(".run-chart svg").count() == 1
    assert page.locator(".run-chart svg polyline.series").evaluate("e => getComputedStyle(e).fill") == "none"

    assert violations == []
