"""Where the apps above programmes step into its flow, without programmes importing them.

next_step_after_held: sent when a person has recorded a session as held, with `session` and
`request`. A receiver may answer (url, message) to send the person on to a next step (coaching:
"now agree the coaching slots" after session 1); the first answer wins, else the enrolment page.

check_slot: sent when a person proposes a new time for a session (moving it), with `session` and
`start` (an aware datetime). A receiver answers a list of warnings, each a sentence naming what the
time clashes with (coaching: the coach's other sessions and unavailable dates); slot_warnings()
gathers them. The page shows them and saves only once the person overrides them with a reason.
"""

from __future__ import annotations

import datetime as dt

from django.dispatch import Signal

next_step_after_held = Signal()
check_slot = Signal()


def slot_warnings(*, session, start: dt.datetime) -> list[str]:
    """Every warning the apps above give for this session at this start, in the order they answered."""
    warnings: list[str] = []
    for _receiver, answer in check_slot.send(sender=type(session), session=session, start=start):
        warnings.extend(answer or ())
    return warnings
