"""One of each object the project's URLs take, all of the coach's team (conftest.py `personas`),
and each URL name's address with them: for the tests that walk every URL."""

from __future__ import annotations

from django.urls import reverse

from checklists.models import Tool
from coaching.models import Digest, DigestKind, Invitation, SendStatus
from coaching.services import calendar_feed_for_team
from feedback.services import huddle_board_for_team
from programmes.models import TemplateStatus
from tests import factories


def make_world(personas) -> dict:
    """One of each object the URLs take, all belonging to the coach's team."""
    enrolment = personas.enrolment
    session = enrolment.sessions.get(number=1)
    session.held_on = enrolment.session1_date
    session.attendees = 6
    session.save()
    meeting = factories.TeamMeetingFactory(team=enrolment.team)
    draft = factories.ProgrammeTemplateFactory(status=TemplateStatus.DRAFT, version="9.9")
    link = factories.FeedbackLinkFactory(session=session)
    factories.ChecklistFactory(session=session, coach=personas.coach)
    return {
        "pk:team": enrolment.team_id,
        "meeting": meeting.pk,
        "pk:cohort": enrolment.cohort_id,
        "pk:enrolment": enrolment.pk,
        "pk:session": session.pk,
        "pk:version": draft.pk,
        "pk:pdsa": factories.PdsaCycleFactory(created_by=personas.manager).pk,
        "pk:reminder": factories.ReminderFactory(session=session, recipient=personas.coach).pk,
        "pk:invitation": Invitation.objects.create(
            session=session, recipient=personas.coach, email="coach@example.nhs.uk", sequence=1, method="REQUEST"
        ).pk,
        "pk:digest": Digest.objects.create(
            recipient=personas.coach, kind=DigestKind.DAILY, period=enrolment.session1_date, status=SendStatus.FAILED
        ).pk,
        "pk:tool": Tool.objects.order_by("order").first().pk,
        "pk:change": factories.ContentChangeFactory().pk,
        "link": link.token,
        "feed": calendar_feed_for_team(team=enrolment.team).token,
        "huddle": huddle_board_for_team(team=enrolment.team).token,
    }


# URL name -> the world's objects it takes, in order (none: not in this table).
URL_ARGS = {
    "programmes:team": ["pk:team"],
    "programmes:team_edit": ["pk:team"],
    "programmes:meeting_create": ["pk:team"],
    "programmes:meeting_edit": ["pk:team", "meeting"],
    "programmes:cohort": ["pk:cohort"],
    "programmes:cohort_edit": ["pk:cohort"],
    "programmes:enrolment_create": ["pk:cohort"],
    "programmes:enrolment": ["pk:enrolment"],
    "programmes:enrolment_edit": ["pk:enrolment"],
    "programmes:enrolment_status": ["pk:enrolment"],
    "programmes:session": ["pk:session"],
    "programmes:session_held": ["pk:session"],
    "programmes:session_cancel": ["pk:session"],
    "programmes:session_move": ["pk:session"],
    "programmes:version_detail": ["pk:version"],
    "programmes:version_edit": ["pk:version"],
    "programmes:version_publish": ["pk:version"],
    "programmes:version_delete": ["pk:version"],
    "programmes:pdsa_detail": ["pk:pdsa"],
    "programmes:pdsa_edit": ["pk:pdsa"],
    "coaching:agreement": ["pk:enrolment"],
    "coaching:agreement_meeting": ["pk:enrolment"],
    "coaching:calendar": ["feed"],
    "coaching:team_calendar_reset": ["pk:team"],
    "coaching:reminder_retry": ["pk:reminder"],
    "coaching:digest_retry": ["pk:digest"],
    "coaching:invitation_retry": ["pk:invitation"],
    "checklists:checklist": ["pk:session"],
    "checklists:checklist_history": ["pk:session"],
    "checklists:checklist_print": ["pk:session"],
    "checklists:enrolment_summary": ["pk:enrolment"],
    "checklists:tool_edit": ["pk:tool"],
    "feedback:session": ["pk:session"],
    "feedback:session_open": ["pk:session"],
    "feedback:session_close": ["pk:session"],
    "feedback:session_shared_device": ["pk:session"],
    "feedback:poster": ["pk:session"],
    "feedback:change_edit": ["pk:change"],
    "feedback:form": ["link"],
    "feedback:thanks": ["link"],
    "feedback:huddle": ["huddle"],
    "feedback:huddle_recorded": ["huddle"],
    "feedback:huddle_sheet": ["pk:team"],
    "feedback:huddle_reset": ["pk:team"],
    "dashboards:cohort": ["pk:cohort"],
    "dashboards:cohort_report": ["pk:cohort"],
    "dashboards:cohort_report_pdf": ["pk:cohort"],
}
# The objects that are the coach's team's own records: another coach must never reach them.
TEAM_RECORDS = {"pk:team", "meeting", "pk:enrolment", "pk:session"}


def url_for(name: str, world: dict) -> str:
    """The URL of `name` with the world's objects as its arguments."""
    return reverse(name, args=[world[key] for key in URL_ARGS.get(name, [])])
