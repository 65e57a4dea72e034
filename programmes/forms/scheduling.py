"""Forms for teams, meetings, cohorts, enrolments and sessions. They parse and check input;
the services in programmes.services.scheduling do the writing."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator
from django.utils import timezone

from core.concurrency import VersionedForm, VersionedModelForm, VersionField
from core.forms import BoundedDateField, BoundedDateTimeField, DateInput, TimeInput, keep_saved_dates
from core.roles import Role

from ..models import Cohort, EnrolmentStatus, Team, TeamMeeting
from ..selectors import LOAD_WEEKS, coaches_with_load, published_templates, users_in
from ..services.scheduling import (
    cohort_default_end_date,
    current_enrolment_elsewhere,
    enrolment_team_check,
    session1_date_warnings,
)
from ..signals import slot_warnings


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


class _CoachLoadIterator(ModelChoiceIterator):
    def choice(self, obj):
        value, _label = super().choice(obj)
        return value, self.field.label_with_load(obj)


class CoachChoiceField(PersonChoiceField):
    """The coaches, each option with their load (selectors.coaches_with_load) so that the manager
    spreads the work: "Sam Coach (2 active teams, 3 sessions in the next 4 weeks)". Elsewhere (what
    was saved meanwhile) a coach is named alone."""

    iterator = _CoachLoadIterator

    def label_with_load(self, obj) -> str:
        teams = _count(obj.active_teams, "active team", "active teams")
        sessions = _count(obj.upcoming_sessions, "session", "sessions")
        return f"{self.label_from_instance(obj)} ({teams}, {sessions} in the next {LOAD_WEEKS} weeks)"


def _coach_field() -> CoachChoiceField:
    return CoachChoiceField(
        label="Coach",
        queryset=users_in(Role.COACH),  # with their load once the form knows today
        required=False,
        empty_label="No coach yet",
        help_text="Each coach's teams planned or active, and sessions still to hold in the next "
        f"{LOAD_WEEKS} weeks, in any cohort.",
    )


# --- Teams and meetings -----------------------------------------------------------------------


class TeamForm(VersionedModelForm):
    class Meta:
        model = Team
        fields = ["name", "site", "department", "improvement_board", "board_location", "contact_name", "contact_email"]
        labels = {
            "name": "Team name",
            "improvement_board": "Improvement board",
            "contact_name": "Team contact",
            "contact_email": "Team contact's email",
        }
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
        fields = [
            "name", "weekday", "start_time", "duration_minutes", "every_weeks", "first_date", "location", "is_huddle",
        ]  # fmt: skip
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
    # Blank: worked out from the start date and the programme version (cohort_default_end_date).
    target_end_date = BoundedDateField(
        label="Target end date",
        required=False,
        help_text="Leave it blank to use the due date of the programme's last session for a team "
        "whose session 1 is on the start date.",
    )
    owner = PersonChoiceField(
        label="Improvement manager",
        queryset=users_in(Role.MANAGER),
        help_text="Runs this cohort and receives escalations.",
    )

    class Meta:
        model = Cohort
        fields = ["name", "template", "owner", "start_date", "target_end_date"]
        labels = {"name": "Cohort name"}
        widgets = {"start_date": DateInput()}
        field_classes = {"start_date": BoundedDateField}
        error_messages = {"name": {"unique": "There is already a cohort with this name. Choose another name."}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        keep_saved_dates(self)
        if self.instance.pk:
            # A cohort follows the version it was created with.
            del self.fields["template"]
        elif "template" not in self.initial:
            # The latest published version: the one a new cohort almost always follows.
            latest = published_templates().order_by("-published_on", "-created_at").first()
            self.initial["template"] = latest.pk if latest else None
        # cohort_form.js fills a blank end date as the server would (see last_weeks()).
        self.fields["start_date"].widget.attrs["data-cohort-start"] = ""
        self.fields["target_end_date"].widget.attrs["data-cohort-end"] = ""
        if "template" in self.fields:
            self.fields["template"].widget.attrs["data-cohort-template"] = ""

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("target_end_date")
        template = cleaned.get("template") if "template" in self.fields else self.instance.template
        if start and end is None and "target_end_date" not in self.errors and template is not None:
            cleaned["target_end_date"] = end = cohort_default_end_date(template=template, start_date=start)
        if start and end and end < start:
            self.add_error("target_end_date", "The target end date must be on or after the start date.")
        return cleaned

    def last_weeks(self) -> dict[str, int]:
        """Each offered version's last session, in weeks after session 1, for cohort_form.js: the
        same rule as cohort_default_end_date(). Two queries (one on an edit)."""
        if self.instance.pk:
            templates = [self.instance.template]
        else:
            templates = self.fields["template"].queryset.prefetch_related("plans")
        weeks = {}
        for template in templates:
            offsets = [plan.week_offset for plan in template.plans.all()]
            weeks[str(template.pk)] = max(offsets, default=0)
        return weeks


class _Session1DateCheck:
    """Session 1's date checked against the calendar and the cohort (session1_date_warnings()):
    a date that is odd but may be right (in the past, a Saturday, Christmas Day, outside the
    cohort's dates) shows the form again with each reason and a `confirm` box to tick; posted
    again with it ticked, it saves. The page shows the box only when there are warnings."""

    confirm_label = "Yes, use this date"
    date_warnings: list[str]

    def _add_confirm_field(self) -> None:
        self.date_warnings = []
        self.fields["confirm"] = forms.BooleanField(label=self.confirm_label, required=False)

    def _check_session1_date(self, *, cohort: Cohort, today: dt.date, saved: dt.date | None = None) -> None:
        day = self.cleaned_data.get("session1_date")
        if day is None or day == saved:
            return  # a date already saved was confirmed when it was given
        self.date_warnings = session1_date_warnings(cohort=cohort, session1_date=day, today=today)
        if self.date_warnings and not self.cleaned_data.get("confirm"):
            self.add_error(
                "confirm",
                ValidationError(
                    f"Check session 1's date. If it is right, tick “{self.confirm_label}” and save again; "
                    "if not, change it.",
                    code="confirm",
                ),
            )


class TeamChoiceField(forms.ModelChoiceField):
    """Offers the teams not yet in the cohort, but knows every team: a team enrolled meanwhile (two
    tabs, two managers) gets the plain reason from enrolment_team_check(), not "not a valid choice"."""

    def __init__(self, *args, known, **kwargs):
        super().__init__(*args, **kwargs)
        self.known = known

    def to_python(self, value):
        offered = self.queryset
        self.queryset = self.known
        try:
            return super().to_python(value)
        finally:
            self.queryset = offered


class EnrolmentCreateForm(_Session1DateCheck, forms.Form):
    confirm_label = "Yes, enrol with this date"

    team = TeamChoiceField(
        label="Team",
        queryset=Team.objects.none(),
        known=Team.objects.all(),
        empty_label="Choose a team",
        error_messages={"invalid_choice": "Choose a team from the list."},
    )
    coach = _coach_field()
    session1_date = BoundedDateField(
        label="Session 1 date", what="Session 1", help_text="The other sessions are due from this date."
    )
    session1_start = forms.TimeField(
        label="Session 1 start time",
        required=False,
        widget=TimeInput(),
        help_text="London time. Leave it blank if the time is not agreed yet.",
    )
    session1_location = forms.CharField(
        label="Session 1 location",
        required=False,
        max_length=200,
        help_text="Where session 1 is held, for example Seminar room 2. Leave it blank if not agreed yet.",
    )

    def __init__(self, *args, cohort: Cohort, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cohort = cohort
        self.today = today or timezone.localdate()
        self.fields["coach"].queryset = coaches_with_load(today=self.today)
        self.fields["team"].queryset = (
            Team.objects.select_related("site").exclude(enrolments__cohort=cohort).order_by("site__code", "name")
        )
        self.fields["team"].label_from_instance = lambda team: f"{team.name} ({team.site.code})"
        self._add_confirm_field()

    def clean_team(self):
        team = self.cleaned_data["team"]
        try:
            enrolment_team_check(cohort=self.cohort, team=team)
        except ValidationError as error:
            self.refused_team = team
            raise ValidationError(error.error_dict["team"]) from None
        return team

    def clean(self):
        cleaned = super().clean()
        self._check_session1_date(cohort=self.cohort, today=self.today)
        return cleaned

    def enrolment_elsewhere(self):
        """The team's enrolment in another cohort, when that is why it cannot be enrolled here
        (for the page's link to it). One query, only then."""
        team = getattr(self, "refused_team", None) or getattr(self, "cleaned_data", {}).get("team")
        if team is None or not self.has_error("team", code="in_another_cohort"):
            return None
        return current_enrolment_elsewhere(team=team, cohort=self.cohort)


class EnrolmentEditForm(_Session1DateCheck, VersionedForm):
    coach = _coach_field()
    session1_date = BoundedDateField(
        label="Session 1 date",
        what="Session 1",
        help_text="Moving session 1 moves the due date of every session; not possible once a session is held.",
    )
    version = VersionField()

    def __init__(self, *args, cohort: Cohort, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        keep_saved_dates(self)
        self.cohort = cohort
        self.today = today or timezone.localdate()
        self.fields["coach"].queryset = coaches_with_load(today=self.today)
        self._add_confirm_field()

    def clean(self):
        cleaned = super().clean()
        saved = self.get_initial_for_field(self.fields["session1_date"], "session1_date")
        self._check_session1_date(cohort=self.cohort, today=self.today, saved=saved)
        return cleaned


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
    clash_override = forms.BooleanField(label="Keep this time despite the clashes", required=False)
    clash_override_reason = forms.CharField(
        label="Why keep it?",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the move, for example: the other session is online and short.",
    )

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = session
        self.clash_warnings: list[str] = []

    def clean(self):
        """A new time that clashes (programmes.signals.slot_warnings: the coach's other sessions,
        their unavailable days) is shown with each clash; it saves only with the box ticked and a
        reason given. Without clashes the override is dropped."""
        cleaned = super().clean()
        to_start = cleaned.get("to_start")
        if to_start is None:
            return cleaned
        self.clash_warnings = slot_warnings(session=self.session, start=to_start)
        if not self.clash_warnings:
            cleaned["clash_override_reason"] = ""
        elif not cleaned.get("clash_override"):
            self.add_error(
                "clash_override",
                ValidationError(
                    "This time clashes (see above). Choose another time, or tick “Keep this time despite the "
                    "clashes” and say why.",
                    code="clash",
                ),
            )
        elif not cleaned.get("clash_override_reason", "").strip() and "clash_override_reason" not in self.errors:
            self.add_error("clash_override_reason", ValidationError("Say why the time is kept.", code="clash_reason"))
        else:
            cleaned["clash_override_reason"] = cleaned["clash_override_reason"].strip()
        return cleaned
