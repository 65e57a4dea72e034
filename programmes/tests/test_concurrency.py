"""The one implementation of optimistic concurrency: claiming a version, what a refused form shows."""

import datetime as dt
import threading

import pytest
from django.db import connection

from conftest import skip_unless_postgresql
from core.concurrency import (
    DAMAGED_MESSAGE,
    SavedValue,
    StaleEdit,
    claim_version,
    refuse_stale,
    saved_meanwhile,
)
from programmes.forms import EnrolmentEditForm, TeamMeetingForm
from programmes.models import Enrolment, ProgrammeTemplate, Team, TeamMeeting
from programmes.services.scheduling import team_update
from tests import factories

pytestmark = pytest.mark.django_db


def test_claim_version_of_two_claims_on_one_version_exactly_one_wins():
    team = factories.TeamFactory(department="Before")
    claim_version(team, 1, department="First")
    assert team.version == 2
    with pytest.raises(StaleEdit) as error:
        claim_version(Team.objects.get(pk=team.pk), 1, department="Second")
    assert error.value.code == "stale"
    assert error.value.messages[0].startswith("Someone else saved this team while you were editing it")
    assert Team.objects.values_list("department", "version").get(pk=team.pk) == ("First", 2)


def test_claim_version_without_a_version_bumps_whatever_is_saved():
    team = factories.TeamFactory()
    Team.objects.filter(pk=team.pk).update(version=5)
    claim_version(team, None)
    assert (team.version, Team.objects.get(pk=team.pk).version) == (6, 6)


def test_claim_version_of_a_deleted_row_is_refused():
    team = factories.TeamFactory()
    Team.objects.filter(pk=team.pk).delete()
    with pytest.raises(StaleEdit):
        claim_version(team, None)


def test_claim_version_uses_a_templates_revision_not_its_version_label():
    draft = ProgrammeTemplate.objects.create(name="QMS programme", version="1.0")
    claim_version(draft, 1, thing="programme version")
    draft.refresh_from_db()
    assert (draft.version, draft.revision) == ("1.0", 2)


def test_saved_meanwhile_lists_the_fields_that_differ_as_the_pages_show_them(personas):
    enrolment = Enrolment.objects.select_related("coach").get(pk=personas.enrolment.pk)
    form = EnrolmentEditForm(
        {"coach": personas.other_coach.pk, "session1_date": "2025-09-22", "version": "1"},
        initial={"session1_date": enrolment.session1_date},
        cohort=enrolment.cohort,
    )
    assert form.is_valid()
    assert saved_meanwhile(form, enrolment) == [SavedValue("Coach", "Cara Coach", "Omar Other")]
    assert saved_meanwhile(form, enrolment, also=("status",)) == [
        SavedValue("Coach", "Cara Coach", "Omar Other"),
        SavedValue("Status", "Active", None),
    ]


def test_refuse_stale_keeps_the_input_and_carries_the_version_saved_now():
    meeting = factories.TeamMeetingFactory(weekday=1, first_date=dt.date(2025, 9, 23), version=4)
    data = {
        "name": "Typed",
        "weekday": "3",
        "start_time": "09:00",
        "duration_minutes": "30",
        "every_weeks": "1",
        "first_date": "2025-09-25",
        "version": "3",
    }
    form = TeamMeetingForm(data, instance=TeamMeeting.objects.get(pk=meeting.pk))
    assert form.is_valid()
    meanwhile = refuse_stale(form, meeting, StaleEdit())
    assert (form.data["version"], form.data["name"]) == ("4", "Typed")
    assert SavedValue("Day of the week", "Tuesday", "Thursday") in meanwhile
    assert form.non_field_errors()[0].startswith("Someone else saved this record")


@pytest.mark.parametrize("version", ["", "x", "0"])
def test_a_damaged_version_is_said_at_the_top_of_the_form(personas, version):
    form = EnrolmentEditForm(
        {"coach": "", "session1_date": "2025-09-22", "version": version},
        initial={"session1_date": dt.date(2025, 9, 22)},
        cohort=personas.enrolment.cohort,
    )
    assert not form.is_valid()
    assert form.non_field_errors() == [DAMAGED_MESSAGE]


@pytest.mark.django_db(transaction=True)
def test_two_saves_at_the_same_moment_from_one_version_exactly_one_wins():
    skip_unless_postgresql()
    team = factories.TeamFactory(department="Before")
    start = threading.Barrier(2)
    saved, refused, errors = [], [], []

    def save(department: str):
        try:
            start.wait(timeout=10)
            fields = {"name": team.name, "site": team.site, "improvement_board": "none", "board_location": ""}
            team_update(team=Team.objects.get(pk=team.pk), version=1, department=department, **fields)
            saved.append(department)
        except StaleEdit:
            refused.append(department)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(name,)) for name in ("Alice's", "Bob's")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert (errors, len(saved), len(refused)) == ([], 1, 1)
    assert Team.objects.values_list("department", "version").get(pk=team.pk) == (saved[0], 2)
