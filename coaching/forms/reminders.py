"""The filter on the managers' Reminders page."""

from __future__ import annotations

from django import forms

from ..models import ReminderStatus


class ReminderFilterForm(forms.Form):
    status = forms.ChoiceField(label="Show", required=False, choices=[("", "All reminders"), *ReminderStatus.choices])
