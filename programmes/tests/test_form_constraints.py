"""Every database constraint a page's form can reach is refused by the form first, in plain words:
the page comes back (200) with the message, nothing is saved, and there is no 500.

Constraints of the programmes app and where each is checked before the database:
- programmes_team_unique_name_per_site: team form (model validation, services._full_clean)
- programmes_teammeeting_weekday_range / _every_weeks_valid: the meeting form's choices
- programmes_teammeeting_duration_range: the meeting form's min/max (also test_meeting_duration.py)
- programmes_programmetemplate_unique_version: the draft form (test_versions.py)
- programmes_sessionplan_unique_number / _number_positive: the plan formset (test_versions.py)
- programmes_cohort_end_after_start, Cohort.name unique: the cohort form
- programmes_enrolment_unique_team_per_cohort, programmes_enrolment_one_current_per_team: the enrol form
- programmes_session_not_held_and_cancelled: the cancel form (a held session cannot be cancelled)
- programmes_pdsacycle_decided_after_start: the PDSA form (test_pdsa.py)
Not reachable from any page's form (made by the services, or admin only): programmes_session_unique_number,
programmes_session_unique_plan, programmes_session_number_positive, programmes_programmetemplate_published_has_date
(publishing sets the date), Site.code unique (sites are added in the admin).
"""

import datetime as dt

import pytest
from django.urls import reverse

from programmes.models import Cohort, Enrolment, PdsaCycle, Session, Team, TeamMeeting
from tests import factories

pytestmark = pytest.mark.django_db


def meeting(**overrides) -> dict:
    return {
        "name": "Weekly huddle",
        "weekday": "1",
        "start_time": "09:00",
        "duration_minutes": "30",
        "every_weeks": "1",
        "first_date": "2025-09-23",
        "location": "",
        **overrides,
    }


def cohort(**overrides) -> dict:
    return {
        "name": "Spring 2026",
        "template": factories.default_template().pk,
        "start_date": "2026-03-02",
        "target_end_date": "2026-06-01",
        **overrides,
    }


def counts() -> tuple:
    return (
        Team.objects.count(),
        TeamMeeting.objects.count(),
        Cohort.objects.count(),
        Enrolment.objects.count(),
        Session.objects.filter(cancelled=True).count(),
        PdsaCycle.objects.count(),
    )


# Each case: (constraint, url name, url args from personas, data from personas, field, message).
CASES = [
    (
        "programmes_team_unique_name_per_site",
        "programmes:team_create",
        lambda p: [],
        lambda p: {"name": p.enrolment.team.name, "site": p.enrolment.team.site_id, "improvement_board": "none"},
        "__all__",
        "Team with this Site and Name already exists.",
    ),
    (
        "programmes_teammeeting_weekday_range",
        "programmes:meeting_create",
        lambda p: [p.enrolment.team_id],
        lambda p: meeting(weekday="7"),
        "weekday",
        "Select a valid choice. 7 is not one of the available choices.",
    ),
    (
        "programmes_teammeeting_every_weeks_valid",
        "programmes:meeting_create",
        lambda p: [p.enrolment.team_id],
        lambda p: meeting(every_weeks="3"),
        "every_weeks",
        "Select a valid choice. 3 is not one of the available choices.",
    ),
    (
        "programmes_teammeeting_duration_range",
        "programmes:meeting_create",
        lambda p: [p.enrolment.team_id],
        lambda p: meeting(duration_minutes="1441"),
        "duration_minutes",
        "A meeting lasts between 1 minute and 24 hours.",
    ),
    (
        "programmes_cohort_end_after_start",
        "programmes:cohort_create",
        lambda p: [],
        lambda p: cohort(owner=p.manager.pk, target_end_date="2026-03-01"),
        "target_end_date",
        "The target end date must be on or after the start date.",
    ),
    (
        "Cohort.name unique",
        "programmes:cohort_create",
        lambda p: [],
        lambda p: cohort(owner=p.manager.pk, name="Autumn cohort"),
        "name",
        "There is already a cohort with this name. Choose another name.",
    ),
    (
        "programmes_enrolment_unique_team_per_cohort",
        "programmes:enrolment_create",
        lambda p: [p.enrolment.cohort_id],
        lambda p: {"team": p.enrolment.team_id, "coach": "", "session1_date": "2025-09-22", "confirm": "on"},
        "team",
        "Education support team is already enrolled in Autumn cohort.",
    ),
    (
        "programmes_enrolment_one_current_per_team",
        "programmes:enrolment_create",
        lambda p: [factories.CohortFactory(name="Winter cohort").pk],
        lambda p: {"team": p.enrolment.team_id, "coach": "", "session1_date": "2025-09-22", "confirm": "on"},
        "team",
        "Education support team is already active in Autumn cohort, coached by Cara Coach. A team is in one cohort "
        "at a time: the manager must withdraw it from Autumn cohort first (or mark it completed there).",
    ),
    (
        "programmes_session_not_held_and_cancelled",
        "programmes:session_cancel",
        lambda p: [_held_session(p).pk],
        lambda p: {"reason": "Ward closed", "version": _held_session(p).version},
        "__all__",
        "A session that has been held cannot be cancelled.",
    ),
]


def _held_session(personas) -> Session:
    session = personas.enrolment.sessions.get(number=1)
    if session.held_on is None:
        Session.objects.filter(pk=session.pk).update(held_on=dt.date(2025, 9, 22), attendees=8)
        session.refresh_from_db()
    return session


@pytest.mark.parametrize(
    ("constraint", "name", "args", "data", "field", "message"), CASES, ids=[case[0] for case in CASES]
)
def test_a_form_refuses_what_the_database_would_in_plain_words(
    login, personas, constraint, name, args, data, field, message
):
    url = reverse(name, args=args(personas))
    posted = data(personas)
    before = counts()
    response = login("manager", personas).post(url, posted)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert counts() == before
