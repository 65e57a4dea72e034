"""Reminder tasks: sending once, retries with backoff then failed, the Celery set-up, and a real
worker on a real Redis broker."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import kombu.pools
import pytest
import redis
import time_machine
from celery.contrib.testing.worker import start_worker
from celery.exceptions import SoftTimeLimitExceeded
from celery.schedules import crontab
from celery.signals import task_postrun
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError

from coaching.models import Digest, DigestKind, Reminder, ReminderKind, ReminderStatus
from coaching.selectors.reminders import STALE_SENDING_AFTER
from coaching.services.reminders import (
    SEND_MAX_RETRIES,
    SEND_REMINDER_TASK,
    SendOutcome,
    reminder_retry,
    reminder_send,
    reminders_sweep,
    retry_countdown,
)
from coaching.tasks import send_claimed_email, send_reminder, sweep_reminders
from conftest import require_service
from qms_site.celery import app
from tests import factories

from .blocking_backend import OPEN
from .conftest import wait_until

REDIS_URL = os.environ.get("QMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DAY = "2025-12-16"
CLAIM = uuid.UUID("5e0c2b8a-3f41-4d6e-9a7b-1c2d3e4f5a6b")  # another task's claim on a send


@pytest.fixture
def overdue_reminder(programme) -> Reminder:
    """A claimed (pending) reminder for the 12-week review, overdue since 16 December 2025."""
    _, sessions = programme.enrol(held_through=6, team_name="PRH education")
    return factories.ReminderFactory(session=sessions[7], recipient=programme.coach, kind=ReminderKind.OVERDUE)


def reload(reminder: Reminder) -> tuple[str, int, str]:
    reminder.refresh_from_db()
    return reminder.status, reminder.attempts, reminder.error


# --- Sending once ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_send_task_run_twice_sends_one_email(overdue_reminder, mailoutbox):
    first = send_reminder.apply(args=[overdue_reminder.pk, DAY]).get()
    second = send_reminder.apply(args=[overdue_reminder.pk, DAY]).get()
    assert (first, second) == (SendOutcome.SENT, SendOutcome.ALREADY_DONE)
    assert len(mailoutbox) == 1
    assert reload(overdue_reminder) == (ReminderStatus.SENT, 1, "")
    assert overdue_reminder.sent_at is not None


@pytest.mark.django_db
def test_send_task_for_a_deleted_reminder_does_nothing(overdue_reminder, mailoutbox):
    pk = overdue_reminder.pk
    overdue_reminder.delete()
    assert send_reminder.apply(args=[pk, DAY]).get() == SendOutcome.GONE
    assert mailoutbox == []


@pytest.mark.django_db
def test_send_is_claimed_before_the_mail_server_is_called_then_marked_sent(overdue_reminder, peeking_mail):
    """pending -> sending (claimed, attempts + 1) while the email goes out -> sent."""
    assert reload(overdue_reminder) == (ReminderStatus.PENDING, 0, "")
    assert reminder_send(reminder_id=overdue_reminder.pk, today=dt.date(2025, 12, 16)) == SendOutcome.SENT
    assert peeking_mail.seen == [[(ReminderStatus.SENDING, True, 1)]]
    assert reload(overdue_reminder) == (ReminderStatus.SENT, 1, "")
    assert (overdue_reminder.claim, overdue_reminder.sending_since) == (None, None)
    assert overdue_reminder.sent_at is not None


@pytest.mark.django_db
def test_send_while_another_task_holds_the_claim_does_nothing(overdue_reminder, mailoutbox):
    """A redelivered task (its worker killed mid-send) finds the send claimed and sends nothing."""
    claimed_at = timezone.now() - dt.timedelta(seconds=30)
    Reminder.objects.filter(pk=overdue_reminder.pk).update(
        status=ReminderStatus.SENDING, claim=CLAIM, sending_since=claimed_at, attempts=1
    )
    assert send_reminder.apply(args=[overdue_reminder.pk, DAY]).get() == SendOutcome.ALREADY_DONE
    assert mailoutbox == []
    assert reload(overdue_reminder) == (ReminderStatus.SENDING, 1, "")
    assert (overdue_reminder.claim, overdue_reminder.sending_since) == (CLAIM, claimed_at)


@pytest.mark.django_db
def test_send_takes_over_a_claim_held_past_the_send_bound(overdue_reminder, mailoutbox):
    """A message handed out again after the worker died (Redis's visibility timeout) finds the claim
    older than the send bound: its task is gone, so this one sends."""
    claimed_at = timezone.now() - STALE_SENDING_AFTER - dt.timedelta(seconds=1)
    Reminder.objects.filter(pk=overdue_reminder.pk).update(
        status=ReminderStatus.SENDING, claim=CLAIM, sending_since=claimed_at, attempts=1
    )
    assert send_reminder.apply(args=[overdue_reminder.pk, DAY]).get() == SendOutcome.SENT
    assert [m.to for m in mailoutbox] == [["rachel@example.nhs.uk"]]
    assert reload(overdue_reminder) == (ReminderStatus.SENT, 2, "")


@pytest.mark.django_db
def test_mail_server_error_puts_the_send_back_to_pending_with_the_try_counted(overdue_reminder, flaky_mail, mailoutbox):
    flaky_mail(failures=1)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        reminder_send(reminder_id=overdue_reminder.pk, today=dt.date(2025, 12, 16))
    assert reload(overdue_reminder) == (
        ReminderStatus.PENDING,
        1,
        "SMTPServerDisconnected: Connection unexpectedly closed",
    )
    assert (overdue_reminder.claim, overdue_reminder.sending_since) == (None, None)
    # The retry claims it again and sends.
    assert reminder_send(reminder_id=overdue_reminder.pk, today=dt.date(2025, 12, 16)) == SendOutcome.SENT
    assert reload(overdue_reminder) == (ReminderStatus.SENT, 2, "")
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_soft_time_limit_mid_send_puts_it_back_to_pending_and_it_is_retried(overdue_reminder, flaky_mail, mailoutbox):
    backend = flaky_mail(failures=1, error=SoftTimeLimitExceeded)
    assert send_reminder.delay(overdue_reminder.pk, DAY).get() == SendOutcome.SENT
    assert backend.calls == 2
    assert reload(overdue_reminder) == (ReminderStatus.SENT, 2, "")
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_tasks_sending_one_reminder_at_once_send_one_email(overdue_reminder, gated_mail):
    """While the first task's email is at the mail server, its claim is committed: a second task
    (its own connection) finds the reminder sending and returns at once, sending nothing."""
    if connection.vendor != "postgresql":
        pytest.skip("two threads writing at once: SQLite runs one writer at a time")
    mail.outbox = []
    outcomes: list[str] = []

    def send():
        try:
            outcomes.append(reminder_send(reminder_id=overdue_reminder.pk, today=dt.date(2025, 12, 16)))
        finally:
            connection.close()

    first = threading.Thread(target=send)
    first.start()
    assert gated_mail.entered.wait(timeout=10), "the first task never reached the mail server"
    assert reload(overdue_reminder) == (ReminderStatus.SENDING, 1, "")  # committed, seen from here
    second = threading.Thread(target=send)
    second.start()
    second.join(timeout=10)
    assert (second.is_alive(), outcomes) == (False, [SendOutcome.ALREADY_DONE])  # it did not wait for the first
    gated_mail.gate.set()
    first.join(timeout=30)
    assert outcomes == [SendOutcome.ALREADY_DONE, SendOutcome.SENT]
    assert len(mail.outbox) == 1
    assert reload(overdue_reminder) == (ReminderStatus.SENT, 1, "")


# --- Retries, then failed -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_smtp_errors_are_retried_then_the_email_goes(overdue_reminder, flaky_mail, mailoutbox):
    backend = flaky_mail(failures=2)
    assert send_reminder.delay(overdue_reminder.pk, DAY).get() == SendOutcome.SENT
    assert backend.calls == 3
    assert len(mailoutbox) == 1
    assert reload(overdue_reminder) == (ReminderStatus.SENT, 3, "")


@pytest.mark.django_db
def test_unreachable_mail_server_is_retried_a_bounded_number_of_times_then_failed(
    overdue_reminder, refusing_smtp, mailoutbox
):
    assert send_reminder.delay(overdue_reminder.pk, DAY).get() == "failed"
    status, attempts, error = reload(overdue_reminder)
    assert (status, attempts) == (ReminderStatus.FAILED, SEND_MAX_RETRIES + 1)
    assert error.startswith("ConnectionRefusedError: ")
    assert mailoutbox == []


@pytest.mark.django_db
def test_permanent_smtp_refusal_fails_without_retrying(overdue_reminder, flaky_mail, mailoutbox):
    refused = {"rachel@example.nhs.uk": (550, b"5.1.1 User unknown")}
    backend = flaky_mail(failures=10, error=lambda: smtplib.SMTPRecipientsRefused(refused))
    assert send_reminder.delay(overdue_reminder.pk, DAY).get() == "failed"
    assert backend.calls == 1
    status, attempts, error = reload(overdue_reminder)
    assert (status, attempts) == (ReminderStatus.FAILED, 1)
    assert error.startswith("SMTPRecipientsRefused: ")


def test_retry_backoff_doubles_up_to_a_bound():
    assert [retry_countdown(n) for n in range(SEND_MAX_RETRIES)] == [60, 120, 240, 240, 240]


@pytest.mark.django_db
def test_recipient_without_email_address_is_marked_failed(overdue_reminder, mailoutbox):
    type(overdue_reminder.recipient).objects.filter(pk=overdue_reminder.recipient_id).update(email="")
    assert send_reminder.delay(overdue_reminder.pk, DAY).get() == SendOutcome.FAILED
    assert reload(overdue_reminder) == (ReminderStatus.FAILED, 0, "Rachel Evans has no email address.")
    assert mailoutbox == []


@pytest.mark.django_db
def test_failed_reminder_sent_again_on_request(
    overdue_reminder, flaky_mail, mailoutbox, django_capture_on_commit_callbacks
):
    flaky_mail(failures=SEND_MAX_RETRIES + 1)
    send_reminder.delay(overdue_reminder.pk, DAY)
    assert reload(overdue_reminder)[0] == ReminderStatus.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        assert reminder_retry(reminder=overdue_reminder) is True
    assert reload(overdue_reminder) == (ReminderStatus.SENT, SEND_MAX_RETRIES + 2, "")
    assert len(mailoutbox) == 1
    # A second request finds nothing failed.
    assert reminder_retry(reminder=overdue_reminder) is False


# --- The Celery app --------------------------------------------------------------------------------


def test_celery_app_uses_json_late_acks_and_time_limits():
    conf = app.conf
    assert (conf.task_serializer, conf.result_serializer, list(conf.accept_content)) == ("json", "json", ["json"])
    assert (conf.task_acks_late, conf.task_reject_on_worker_lost, conf.worker_prefetch_multiplier) == (True, True, 1)
    assert (conf.task_soft_time_limit, conf.task_time_limit) == (240, 300)
    assert (send_reminder.max_retries, send_reminder.soft_time_limit, send_reminder.time_limit) == (5, 60, 90)
    assert (send_reminder.acks_late, send_reminder.reject_on_worker_lost) == (True, True)
    assert (sweep_reminders.soft_time_limit, sweep_reminders.time_limit, sweep_reminders.acks_late) == (240, 300, True)
    assert conf.broker_transport_options == {
        "visibility_timeout": 360,
        "socket_timeout": 5,
        "socket_connect_timeout": 5,
    }
    assert {"coaching.send_reminder", "coaching.sweep_reminders"} <= set(app.tasks)
    assert send_reminder.name == SEND_REMINDER_TASK  # the name the services queue it by


def test_send_bound_fits_within_the_brokers_visibility_timeout():
    """Redis hands a message out again once it has been unacknowledged for visibility_timeout: never
    while its task may still be running, nor while a retry waits for its countdown on a worker. The
    sweep takes a send over only after the longest a send can last."""
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    longest_task = max(app.conf.task_time_limit, sweep_reminders.time_limit, send_reminder.time_limit)
    assert longest_task < visibility
    assert max(retry_countdown(n) for n in range(SEND_MAX_RETRIES)) + send_reminder.time_limit < visibility
    assert STALE_SENDING_AFTER > dt.timedelta(seconds=send_reminder.time_limit)


def test_beat_runs_the_sweep_daily_at_eight_london_time():
    entry = app.conf.beat_schedule["daily-reminder-sweep"]
    assert entry["task"] == "coaching.sweep_reminders"
    assert entry["schedule"] == crontab(hour=8, minute=0)
    assert app.conf.timezone == "Europe/London"


@pytest.mark.parametrize(
    ("utc_now", "due"),
    [
        (dt.datetime(2026, 3, 29, 6, 59, tzinfo=dt.UTC), False),  # 07:59 BST, the first day of summer time
        (dt.datetime(2026, 3, 29, 7, 0, 30, tzinfo=dt.UTC), True),  # 08:00 BST
        (dt.datetime(2026, 1, 5, 7, 59, tzinfo=dt.UTC), False),  # 07:59 GMT
        (dt.datetime(2026, 1, 5, 8, 0, 30, tzinfo=dt.UTC), True),  # 08:00 GMT
    ],
)
def test_beat_follows_london_clock_through_summer_time(utc_now, due):
    schedule = app.conf.beat_schedule["daily-reminder-sweep"]["schedule"]
    schedule.app = app
    yesterday = utc_now.date() - dt.timedelta(days=1)
    last_run = dt.datetime.combine(yesterday, dt.time(8, 0, 5), tzinfo=ZoneInfo("Europe/London"))  # yesterday's run
    with time_machine.travel(utc_now, tick=False):
        assert schedule.is_due(last_run).is_due is due


def test_without_a_broker_tasks_run_eagerly(settings):
    settings.CELERY_BROKER_URL = ""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert app.conf.task_always_eager is True


@pytest.mark.django_db
def test_sweep_task_in_eager_mode_sends_in_process(overdue_reminder, mailoutbox, django_capture_on_commit_callbacks):
    overdue_reminder.delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_reminders.delay(DAY).get() == 1
    assert [m.subject for m in mailoutbox] == [
        f"Session 7 for PRH education ({overdue_reminder.session.enrolment.team.site.code}) is 1 day overdue"
    ]


# --- Queued by name: eagerly in-process, and a broker that is down --------------------------------------


@pytest.mark.parametrize(
    ("process", "loads"),
    [
        ("web", "import_module(settings.ROOT_URLCONF)"),
        ("cron", "load_command_class('coaching', 'send_reminders')"),
    ],
)
def test_web_and_cron_processes_register_the_send_task_they_queue_by_name(process, loads):
    """The services queue coaching.send_reminder by its name; only a task registered in the process
    runs eagerly without a broker (by name alone, Celery would hand it to the in-memory transport,
    where it is never run). A fresh process, as the web server and cron start one."""
    code = (
        "import django; django.setup()\n"
        "from importlib import import_module\n"
        "from celery import current_app\n"
        "from django.conf import settings\n"
        "from django.core.management import load_command_class\n"
        f"{loads}\n"
        f"print({SEND_REMINDER_TASK!r} in current_app.tasks)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "qms_site.settings"}
    done = subprocess.run(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert (done.returncode, done.stdout.strip()) == (0, "True"), done.stderr


@contextlib.contextmanager
def broker_down():
    """The Celery app sending to a Redis port nobody listens on, not eagerly: every enqueue fails."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    refused = f"redis://127.0.0.1:{port}/0"
    no_retries = {"task_publish_retry": False, "broker_transport_options": {"max_retries": 0}}  # fail at once
    with celery_conf(broker_url=refused, task_always_eager=False, **no_retries):
        yield


@pytest.mark.django_db
def test_broker_down_the_sweep_logs_and_keeps_its_claims_then_a_later_sweep_sends_them(
    programme, mailoutbox, caplog, django_capture_on_commit_callbacks
):
    programme.enrol(held_through=6, team_name="PRH education")
    claimed_at = dt.datetime(2025, 12, 16, 8, tzinfo=dt.UTC)
    with broker_down(), caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        result = reminders_sweep(today=dt.date(2025, 12, 16), now=claimed_at)
    # The enqueue failed after the claim committed: logged, not raised, and the row kept pending.
    assert len(result.reminder_ids) == 1
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [(type(r.exc_info[1]), "in on_commit()" in r.getMessage()) for r in errors] == [(OperationalError, True)]
    assert list(Reminder.objects.values_list("status", flat=True)) == [ReminderStatus.PENDING]
    assert list(Digest.objects.values_list("status", flat=True)) == [ReminderStatus.PENDING]
    assert mailoutbox == []
    # The next day's sweep (the broker back; here, eager) queues it again, and it goes.
    with django_capture_on_commit_callbacks(execute=True):
        later = reminders_sweep(today=dt.date(2025, 12, 17), now=claimed_at + dt.timedelta(days=1))
    assert (later.reminder_ids, later.requeued) == ([], result.digest_ids)
    assert [m.to for m in mailoutbox] == [["rachel@example.nhs.uk"]]
    assert list(Reminder.objects.values_list("status", flat=True)) == [ReminderStatus.SENT]


# --- A real worker on a real Redis ----------------------------------------------------------------------


def redis_available(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.exceptions.RedisError:
        return False


class WorkerRuns:
    """Counts the tasks the worker finished, by name, and lets the test wait for a count."""

    def __init__(self, queue: str) -> None:
        self.queue = queue
        self.done: Counter[str] = Counter()
        self.changed = threading.Condition()

    def queued(self) -> int:
        """Messages waiting in the queue or taken by the worker and not yet run."""
        from celery.worker import state

        return redis.Redis.from_url(REDIS_URL).llen(self.queue) + len(state.reserved_requests)

    def on_postrun(self, sender=None, **kwargs) -> None:
        with self.changed:
            self.done[sender.name] += 1
            self.changed.notify_all()

    def wait_for(self, predicate, timeout: float = 60) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: predicate(self.done), timeout=timeout):
                pytest.fail(f"Timed out waiting for the worker; it finished {dict(self.done)}")


def _reset_broker_connections() -> None:
    """Forget pooled broker connections, so the next use connects to the broker now configured."""
    app._pool = None
    app.__dict__.pop("amqp", None)  # its queues, router and producer pool are cached
    kombu.pools.reset()  # the app's pool also sits in kombu's registry, keyed by broker URL


@contextlib.contextmanager
def celery_conf(**overrides):
    """The Celery app with these settings (and a broker connection made afresh), then as it was."""
    saved = {key: app.conf.changes[key] for key in overrides if key in app.conf.changes}
    app.conf.update(overrides)
    _reset_broker_connections()
    try:
        yield
    finally:
        for key in overrides:
            app.conf.changes.pop(key, None)
        app.conf.update(saved)
        _reset_broker_connections()


@pytest.fixture
def real_worker():
    """A Celery worker thread consuming a fresh queue on the test Redis (QMS_TEST_REDIS_URL)."""
    require_service("Redis", redis_available(REDIS_URL), REDIS_URL)
    queue = f"qms-test-{uuid.uuid4().hex}"
    runs = WorkerRuns(queue)
    task_postrun.connect(runs.on_postrun, weak=False)
    try:
        with (
            celery_conf(broker_url=REDIS_URL, task_always_eager=False, task_default_queue=queue),
            start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30),
        ):
            yield runs
    finally:
        task_postrun.disconnect(runs.on_postrun)
        redis.Redis.from_url(REDIS_URL).delete(queue)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_real_worker_sweep_queued_twice_sends_one_digest_per_person(programme, real_worker):
    mail.outbox = []
    for name in ("Ward 22", "Pathology reception", "Theatres admin"):
        programme.enrol(held_through=6, team_name=name)  # session 7 overdue since 16 December
    programme.enrol(held_through=10, team_name="On track")
    programme.enrol(held_through=3, team_name="Withdrawn", status="withdrawn")

    sweep_reminders.delay(DAY)
    sweep_reminders.delay(DAY)

    # Both sweeps finish; between them they claim the coach's digest of the day once, which is sent.
    real_worker.wait_for(lambda done: done["coaching.sweep_reminders"] == 2 and done["coaching.send_claimed"] >= 1)
    assert real_worker.done["coaching.sweep_reminders"] == 2
    (message,) = mail.outbox
    assert (message.to, message.subject) == (
        ["rachel@example.nhs.uk"],
        "3 reminders for Tuesday 16 December: 3 overdue",
    )
    for name in ("Ward 22", "Pathology reception", "Theatres admin"):
        assert f"- {name} (" in message.body
    assert sorted(Reminder.objects.values_list("status", flat=True)) == ["sent"] * 3
    assert list(Digest.objects.values_list("recipient__username", "status")) == [("rachel", "sent")]
    real_worker.wait_for(lambda done: real_worker.queued() == 0)
    assert len(mail.outbox) == 1  # any second send queued found it sent


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_real_worker_retries_smtp_errors_through_the_broker(overdue_reminder, flaky_mail, real_worker, monkeypatch):
    monkeypatch.setattr("coaching.tasks.retry_countdown", lambda retries: 0)  # not a minute's wait in a test
    mail.outbox = []
    backend = flaky_mail(failures=2)
    send_reminder.delay(overdue_reminder.pk, DAY)
    # The first try and two retries, each a message of its own through Redis.
    real_worker.wait_for(lambda done: done["coaching.send_reminder"] == 3)
    assert backend.calls == 3
    assert [m.to for m in mail.outbox] == [["rachel@example.nhs.uk"]]
    assert reload(overdue_reminder) == (ReminderStatus.SENT, 3, "")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_real_worker_sends_a_reminder_queued_by_name_after_commit(overdue_reminder, real_worker):
    """Not eager: the retry's send, queued by name when its transaction commits, goes through Redis."""
    mail.outbox = []
    Reminder.objects.filter(pk=overdue_reminder.pk).update(status=ReminderStatus.FAILED, error="Earlier failure")
    assert reminder_retry(reminder=overdue_reminder) is True
    real_worker.wait_for(lambda done: done["coaching.send_reminder"] == 1)
    assert [m.to for m in mail.outbox] == [["rachel@example.nhs.uk"]]
    assert reload(overdue_reminder) == (ReminderStatus.SENT, 1, "")


