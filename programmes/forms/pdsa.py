"""The PDSA log's form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from core.concurrency import VersionedModelForm
from core.forms import BoundedDateField, DateInput, keep_saved_dates

from ..models import Cohort, PdsaCycle, ProgrammeTemplate
from ..services.pdsa import PDSA_FIELDS, PdsaEntry, pdsa_cycle_check


class PdsaCycleForm(VersionedModelForm):
    field_order = [*PDSA_FIELDS[: PDSA_FIELDS.index("decided_on") + 1], "new_limits"]

    class Meta:
        model = PdsaCycle
        fields = PDSA_FIELDS
        labels = {
            "plan": "Plan",
            "do": "Do",
            "study": "Study",
            "act": "Act",
            "decision": "Decision",
            "started_on": "Started on",
            "decided_on": "Decided on",
            "cohort": "Cohort it was tested with",
            "template": "Programme version",
            "new_limits": "New chart limits from this change",
        }
        help_texts = {
            "plan": "What you planned to change and what you predicted.",
            "do": "What was done, with whom and when.",
            "study": "What the results showed, with the figures.",
            "act": "What happens next.",
            "decision": "Adopt, adapt or abandon the change. Leave blank while the cycle is running.",
            "new_limits": (
                "For a change adopted or adapted: the SPC charts (team, cohort and Trust-wide) take a new mean "
                "and new process limits from the decision date. Untick it if the change did not alter the work "
                "the charts measure."
            ),
        }
        widgets = {
            "aim": forms.Textarea(attrs={"rows": 2}),
            "plan": forms.Textarea(attrs={"rows": 4}),
            "do": forms.Textarea(attrs={"rows": 4}),
            "study": forms.Textarea(attrs={"rows": 4}),
            "act": forms.Textarea(attrs={"rows": 4}),
            "started_on": DateInput(),
            "decided_on": DateInput(),
        }
        field_classes = {"started_on": BoundedDateField, "decided_on": BoundedDateField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = Cohort.objects.order_by("-start_date", "name")
        self.fields["template"].queryset = ProgrammeTemplate.objects.order_by("name", "-created_at")
        self.fields["decision"].choices = [("", "Not decided yet"), *self.fields["decision"].choices[1:]]
        keep_saved_dates(self)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        # The service's rules, checked here too so that they read as field errors, not constraint names.
        try:
            pdsa_cycle_check(
                title=data.get("title", ""),
                decision=data.get("decision", ""),
                started_on=data["started_on"],
                decided_on=data.get("decided_on"),
            )
        except ValidationError as error:
            self.add_error(None, error)
        return data

    def entry(self) -> PdsaEntry:
        return PdsaEntry(**{name: self.cleaned_data[name] for name in PDSA_FIELDS})
