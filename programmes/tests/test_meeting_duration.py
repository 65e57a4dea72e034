"""A meeting's length: 1 minute to 24 hours, checked by the form (not left to the table's constraint)."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains

from programmes.forms.scheduling import TeamMeetingForm
from programmes.models import TeamMeeting
from tests import factories

pytestmark = pytest.mark.django_db

MESSAGE = "A meeting lasts between 1 minute and 24 hours."
DATA = {
    "name": "Weekly huddle",
    "weekday": "1",
    "start_time": "09:00",
    "every_weeks": "2",
    "first_date": "2025-09-23",
    "location": "Seminar room 2",
}


def test_the_browser_is_told_the_range():
    html = str(TeamMeetingForm()["duration_minutes"])
    assert 'min="1"' in html
    assert 'max="1440"' in html
    assert 'value="60"' in html


@pytest.mark.parametrize("minutes", ["0", "-5", "1441"])
def test_a_length_out_of_range_is_a_plain_form_error_and_nothing_is_saved(login, personas, minutes):
    team = personas.enrolment.team
    response = login("manager", personas).post(
        reverse("programmes:meeting_create", args=[team.pk]), {**DATA, "duration_minutes": minutes}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"duration_minutes": [MESSAGE]}
    assertContains(response, MESSAGE)
    assert "programmes_teammeeting_duration_range" not in response.content.decode()
    assert not TeamMeeting.objects.exists()


def test_editing_to_zero_keeps_the_saved_length(login, personas):
    meeting = factories.TeamMeetingFactory(team=personas.enrolment.team, duration_minutes=45)
    response = login("manager", personas).post(
        reverse("programmes:meeting_edit", args=[meeting.team_id, meeting.pk]),
        {**DATA, "duration_minutes": "0", "version": "1"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"duration_minutes": [MESSAGE]}
    meeting.refresh_from_db()
    assert meeting.duration_minutes == 45


@pytest.mark.parametrize("minutes", ["1", "1440"])
def test_the_ends_of_the_range_save(login, personas, minutes):
    team = personas.enrolment.team
    response = login("manager", personas).post(
        reverse("programmes:meeting_create", args=[team.pk]), {**DATA, "duration_minutes": minutes}
    )
    assert response.status_code == 302
    assert TeamMeeting.objects.get(team=team).duration_minutes == int(minutes)