# --- A worker killed mid-send: a real prefork worker in its own process ------------------------------


@dataclass
class WorkerProcess:
    """`celery worker --pool=prefork --concurrency=1` in a process of its own, on the test database
    and a fresh queue of the test Redis, sending email through coaching.tests.blocking_backend."""

    process: subprocess.Popen
    queue: str
    log: Path
    gate: Path  # the blocking backend's gate: entered-<n> files, then `open` lets sends through
    outbox: Path  # EMAIL_FILE_PATH: one file per message sent

    def log_lines(self, text: str) -> list[str]:
        return [line for line in self.log.read_text(errors="replace").splitlines() if text in line]

    def wait_in_log(self, text: str, *, count: int = 1, what: str) -> None:
        wait_until(lambda: len(self.log_lines(text)) >= count, timeout=60, what=what)

    def entered(self) -> list[int]:
        """The process id of each send that reached the mail server, in order."""
        return [
            int((self.gate / f"entered-{n}").read_text()) for n in range(1, len(list(self.gate.glob("entered-*"))) + 1)
        ]

    def sent(self) -> list[Path]:
        return sorted(self.outbox.iterdir())


def _database_url_of_the_tests() -> str:
    """This test session's database (PostgreSQL), for the worker process to use."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_process(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs the test database: SQLite's is in this process's memory")
    require_service("Redis", redis_available(REDIS_URL), REDIS_URL)
    queue = f"qms-test-{uuid.uuid4().hex}"
    gate, outbox = tmp_path / "gate", tmp_path / "outbox"
    gate.mkdir()
    outbox.mkdir()
    log = tmp_path / "worker.log"
    log.touch()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_of_the_tests(),
        "CELERY_BROKER_URL": REDIS_URL,
        "EMAIL_BACKEND": "coaching.tests.blocking_backend.BlockingBackend",
        "EMAIL_FILE_PATH": str(outbox),
        "QMS_TEST_MAIL_GATE": str(gate),
    }
    command = [
        *(sys.executable, "-m", "celery", "-A", "qms_site", "worker", "--pool=prefork", "--concurrency=1"),
        *("-Q", queue, "-n", f"{queue}@%h", "--loglevel=INFO", f"--logfile={log}"),
        *("--without-gossip", "--without-mingle", "--without-heartbeat"),
    ]
    process = subprocess.Popen(  # noqa: S603 - this interpreter's celery, fixed arguments
        command,
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    worker = WorkerProcess(process=process, queue=queue, log=log, gate=gate, outbox=outbox)
    try:
        worker.wait_in_log(" ready.", what="the worker to start")
        with celery_conf(broker_url=REDIS_URL, task_always_eager=False, task_default_queue=queue):
            yield worker
    finally:
        (gate / OPEN).touch()
        process.terminate()  # warm shutdown
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the worker and its pool process, started here
            process.wait(timeout=10)
        redis.Redis.from_url(REDIS_URL).delete(queue)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_send_does_not_send_twice_and_the_sweep_sends_it_once_after_the_bound(
    overdue_reminder, worker_process
):
    worker = worker_process
    digest = Digest.objects.create(
        recipient=overdue_reminder.recipient, kind=DigestKind.DAILY, period=dt.date.fromisoformat(DAY)
    )
    Reminder.objects.filter(pk=overdue_reminder.pk).update(digest=digest)
    send_claimed_email.delay("digest", digest.pk, DAY)

    # The pool process has claimed the send and is at the mail server: kill it there.
    wait_until(lambda: len(worker.entered()) == 1, timeout=60, what="the send to reach the mail server")
    assert reload(digest) == (ReminderStatus.SENDING, 1, "")
    [pool_process] = worker.entered()
    assert pool_process != worker.process.pid
    os.kill(pool_process, signal.SIGKILL)

    # acks_late + reject_on_worker_lost: the message is handed out again, to a new pool process,
    # whose task finds the claim held and does not send.
    worker.wait_in_log("succeeded in", what="the redelivered task to finish")
    assert [line.rsplit(": ", 1)[1] for line in worker.log_lines("succeeded in")] == ["'already done'"]
    assert len(worker.log_lines("WorkerLostError")) >= 1
    assert (len(worker.entered()), worker.sent()) == (1, [])
    assert reload(digest) == (ReminderStatus.SENDING, 1, "")

    (worker.gate / OPEN).touch()  # the mail server answers from now on
    today = dt.date(2025, 12, 16)
    # A sweep within the send bound leaves it to its (dead) task...
    assert reminders_sweep(today=today).requeued == []
    # ...and once the bound has passed puts it back to pending and queues it again, once.
    after_the_bound = timezone.now() + STALE_SENDING_AFTER + dt.timedelta(seconds=1)
    result = reminders_sweep(today=today, now=after_the_bound)
    assert (result.reminder_ids, result.requeued) == ([], [digest.pk])
    wait_until(lambda: reload(digest)[0] == ReminderStatus.SENT, timeout=60, what="the digest to be sent")
    worker.wait_in_log("succeeded in", count=2, what="the requeued task to finish")
    assert [line.rsplit(": ", 1)[1] for line in worker.log_lines("succeeded in")] == ["'already done'", "'sent'"]
    assert reload(digest) == (ReminderStatus.SENT, 2, "")
    assert reload(overdue_reminder)[0] == ReminderStatus.SENT
    [message] = worker.sent()
    assert "To: rachel@example.nhs.uk" in message.read_text()
    # Sent: a later sweep finds nothing left behind.
    assert reminders_sweep(today=today, now=after_the_bound).requeued == []
    assert redis.Redis.from_url(REDIS_URL).llen(worker.queue) == 0
