"""Forms for teams, meetings, cohorts, enrolments and sessions. They parse and check input;
the services in programmes.services.scheduling do the writing."""

from __future__ import annotations

from django import forms

from core.concurrency import VersionedForm, VersionedModelForm, VersionField
from core.forms import BoundedDateField, BoundedDateTimeField, DateInput, TimeInput, keep_saved_dates
from core.roles import Role

from ..models import Cohort, EnrolmentStatus, Team, TeamMeeting
from ..selectors import published_templates, users_in


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


# --- Teams and meetings -----------------------------------------------------------------------


class TeamForm(VersionedModelForm):
    class Meta:
        model = Team
        fields = ["name", "site", "department", "improvement_board", "board_location"]
        labels = {"name": "Team name", "improvement_board": "Improvement board"}
        help_texts = {"board_location": "Where the physical board is, or the link to the virtual one."}


class TeamMeetingForm(VersionedModelForm):
    weekday = forms.TypedChoiceField(
        label="Day of the week",
        coerce=int,
        choices=[("", "Choose a day")] + [(v, label) for v, label in TeamMeeting._meta.get_field("weekday").choices],
        error_messages={"required": "Choose the day of the week the meeting is held on."},
    )
    # The same range as the table's check (programmes_teammeeting_duration_range), so 0 is a form error.
    duration_minutes = forms.IntegerField(
        label="Length (minutes)",
        initial=60,
        min_value=1,
        max_value=24 * 60,
        error_messages={
            "min_value": "A meeting lasts between 1 minute and 24 hours.",
            "max_value": "A meeting lasts between 1 minute and 24 hours.",
        },
    )

    class Meta:
        model = TeamMeeting
        fields = ["name", "weekday", "start_time", "duration_minutes", "every_weeks", "first_date", "location"]
        labels = {
            "name": "Meeting name",
            "start_time": "Start time",
            "every_weeks": "How often",
            "first_date": "A date it is held on",
        }
        help_texts = {"start_time": "Local time in London; it stays the same when the clocks change."}
        widgets = {"start_time": TimeInput(), "first_date": DateInput()}
        field_classes = {"first_date": BoundedDateField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        keep_saved_dates(self)


# --- Cohorts and enrolments -------------------------------------------------------------------


class CohortForm(VersionedModelForm):
    template = forms.ModelChoiceField(
        label="Programme version",
        queryset=published_templates(),
        empty_label="Choose a published version",
        help_text="Only published versions can be used; the cohort keeps this version.",
    )
    owner = PersonChoiceField(
        label="Improvement manager",
        queryset=users_in(Role.MANAGER),
        help_text="Runs this cohort and receives escalations.",
    )

    class Meta:
        model = Cohort
        fields = ["name", "template", "owner", "start_date", "target_end_date"]
        labels = {"name": "Cohort name", "target_end_date": "Target end date"}
        widgets = {"start_date": DateInput(), "target_end_date": DateInput()}
        field_classes = {"start_date": BoundedDateField, "target_end_date": BoundedDateField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        keep_saved_dates(self)
        if self.instance.pk:
            # A cohort follows the version it was created with.
            del self.fields["template"]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("target_end_date")
        if start and end and end < start:
            self.add_error("target_end_date", "The target end date must be on or after the start date.")
        return cleaned


class EnrolmentCreateForm(forms.Form):
    team = forms.ModelChoiceField(label="Team", queryset=Team.objects.none(), empty_label="Choose a team")
    coach = PersonChoiceField(label="Coach", queryset=users_in(Role.COACH), required=False, empty_label="No coach yet")
    session1_date = BoundedDateField(
        label="Session 1 date", what="Session 1", help_text="The other sessions are due from this date."
    )

    def __init__(self, *args, cohort: Cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = (
            Team.objects.select_related("site").exclude(enrolments__cohort=cohort).order_by("site__code", "name")
        )
        self.fields["team"].label_from_instance = lambda team: f"{team.name} ({team.site.code})"


class EnrolmentEditForm(VersionedForm):
    coach = PersonChoiceField(label="Coach", queryset=users_in(Role.COACH), required=False, empty_label="No coach yet")
    session1_date = BoundedDateField(
        label="Session 1 date",
        what="Session 1",
        help_text="Moving session 1 moves the due date of every session; not possible once a session is held.",
    )
    version = VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        keep_saved_dates(self)


class EnrolmentStatusForm(VersionedForm):
    """A status button: the status, and the enrolment's version the page was shown with."""

    status = forms.ChoiceField(
        choices=EnrolmentStatus.choices,
        error_messages={
            "required": "Choose planned, active, completed or withdrawn.",
            "invalid_choice": "Choose planned, active, completed or withdrawn.",
        },
    )
    version = VersionField()


# --- Sessions ---------------------------------------------------------------------------------


class SessionForm(VersionedForm):
    """Carries the session's version, so that a save over someone else's is refused."""

    version = VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        keep_saved_dates(self)


class SessionHeldForm(SessionForm):
    held_on = BoundedDateField(label="Date held")
    attendees = forms.IntegerField(
        label="Number of attendees",
        min_value=0,
        max_value=500,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 5}))


class SessionCancelForm(SessionForm):
    reason = forms.CharField(
        label="Why is it cancelled?", max_length=500, widget=forms.Textarea(attrs={"rows": 3}), strip=True
    )


class SessionMoveForm(SessionForm):
    to_start = BoundedDateTimeField(
        label="New date and time",
        what="The new date",
        help_text="London time.",
    )
    reason = forms.CharField(label="Why is it moving?", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
