"""Where other parts of the product plug into the scheduling pages: the team page shows the
checklists of the team's latest enrolment (checklists app), the session page shows the session's
feedback (feedback app), My teams and the enrolment page show when the last reminder went
(coaching reminders)."""

from __future__ import annotations

from checklists.selectors import team_checklist_summary
from checklists.sustainment import sustained_run_length
from core.access import can_change
from dashboards.selectors import adoption_run_chart
from feedback.selectors import session_feedback_panel

from ..selectors import TeamRow, last_reminders_by_enrolment


def team_checklists(*, rows: list[TeamRow], user) -> dict | None:
    """The heatmap, sustainment, adoption and culture notes of the newest enrolment on the page
    (rows come newest first), for checklists/_team_checklists.html; None when there is none.
    Three queries (the checklists app's selector)."""
    if not rows:
        return None
    enrolment = rows[0].enrolment
    return {
        "enrolment": enrolment,
        "summary": team_checklist_summary(enrolment=enrolment, run_length=sustained_run_length()),
        "can_fill": can_change(user, enrolment.coach_id),
    }


def session_feedback(*, session, user):
    """The session's feedback panel for feedback/_session_feedback.html: one query."""
    return session_feedback_panel(session=session, user=user)


def last_reminder_for(*, enrolment):
    """The last reminder sent about this enrolment, or None: one query."""
    return last_reminders_by_enrolment([enrolment.pk]).get(enrolment.pk)


def team_run_chart(*, checklists: dict | None):
    """The adoption-score run chart of the enrolment team_checklists() shows, for
    dashboards/_run_chart.html; None when it has no checklist yet. One query (the PDSA cycles marked
    on its time axis), none without a checklist."""
    if not checklists:
        return None
    return adoption_run_chart(summary=checklists["summary"])
