"""make loadtest: gunicorn on 127.0.0.1 against a throwaway PostgreSQL database, each page loaded by
wrk for a fixed time; one JSON line per page, then the acceptance (demo.bench.load)."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.bench import load

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/qms_load"
THROWAWAY_SUFFIX = "_load"
READY_SECONDS = 60


def _server_and_name(url: str) -> tuple[str, str]:
    """(server URL without database, database name) of a postgres:// URL."""
    head, _, name = url.rpartition("/")
    return head, name.split("?")[0]


def _postgres(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _get_status(port: int, path: str, cookie: str) -> int:
    """One GET on the server, not following redirects; its status."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


class _Stop(Exception):
    """SIGTERM while running: unwinds through the finally that stops gunicorn."""


class Command(BaseCommand):
    help = (
        "Load-test the site: gunicorn (2 workers, debug off, plain HTTP on 127.0.0.1) against a "
        "PostgreSQL database rebuilt with seed_demo --scale 30, then wrk on each page for 30 s with 20 "
        "connections as logged-in demo users. Prints one JSON line per page (req/s, p50, p99, errors, "
        f"throughput as a ratio to the baseline page's) and the acceptance. DATABASE_URL, or "
        f"{DEFAULT_DATABASE_URL}: its database is dropped and rebuilt, so its name must end in "
        f"'{THROWAWAY_SUFFIX}' (or pass --reuse to load it as it is)."
    )
    requires_system_checks = []  # the server's settings are not this process's: gunicorn checks its own

    def add_arguments(self, parser):
        parser.add_argument("--duration", type=int, default=30, help="Seconds of load per page (default 30).")
        parser.add_argument("--connections", type=int, default=20, help="Open connections (default 20).")
        parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2).")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2).")
        parser.add_argument("--scale", type=int, default=30, help="seed_demo --scale for the rebuild (default 30).")
        parser.add_argument("--pages", default="", help="Comma-separated page names to load (default: all).")
        parser.add_argument("--reuse", action="store_true", help="Use the database as it is: no rebuild.")
        parser.add_argument("--database-url", default="", help=f"Default: DATABASE_URL, or {DEFAULT_DATABASE_URL}.")
        parser.add_argument("--child-setup", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if options["child_setup"]:
            self.stdout.write(json.dumps(_pages_with_sessions()))
            return
        url = options["database_url"] or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
        if not url.startswith(("postgres://", "postgresql://")):
            raise CommandError(f"loadtest runs on PostgreSQL only, not {url.split(':')[0]}: set DATABASE_URL")
        server, name = _server_and_name(url)
        if not options["reuse"] and not name.endswith(THROWAWAY_SUFFIX):
            raise CommandError(
                f"refusing to drop the database {name!r}: name a throwaway one ending in "
                f"'{THROWAWAY_SUFFIX}' (e.g. {server}/qms_load), or pass --reuse"
            )
        wrk = shutil.which("wrk")
        if wrk is None:
            raise CommandError("wrk is not installed (Debian: apt-get install wrk)")
        port = load.free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "demo.bench.load_settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),  # the server and the sessions made for it share it
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",  # plain HTTP on the loopback address
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_SECURE_HSTS_SECONDS": "0",
            "QMS_SITE_URL": f"http://127.0.0.1:{port}",
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": "",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("DJANGO_SECURE_PROXY_SSL_HEADER", None)
        if not options["reuse"]:
            self._rebuild(server=server, name=name, scale=options["scale"], env=env)
        else:
            self._manage(["migrate", "--noinput", "-v0"], env)
        setup = self._manage(["loadtest", "--child-setup"], env, capture=True)
        pages = json.loads(setup.splitlines()[-1])
        if options["pages"]:
            wanted = {page.strip() for page in options["pages"].split(",") if page.strip()}
            unknown = wanted - {page["name"] for page in pages}
            if unknown:
                raise CommandError(f"no such page: {', '.join(sorted(unknown))}")
            pages = [page for page in pages if page["name"] in wanted]
        self.stdout.write(
            json.dumps(
                {
                    "loadtest": name,
                    "scale": None if options["reuse"] else options["scale"],
                    "port": port,
                    "workers": options["workers"],
                    "connections": options["connections"],
                    "duration_s": options["duration"],
                }
            )
        )
        previous = signal.signal(signal.SIGTERM, _raise_stop)
        with tempfile.TemporaryDirectory(prefix="qms-loadtest-") as tmp:
            log_path = Path(tmp) / "gunicorn.log"
            script = Path(tmp) / "count.lua"
            script.write_text(load.WRK_SCRIPT)
            server_process = None
            try:
                with log_path.open("w") as log:
                    server_process = subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn
                        [sys.executable, "-m", "gunicorn", "qms_site.wsgi:application"]
                        + ["--bind", f"127.0.0.1:{port}", "--workers", str(options["workers"])]
                        + ["--log-level", "warning", "--graceful-timeout", "5"],
                        cwd=settings.BASE_DIR,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,  # its own process group: stopped as one below
                    )
                self._wait_ready(server_process, port, log_path)
                results = []
                for page in pages:
                    status = _get_status(port, page["path"], page["cookie"])
                    if status != 200:
                        raise CommandError(f"{page['name']} answered {status} before the load began")
                    command = load.wrk_command(
                        wrk=wrk,
                        script=str(script),
                        url=f"http://127.0.0.1:{port}{page['path']}",
                        cookie=page["cookie"],
                        duration=options["duration"],
                        connections=options["connections"],
                        threads=options["threads"],
                    )
                    run = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
                    if run.returncode:
                        raise CommandError(f"wrk failed on {page['name']}: {run.stderr or run.stdout}")
                    results.append(load.page_result(page["name"], load.parse_wrk(run.stdout)))
                results = load.with_ratios(results)
                for line in results:
                    self.stdout.write(json.dumps(line))
                self.stdout.write(json.dumps(load.acceptance(results)))
            except _Stop as exc:
                raise CommandError("stopped (SIGTERM)") from exc
            except CommandError:
                if log_path.exists():
                    self.stderr.write(log_path.read_text()[-4000:])
                raise
            finally:
                signal.signal(signal.SIGTERM, previous)
                if server_process is not None:
                    _stop(server_process)

    def _rebuild(self, *, server: str, name: str, scale: int, env: dict) -> None:
        """Drops and creates the database, migrates it and loads the demo at `scale`."""
        _postgres(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _postgres(server, f'CREATE DATABASE "{name}"')
        self._manage(["migrate", "--noinput", "-v0"], env)
        self._manage(["seed_demo", f"--scale={scale}"], env)

    def _manage(self, args: list[str], env: dict, *, capture: bool = False) -> str:
        """Runs manage.py with the server's environment. Returns its standard output if captured;
        otherwise passes what it says on to this command's stderr."""
        result = subprocess.run(  # noqa: S603 - our own interpreter and command
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if capture else subprocess.STDOUT,
            text=True,
            check=False,
        )
        said = result.stderr if capture else result.stdout
        if result.returncode or not capture:
            self.stderr.write(said or "", ending="")
        if result.returncode:
            raise CommandError(f"manage.py {' '.join(args)} failed (exit {result.returncode})")
        return result.stdout

    @staticmethod
    def _wait_ready(process: subprocess.Popen, port: int, log_path: Path) -> None:
        """Until /healthz answers 200; fails if gunicorn exits or is not ready in READY_SECONDS."""
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise CommandError(f"gunicorn exited (code {process.returncode})")
            try:
                if _get_status(port, "/healthz", "") == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise CommandError(f"gunicorn did not answer /healthz within {READY_SECONDS} s")


def _raise_stop(signum, frame):
    raise _Stop


def _stop(process: subprocess.Popen) -> None:
    """Stops gunicorn and its workers (its own process group): TERM, then KILL after 15 s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def _pages_with_sessions() -> list[dict]:
    """The pages loaded, each with the path and Cookie header to send: run in the server's
    environment (its secret key signs nothing here, but a session's auth hash is keyed with it)."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from demo.bench.pages import BASELINE_URL
    from demo.story import WARD_22
    from feedback.models import FeedbackLink
    from programmes.models import Team

    users = get_user_model()
    cookies: dict[str, str] = {}

    def cookie(username: str) -> str:
        if username not in cookies:
            client = Client()
            client.force_login(users.objects.get(username=username))
            cookies[username] = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        return cookies[username]

    team = Team.objects.get(name=WARD_22.name, site__code=WARD_22.site)
    link = FeedbackLink.objects.filter(is_open=True).order_by("pk").first()
    if link is None:
        raise CommandError("no open feedback link in the database: rebuild it (no --reuse)")
    return [
        {"name": load.BASELINE, "path": BASELINE_URL, "cookie": cookie("coach")},
        {"name": load.DASHBOARD, "path": reverse("dashboards:progress"), "cookie": cookie("lead")},
        {"name": "team_page", "path": reverse("programmes:team", args=[team.pk]), "cookie": cookie("coach")},
        {"name": "my_teams", "path": reverse("coaching:my_teams"), "cookie": cookie("coach")},
        {"name": "feedback_form", "path": reverse("feedback:form", kwargs={"token": link.token}), "cookie": ""},
        {"name": "admin_sessions", "path": reverse("admin:programmes_session_changelist"), "cookie": cookie("manager")},
    ]
