"""A test-only email backend for a real worker in another process: it stops mid-send until the
test lets it go, so that the test can kill the worker while a reminder is being sent.

Django's file backend (EMAIL_FILE_PATH: one file per sent message) behind a gate directory,
QMS_TEST_MAIL_GATE: each send first writes `entered-<n>` there holding the sending process's id,
then waits for a file named `open` to appear (at most QMS_TEST_MAIL_GATE_SECONDS, default 60)
before the message is written. A send that is killed while waiting writes no message.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.core.mail.backends import filebased

OPEN = "open"


class BlockingBackend(filebased.EmailBackend):
    def send_messages(self, email_messages):
        gate = Path(os.environ["QMS_TEST_MAIL_GATE"])
        entered = gate / f"entered-{len(list(gate.glob('entered-*'))) + 1}"
        writing = gate / f"writing-{os.getpid()}"
        writing.write_text(str(os.getpid()))
        writing.replace(entered)  # whole, never half-written, when the test reads it
        deadline = time.monotonic() + float(os.environ.get("QMS_TEST_MAIL_GATE_SECONDS", "60"))
        while not (gate / OPEN).exists():
            if time.monotonic() > deadline:
                raise TimeoutError("the test never opened the mail gate")
            time.sleep(0.02)
        return super().send_messages(email_messages)
