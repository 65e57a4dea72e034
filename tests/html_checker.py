"""The Nu HTML checker (vnu.jar, from npm's `vnu-jar` pinned in package-lock.json: `make vnu`),
run once per test session as a local web service that pages are posted to.

One JVM takes about six seconds to start, so the tests never start one per page: conftest.py's
session fixture `html_checker` starts it once and every browser test and the page test post their
documents to it. Only errors count; warnings and notes do not fail a test.
"""

from __future__ import annotations

import collections
import concurrent.futures
import hashlib
import json
import os
import shutil
import socket
import subprocess
import threading
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = Path(os.environ.get("QMS_VNU_JAR", ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"))
JAVA = os.environ.get("QMS_JAVA", "java")
STARTED = "Checker service started at"
START_TIMEOUT = 120  # seconds; it takes about six on the CI machine

# Messages the checker reports that no template of ours can avoid. Each needs a reason; none yet.
IGNORED: dict[str, str] = {}


def checker_missing() -> str:
    """Why the checker cannot run here ("" when it can)."""
    if not shutil.which(JAVA):
        return f"no Java ({JAVA!r} is not on PATH; set QMS_JAVA)"
    if not VNU_JAR.is_file():
        return f"{VNU_JAR} is missing: run `make vnu` (npm)"
    return ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NuChecker:
    """The checker's web service on 127.0.0.1. `submit(html)` starts checking a document in the
    background (a browser test goes on meanwhile); `errors(html)` waits for its errors."""

    def __init__(self, java: str = JAVA, jar: Path = VNU_JAR):
        self.url = f"http://127.0.0.1:{_free_port()}/"
        # sha256 of a document -> its errors, so that a document seen again is not posted again.
        self._results: dict[str, concurrent.futures.Future[list[dict]]] = {}
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="nu-checker")
        self._log: collections.deque[str] = collections.deque(maxlen=40)
        self._ready = threading.Event()
        self._ended = threading.Event()
        port = self.url.rsplit(":", 1)[1].strip("/")
        self.process = subprocess.Popen(  # noqa: S603 - our own fixed command line
            [java, "-Dnu.validator.servlet.bind-address=127.0.0.1", "-cp", str(jar), "nu.validator.servlet.Main", port],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # Reads the service's log (so that its pipe never fills) and says when it is listening.
        threading.Thread(target=self._read_log, daemon=True).start()

    def _read_log(self) -> None:
        for line in self.process.stdout:
            self._log.append(line.rstrip())
            if STARTED in line:
                self._ready.set()
        self._ended.set()
        self._ready.set()  # wake a waiter: the process has gone

    def wait_ready(self) -> None:
        """Block until the service listens (its log line says so), or fail with its log."""
        if not self._ready.wait(START_TIMEOUT) or self._ended.is_set():
            log = "\n".join(self._log)
            raise RuntimeError(f"The Nu HTML checker did not start within {START_TIMEOUT} s:\n{log}")

    def submit(self, html: str) -> concurrent.futures.Future[list[dict]]:
        key = hashlib.sha256(html.encode()).hexdigest()
        if key not in self._results:
            self._results[key] = self._pool.submit(self._check, html.encode())
        return self._results[key]

    def errors(self, html: str) -> list[dict]:
        """The checker's error messages for one document (each: message, lastLine, extract...)."""
        return self.submit(html).result()

    def _check(self, document: bytes) -> list[dict]:
        self.wait_ready()
        request = urllib.request.Request(  # noqa: S310 - our own service on 127.0.0.1
            self.url + "?out=json",
            data=document,
            headers={"Content-Type": "text/html; charset=utf-8"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            messages = json.load(response)["messages"]
        problems = [m for m in messages if m.get("type") == "non-document-error"]
        if problems:
            raise RuntimeError(f"The Nu HTML checker could not check a document: {problems}")
        return [m for m in messages if m.get("type") == "error" and m["message"] not in IGNORED]

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def describe(errors: list[dict]) -> str:
    """One line per error: line, message, and the markup around it."""
    return "\n".join(
        f"  line {e.get('lastLine', '?')}: {e['message']}\n      {e.get('extract', '').strip()!r}" for e in errors
    )
