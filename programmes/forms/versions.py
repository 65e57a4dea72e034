"""Forms for programme versions and their session plans."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from core.concurrency import VersionedForm, VersionField

from ..models import ProgrammeTemplate, SessionKind
from ..services.versions import PlanRow, plan_rows_check


class VersionDraftForm(forms.Form):
    source = forms.ModelChoiceField(queryset=ProgrammeTemplate.objects.none(), label="Start from", empty_label=None)
    version = forms.CharField(
        label="New version number", max_length=20, help_text="Numbers and dots, for example 1.1 or 2.0."
    )

    def __init__(self, *args, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = sources


class RevisionForm(VersionedForm):
    """Publish and delete buttons carry the draft's revision as the page showed it."""

    revision = VersionField()


class VersionNotesForm(RevisionForm):
    """The draft's notes, and the revision the page was opened on."""

    notes = forms.CharField(
        label="What changes in this version", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class PlanRowForm(forms.Form):
    number = forms.IntegerField(label="Number", min_value=1, max_value=99)
    title = forms.CharField(label="Title", max_length=200)
    kind = forms.ChoiceField(label="Kind", choices=SessionKind.choices)
    week = forms.IntegerField(
        label="Week", min_value=1, max_value=104, help_text="Programme week; session 1 is week 1."
    )
    checklist_due = forms.BooleanField(label="Checklist due", required=False)

    def row(self) -> PlanRow:
        data = self.cleaned_data
        return PlanRow(
            number=data["number"],
            title=data["title"],
            kind=data["kind"],
            week_offset=data["week"] - 1,
            checklist_due=data["checklist_due"],
        )


class BasePlanFormSet(forms.BaseFormSet):
    def rows(self) -> list[PlanRow]:
        """The rows kept: filled in and not marked for removal."""
        return [form.row() for form in self.forms if form.cleaned_data and not self._should_delete_form(form)]

    def clean(self):
        if any(self.errors):
            return
        try:
            plan_rows_check(self.rows())
        except ValidationError as error:
            raise ValidationError(error.messages) from error


PlanFormSet = forms.formset_factory(PlanRowForm, formset=BasePlanFormSet, extra=2, can_delete=True)


def plan_initial(template: ProgrammeTemplate) -> list[dict]:
    """Reads template.plans.all(): no query when prefetched."""
    return [
        {
            "number": p.number,
            "title": p.title,
            "kind": p.kind,
            "week": p.week,
            "checklist_due": p.checklist_due,
        }
        for p in template.plans.all()
    ]
