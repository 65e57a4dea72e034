"""Several processes, one PostgreSQL and one Redis: two gunicorn servers (one sync worker each, debug
off), two Celery workers and Celery beat against one throwaway database and the test Redis.

- A login on server A carries on on server B (sessions are database rows); a form whose CSRF token
  came from A is accepted on B, and a forged token refused.
- The public feedback form: a one-time token used on A is refused on B, a token issued by B is
  accepted on A, and the rate limit counts the posts to both (QMS_FEEDBACK_RATE_LIMIT=4 here).
- The reminder sweep run by both workers at once: each reminder is claimed once and sent once, in
  its recipient's one email of the day.

The cache is the default one, a table in the throwaway database, so it is shared by every process
(the feedback guards keep their counters and used tokens in the database whatever the cache is).

PostgreSQL only: skipped on SQLite, in CI too (the CI's SQLite pass runs the rest). Without Redis or
gunicorn it is skipped, or failed when QMS_REQUIRE_SERVICES=1. The database is named after
DATABASE_URL's (`<name>_multiproc`) and dropped at the end, whatever happens; the Redis queues are
this run's own and deleted at the end too."""

from __future__ import annotations

import datetime as dt
import email
import importlib.util
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import uuid
from collections import Counter
from dataclasses import dataclass, field
from email import policy
from pathlib import Path

import pytest
import redis
import requests
from celery import Celery
from django.conf import settings
from django.db import connection
from django.urls import reverse

from coaching.services.sending import SEND_TASK
from coaching.tasks import sweep_reminders
from coaching.tests.conftest import wait_until
from conftest import require_service
from demo.bench.load import free_port
from demo.management.commands.loadtest import _server_and_name

pytestmark = pytest.mark.services

