"""The coaching agreement form. It works without JavaScript: the page lists the date proposed for
every later session, each with a ticked box; unticking a date and pressing Recalculate (or
Confirm) adds it to the hidden list of unavailable dates, and the next meeting date is taken."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django import forms

from core.concurrency import VersionedForm, VersionField
from programmes.models import TeamMeeting

from ..models import NO_AGREEMENT_VERSION

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
    version the page was opened on (see agreement_version_field).
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

    def __init__(self, *args, meetings: Iterable[TeamMeeting], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = TeamMeeting.objects.filter(pk__in=[m.pk for m in meetings])

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
