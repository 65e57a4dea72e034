"""The coaching agreement form. It works without JavaScript: the page lists the date proposed for
every later session, each with a ticked box; unticking a date and pressing Recalculate (or
Confirm) adds it to the hidden list of unavailable dates, and the next meeting date is taken."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django import forms

from core.concurrency import VersionedForm, VersionField
from core.forms import BoundedDateField
from programmes.models import TeamMeeting

from ..models import NO_AGREEMENT_VERSION, agreed_on_error

RECALCULATE = "recalculate"
CONFIRM = "confirm"


class DateListField(forms.Field):
    """Several ISO dates under one name (hidden inputs or checkboxes)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[dt.date]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        dates = []
        for item in value:
            try:
                dates.append(dt.date.fromisoformat(str(item)))
            except ValueError as exc:
                raise forms.ValidationError("The list of dates was damaged; reload the page.") from exc
        return sorted(set(dates))


def agreement_version_field() -> VersionField:
    """The version of the team's coaching agreement the page was opened on: NO_AGREEMENT_VERSION
    (0) when there was none, so that two people agreeing the first slots at once are caught too."""
    return VersionField(min_value=NO_AGREEMENT_VERSION)


class AgreementForm(VersionedForm):
    """What the coach chose on the agreement page.

    meeting: the meeting the slots ride on. meeting_shown: the one the dates on the page were
    worked out for. shown: every date the page offered with a box; available: those still ticked.
    unavailable: the dates unticked before, carried in hidden inputs. version: the agreement's
    version the page was opened on (see agreement_version_field). agreed_on: the day the slots were
    agreed with the team, today when left empty (coaching.models.agreed_on_error says which days may be given).
    clash_override, clash_override_reason: keep the slots despite their clashes, and why.
    """

    meeting = forms.ModelChoiceField(
        queryset=TeamMeeting.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Choose the meeting the coaching sessions will ride on."},
    )
    meeting_shown = forms.IntegerField(required=False, widget=forms.HiddenInput)
    shown = DateListField(required=False)
    available = DateListField(required=False, widget=forms.CheckboxSelectMultiple)
    unavailable = DateListField(required=False)
    action = forms.ChoiceField(choices=[(RECALCULATE, "Recalculate"), (CONFIRM, "Confirm")], required=False)
    version = agreement_version_field()
    agreed_on = BoundedDateField(
        required=False,
        label="Day the slots were agreed with the team",
        what="The day the slots were agreed",
        error_messages={"invalid": "Enter the day the slots were agreed as a date."},
    )
    # Agreeing slots that clash (coaching.selectors.clashes) takes both; agreement_confirm checks them.
    clash_override = forms.BooleanField(required=False)
    clash_override_reason = forms.CharField(
        required=False,
        max_length=500,
        error_messages={"max_length": "Say why the clashing times are kept in at most 500 characters."},
    )

    def __init__(
        self,
        *args,
        meetings: Iterable[TeamMeeting],
        today: dt.date,
        session_1_held_on: dt.date | None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = TeamMeeting.objects.filter(pk__in=[m.pk for m in meetings])
        self.today = today
        self.session_1_held_on = session_1_held_on

    def clean_agreed_on(self) -> dt.date:
        agreed_on = self.cleaned_data.get("agreed_on") or self.today
        problem = agreed_on_error(agreed_on, today=self.today, session_1_held_on=self.session_1_held_on)
        if problem:
            raise forms.ValidationError(problem, code="agreed_on")
        return agreed_on

    @property
    def wants_confirm(self) -> bool:
        return self.cleaned_data.get("action") == CONFIRM

    def meeting_changed(self) -> bool:
        return self.cleaned_data["meeting_shown"] != self.cleaned_data["meeting"].pk

    def unavailable_dates(self) -> list[dt.date]:
        """Dates unticked now or before. A date the page showed counts as the coach left it;
        dates not shown (other meetings, earlier choices) are kept. After a change of meeting the
        boxes belonged to the other meeting's dates, so only the carried list counts."""
        before = set(self.cleaned_data["unavailable"])
        if self.meeting_changed():
            return sorted(before)
        shown = set(self.cleaned_data["shown"])
        ticked = set(self.cleaned_data["available"])
        return sorted((before - shown) | (shown - ticked))