REDIS_URL = os.environ.get("QMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TODAY = dt.date(2026, 11, 26)  # the demo is built around it (seed_demo --today)
# The seed runs the sweep for TODAY itself; eleven days on, the demo has reminders due to two people.
SWEEP_DAY = TODAY + dt.timedelta(days=11)
USERNAME = "coach"
PASSWORD = secrets.token_urlsafe(16)  # the demo's users have no usable password with debug off
RATE_LIMIT = 4
READY_SECONDS = 90
SETUP_MARK = "MULTIPROC_SETUP="

# Every process runs through this: the Celery app's default queue becomes QMS_TEST_QUEUE before the
# app is configured, so that what any process queues (the sweep's sends) stays on this run's queue.
# Then `celery ...` or `gunicorn ...` as from the command line.
BOOTSTRAP = """\
import os, sys
from qms_site.celery import app
app.conf.task_default_queue = os.environ["QMS_TEST_QUEUE"]
if sys.argv[1] == "gunicorn":
    from gunicorn.app.wsgiapp import run
    sys.argv = sys.argv[1:]
    run()
else:
    sys.exit(app.start(sys.argv[1:]))
"""

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
SWEEP_DONE = re.compile(rf"Task {re.escape(sweep_reminders.name)}\[[^\]]+\] succeeded in \S+: (\d+)")
SEND_DONE = re.compile(rf"Task {re.escape(SEND_TASK)}\[[^\]]+\] succeeded in \S+: '([^']*)'")


def prepare_demo(*, today: dt.date, sweep_day: dt.date, username: str, password: str) -> dict:
    """Run in the throwaway database's environment (manage.py shell): migrates it, loads the demo
    built around `today`, gives `username` a password, and says what the test expects: the reminders
    a sweep on `sweep_day` would claim, the last reminder row before it, and an open feedback link."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db.models import Max

    from coaching.models import Reminder
    from coaching.services.reminders import reminders_sweep
    from feedback.models import FeedbackLink

    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo", scale=0, today=today)
    user = get_user_model().objects.get(username=username)
    user.set_password(password)
    user.save(update_fields=["password"])
    planned = reminders_sweep(today=sweep_day, dry_run=True).reminders
    link = FeedbackLink.objects.filter(is_open=True).order_by("pk").first()
    return {
        "full_name": user.get_full_name(),
        "reminders": sorted([p.recipient.email, p.session.pk, p.kind.value] for p in planned),
        "last_reminder": Reminder.objects.aggregate(last=Max("pk"))["last"] or 0,
        "link": {"pk": link.pk, "token": link.token, "responses": link.responses.count()},
    }


# --- The processes ------------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def check_running(self) -> None:
        if self.popen.poll() is not None:
            pytest.fail(f"{self.name} exited (code {self.popen.returncode}):\n{self.text()[-4000:]}", pytrace=False)


@dataclass
class Site:
    database: str  # the throwaway database's URL
    servers: dict[str, str]  # "A"/"B" -> base URL
    workers: list[Process]
    beat: Process
    processes: list[Process]
    own_queues: list[str]  # each worker's own queue, besides the shared one
    outbox: Path  # EMAIL_FILE_PATH of every process
    expected: dict = field(default_factory=dict)  # prepare_demo()'s answer

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.database, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()


def _start(name: str, args: list[str], env: dict, log: Path) -> Process:
    with log.open("w") as out:
        popen = subprocess.Popen(  # noqa: S603 - this interpreter, the bootstrap above, fixed arguments
            [sys.executable, "-c", BOOTSTRAP, *args],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as one, its children too
        )
    return Process(name=name, popen=popen, log=log)


def _stop_all(processes: list[Process]) -> None:
    """TERM to every process group at once, then KILL whatever is left after 15 s."""
    for process in processes:
        if process.popen.poll() is None:
            try:
                os.killpg(process.popen.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for process in processes:
        try:
            process.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(process.popen.pid, signal.SIGKILL)  # a pool or worker child left behind
        except ProcessLookupError:
            pass
        process.popen.wait(timeout=10)


def _answers(url: str, *, timeout: float = 5) -> int | None:
    try:
        return requests.get(url, timeout=timeout, allow_redirects=False).status_code
    except requests.RequestException:
        return None


def _postgres(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(sql)


def _redis_available(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.exceptions.RedisError:
        return False


def _run(command: list[str], env: dict) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode:
        pytest.fail(f"{' '.join(command[:3])} ... exit {result.returncode}:\n{result.stderr[-4000:]}", pytrace=False)
    return result.stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if connection.vendor != "postgresql":
        pytest.skip("several server processes need one database server: PostgreSQL only")
    require_service("gunicorn", importlib.util.find_spec("gunicorn") is not None, "pip install gunicorn")
    require_service("Redis", _redis_available(REDIS_URL), REDIS_URL)
    server, configured = _server_and_name(os.environ["DATABASE_URL"])  # set: the tests run on PostgreSQL
    name = f"{configured}_multiproc"
    database = f"{server}/{name}"
    tmp = tmp_path_factory.mktemp("multiproc")
    outbox = tmp / "outbox"
    outbox.mkdir()
    run = f"qms-multiproc-{uuid.uuid4().hex}"
    ports = {"A": free_port(), "B": free_port()}
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "qms_site.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),  # one key for every process: sessions, signed tokens
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",  # plain HTTP on the loopback address
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "QMS_SITE_URL": f"http://127.0.0.1:{ports['A']}",
        "DATABASE_URL": database,
        "CELERY_BROKER_URL": REDIS_URL,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(outbox),
        "QMS_FEEDBACK_RATE_LIMIT": str(RATE_LIMIT),
        # One window for the whole run (the next one starts in 2033): a window ending mid-test would
        # start the count again.
        "QMS_FEEDBACK_RATE_WINDOW_SECONDS": str(10**9),
        "QMS_TEST_QUEUE": run,
        "PYTHONUNBUFFERED": "1",
    }
    for variable in ("DJANGO_SECURE_PROXY_SSL_HEADER", "QMS_CACHE_URL", "QMS_OIDC_ISSUER"):
        env.pop(variable, None)
    processes: list[Process] = []
    try:
        _postgres(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _postgres(server, f'CREATE DATABASE "{name}"')
        # Migrate and seed in one process (a Django start-up saved); the seed's own sends run eagerly
        # into memory, so that the outbox holds only what the workers send.
        code = (
            "import datetime as dt, json\n"
            "from demo.tests.test_multiprocess import SETUP_MARK, prepare_demo\n"
            f"print(SETUP_MARK + json.dumps(prepare_demo(today=dt.date.fromisoformat({TODAY.isoformat()!r}),"
            f" sweep_day=dt.date.fromisoformat({SWEEP_DAY.isoformat()!r}), username={USERNAME!r},"
            f" password={PASSWORD!r})))\n"
        )
        seed_env = {**env, "CELERY_BROKER_URL": "", "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
        out = _run([sys.executable, "manage.py", "shell", "-c", code], seed_env)
        expected = json.loads(next(line for line in out.splitlines() if line.startswith(SETUP_MARK))[len(SETUP_MARK) :])

        for label, port in ports.items():
            args = ["gunicorn", "qms_site.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
            args += ["--worker-class", "sync", "--log-level", "warning", "--graceful-timeout", "5"]
            processes.append(_start(f"server {label}", args, env, tmp / f"gunicorn-{label}.log"))
        own_queues = [f"{run}-w1", f"{run}-w2"]
        workers = []
        for number, own in enumerate(own_queues, start=1):
            args = ["worker", "--pool=prefork", "--concurrency=1", "-Q", f"{run},{own}", "-n", f"w{number}-{run}@%h"]
            args += ["--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
            workers.append(_start(f"worker {number}", args, env, tmp / f"worker-{number}.log"))
        # Beat, with the project's schedule, queues onto a queue of its own that nobody here consumes:
        # a run that happened to span 08:00 would otherwise sweep the wall clock's day into the counts.
        beat_env = {**env, "QMS_TEST_QUEUE": f"{run}-beat"}
        beat_args = ["beat", f"--schedule={tmp / 'beat-schedule'}", "--loglevel=INFO"]
        beat = _start("beat", beat_args, beat_env, tmp / "beat.log")
        processes += [*workers, beat]

        def ready() -> bool:
            for process in processes:
                process.check_running()
            return (
                all(_answers(f"http://127.0.0.1:{port}/healthz") == 200 for port in ports.values())
                and all(" ready." in worker.text() for worker in workers)
                and "beat: Starting..." in beat.text()
            )

        wait_until(ready, timeout=READY_SECONDS, what="both servers, both workers and beat to start")
        yield Site(
            database=database,
            servers={label: f"http://127.0.0.1:{port}" for label, port in ports.items()},
            workers=workers,
            beat=beat,
            processes=processes,
            own_queues=own_queues,
            outbox=outbox,
            expected=expected,
        )
    finally:
        _stop_all(processes)
        _postgres(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        broker = redis.Redis.from_url(REDIS_URL)
        keys = list(broker.scan_iter(match=f"*{run}*"))
        if keys:
            broker.delete(*keys)
        broker.close()


def _csrf(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


# --- Logged in on one server, carrying on on the other -------------------------------------------


def test_a_login_on_one_server_carries_on_on_the_other(site):
    a, b = site.servers["A"], site.servers["B"]
    name = site.expected["full_name"]
    assert name == "Rachel Evans"
    # One browser: its cookies for 127.0.0.1 go to both ports, as they would to two servers behind
    # one address.
    browser = requests.Session()
    login_page = browser.get(f"{a}/accounts/login/", timeout=30)
    assert login_page.status_code == 200
    response = browser.post(
        f"{a}/accounts/login/",
        data={"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": _csrf(login_page.text)},
        allow_redirects=False,
        timeout=30,
    )
    assert (response.status_code, response.headers["Location"]) == (302, reverse("home"))
    session_key = browser.cookies[settings.SESSION_COOKIE_NAME]

    # Anonymous, server B sends people to the login page; with A's session cookie it knows them.
    assert _answers(f"{b}/") == 302
    signed_in = f"Logged in as </span>{name}"
    home = browser.get(f"{b}/", allow_redirects=False, timeout=30)
    assert home.status_code == 200
    assert signed_in in home.text
    assert '<h1 class="h2 mb-3">My teams</h1>' in home.text  # a coach's home page
    teams = browser.get(f"{b}{reverse('coaching:my_teams')}", allow_redirects=False, timeout=30)
    assert teams.status_code == 200
    assert signed_in in teams.text

    # The log-out form as server A rendered it, sent to server B: B accepts A's CSRF token (and
    # refuses a forged one), and the session it ends is gone on A too.
    page_on_a = browser.get(f"{a}/", timeout=30)
    assert signed_in in page_on_a.text
    logout = f"{b}{reverse('logout')}"
    forged = browser.post(logout, data={"csrfmiddlewaretoken": "x" * 64}, allow_redirects=False, timeout=30)
    assert forged.status_code == 403
    assert browser.get(f"{a}/", allow_redirects=False, timeout=30).status_code == 200  # still logged in
    csrf = _csrf(page_on_a.text)
    response = browser.post(logout, data={"csrfmiddlewaretoken": csrf}, allow_redirects=False, timeout=30)
    assert (response.status_code, response.headers["Location"]) == (302, reverse("login"))
    # The old session cookie, kept by someone, is no one's on A now.
    after = requests.get(
        f"{a}/", cookies={settings.SESSION_COOKIE_NAME: session_key}, allow_redirects=False, timeout=30
    )
    assert (after.status_code, after.headers["Location"].split("?")[0]) == (302, reverse("login"))


# --- The public feedback form through both servers -------------------------------------------------


def test_feedback_form_tokens_and_rate_limit_are_shared_by_both_servers(site):
    link = site.expected["link"]
    path = reverse("feedback:form", kwargs={"token": link["token"]})
    thanks = reverse("feedback:thanks", kwargs={"token": link["token"]})

    def attendee(server: str) -> tuple[requests.Session, str, str]:
        """A new browser that opens the form on `server`: (browser, its CSRF token, its form token)."""
        browser = requests.Session()
        page = browser.get(site.servers[server] + path, timeout=30)
        assert page.status_code == 200
        return browser, _csrf(page.text), FORM_TOKEN.search(page.text).group(1)

    def send(browser: requests.Session, server: str, csrf: str, form_token: str) -> requests.Response:
        answers = {
            "could_improve": "yes",
            "rating": "5",
            "what_worked": "Learning together as a team.",
            "what_better": "Fewer slides.",
            "form_token": form_token,
            "csrfmiddlewaretoken": csrf,
        }
        return browser.post(site.servers[server] + path, data=answers, allow_redirects=False, timeout=30)

    # Post 1: on A, accepted.
    first, csrf, used = attendee("A")
    response = send(first, "A", csrf, used)
    assert (response.status_code, response.headers["Location"]) == (302, thanks)
    # Post 2: the same form token again, from another browser (no "answered" cookie) on B: refused.
    second, csrf, fresh = attendee("B")
    replay = send(second, "B", csrf, used)
    assert replay.status_code == 409
    assert "We already have your feedback" in replay.text
    # Post 3: that browser's own token, on B: accepted. Post 4: a token B issued, sent to A: accepted.
    assert send(second, "B", csrf, fresh).status_code == 302
    third, csrf, issued_by_b = attendee("B")
    assert send(third, "A", csrf, issued_by_b).status_code == 302
    # Posts 5 and 6 are past the limit of 4 the two servers counted together, on either server.
    for server in ("A", "B"):
        browser, csrf, token = attendee(server)
        busy = send(browser, server, csrf, token)
        assert busy.status_code == 429, server
        assert "Please try again in a few minutes" in busy.text
        assert int(busy.headers["Retry-After"]) > 0

    [(responses, rate_count)] = site.sql(
        "SELECT (SELECT count(*) FROM feedback_feedbackresponse WHERE link_id = l.id), l.rate_count "
        "FROM feedback_feedbacklink l WHERE l.id = %s",
        (link["pk"],),
    )
    assert (responses - link["responses"], rate_count) == (3, RATE_LIMIT + 2)


# --- The reminder sweep on both workers at once ----------------------------------------------------


def _sent_messages(outbox: Path) -> list[email.message.EmailMessage]:
    """Every message the file backend wrote (one file per connection, messages separated by a rule)."""
    messages = []
    for path in sorted(outbox.iterdir()):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk, policy=policy.default))
    return messages


def test_reminder_sweep_on_two_workers_sends_each_reminder_once(site):
    expected = [tuple(row) for row in site.expected["reminders"]]
    recipients = sorted({to for to, _, _ in expected})
    assert len(expected) >= 2 and len(recipients) >= 2  # enough for two workers to share

    # One sweep for each worker, on its own queue, so that both run at once; the sends they queue go
    # to the queue both consume.
    sender = Celery("qms-multiproc-test", broker=REDIS_URL, set_as_current=False)
    try:
        for queue in site.own_queues:
            sender.send_task(sweep_reminders.name, args=[SWEEP_DAY.isoformat()], queue=queue)
    finally:
        sender.close()

    def rows() -> list[tuple]:
        return site.sql(
            "SELECT u.email, r.session_id, r.kind, r.status, d.status, d.attempts, d.period "
            "FROM coaching_reminder r JOIN auth_user u ON u.id = r.recipient_id "
            "LEFT JOIN coaching_digest d ON d.id = r.digest_id WHERE r.id > %s",
            (site.expected["last_reminder"],),
        )

    def done() -> bool:
        for process in site.workers:
            process.check_running()
        sweeps = sum(len(SWEEP_DONE.findall(worker.text())) for worker in site.workers)
        sends = sum(SEND_DONE.findall(worker.text()).count("sent") for worker in site.workers)
        found = rows()
        return (
            sweeps == 2
            and sends == len(recipients)
            and len(found) == len(expected)
            and all(row[3] == "sent" for row in found)
        )

    wait_until(done, timeout=60, what="both sweeps and every digest's send")

    # Each worker ran one sweep; together they claimed each reminder once.
    claimed = [[int(n) for n in SWEEP_DONE.findall(worker.text())] for worker in site.workers]
    assert [len(counts) for counts in claimed] == [1, 1]
    assert sum(counts[0] for counts in claimed) == len(expected)
    # In the database: each reminder once, sent, in its recipient's digest of the day, sent once.
    found = rows()
    assert sorted((to, session, kind) for to, session, kind, *_ in found) == sorted(expected)
    assert {row[3:] for row in found} == {("sent", "sent", 1, SWEEP_DAY)}
    outcomes = Counter(outcome for worker in site.workers for outcome in SEND_DONE.findall(worker.text()))
    assert set(outcomes) <= {"sent", "already done"} and outcomes["sent"] == len(recipients)

    # In the outbox: one email per recipient, listing each of their reminders' sessions once.
    session_link = re.compile(
        re.escape(site.servers["A"]) + reverse("programmes:session", args=[12345]).replace("12345", r"(\d+)")
    )
    messages = _sent_messages(site.outbox)
    assert sorted(str(message["To"]) for message in messages) == recipients
    listed = Counter()
    for message in messages:
        assert f"reminders for {SWEEP_DAY:%A} {SWEEP_DAY.day} {SWEEP_DAY:%B}" in str(message["Subject"])
        body = message.get_body(preferencelist=("plain",)).get_content()
        listed.update((str(message["To"]), int(pk)) for pk in session_link.findall(body))
    assert listed == Counter((to, session) for to, session, _ in expected)

    # Beat started with the project's schedule and is still running; nothing is due before 08:00.
    assert "beat: Starting..." in site.beat.text()
    site.beat.check_running()
    assert all(process.popen.poll() is None for process in site.processes)
