"""Where the apps above programmes step into its flow, without programmes importing them.

next_step_after_held: sent when a person has recorded a session as held, with `session` and
`request`. A receiver may answer (url, message) to send the person on to a next step (coaching:
"now agree the coaching slots" after session 1); the first answer wins, else the enrolment page.
"""

from django.dispatch import Signal

next_step_after_held = Signal()
