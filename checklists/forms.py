"""Forms for the checklist and for tools."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms

from .models import RatingValue, Tool, UsageLevel
from .selectors import ChecklistFormData
from .services import COMMENT_MAX_LENGTH, CULTURE_NOTE_MAX_LENGTH

CULTURE_NOTE_LABEL = "Anything else to note about change in team / practice / culture"


class ToolIdsField(forms.Field):
    """The tools the form was opened with, as hidden inputs: one whole number each."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            return [int(item) for item in value]
        except (TypeError, ValueError):
            raise forms.ValidationError("A tool on this form is not on this checklist.", code="invalid") from None


@dataclass
class ToolRatingRow:
    """One tool's fields, for the template."""

    tool: Tool
    discussed: forms.BoundField
    level: forms.BoundField
    comment: forms.BoundField
    previous: RatingValue | None
    saved_by_other: RatingValue | None = None  # after a conflict: what is saved now, when it differs from the input

    @property
    def has_errors(self) -> bool:
        return bool(self.discussed.errors or self.level.errors or self.comment.errors)


class ChecklistForm(forms.Form):
    """One row per tool (discussed, usage level, comment) and the culture note.

    Fields are named by tool id (tool-<id>-level), so a tool retired or added while the form was
    open never shifts anyone's answers onto another tool's row.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    tools = ToolIdsField(required=False)
    culture_note = forms.CharField(
        label=CULTURE_NOTE_LABEL,
        required=False,
        max_length=CULTURE_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, data_for_form: ChecklistFormData, **kwargs):
        self.form_data = data_for_form
        initial = {"version": data_for_form.version, "tools": [tool.pk for tool in data_for_form.tools]}
        if data_for_form.checklist is not None:
            initial["culture_note"] = data_for_form.checklist.culture_note
        for tool_id, value in data_for_form.saved.items():
            initial.update(
                {
                    f"tool-{tool_id}-discussed": value.discussed,
                    f"tool-{tool_id}-level": value.level,
                    f"tool-{tool_id}-comment": value.comment,
                }
            )
        super().__init__(*args, initial=initial, **kwargs)
        for tool in data_for_form.tools:
            self.fields[f"tool-{tool.pk}-discussed"] = forms.BooleanField(
                label=f"{tool.name} discussed in this session",
                required=False,
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
            )
            self.fields[f"tool-{tool.pk}-level"] = forms.TypedChoiceField(
                label=f"How much is the team using {tool.name}?",
                choices=UsageLevel.choices,
                coerce=int,
                widget=forms.RadioSelect(attrs={"class": "btn-check"}),
                error_messages={
                    "required": f"Choose how much the team is using {tool.name}.",
                    "invalid_choice": f"Choose one of the four usage levels for {tool.name}.",
                },
            )
            self.fields[f"tool-{tool.pk}-comment"] = forms.CharField(
                label=f"Comment on {tool.name} (optional)",
                required=False,
                max_length=COMMENT_MAX_LENGTH,
                widget=forms.TextInput(attrs={"class": "form-control"}),
            )
        self.saved_by_other: dict[int, RatingValue] = {}

    def rows(self) -> list[ToolRatingRow]:
        return [
            ToolRatingRow(
                tool=tool,
                discussed=self[f"tool-{tool.pk}-discussed"],
                level=self[f"tool-{tool.pk}-level"],
                comment=self[f"tool-{tool.pk}-comment"],
                previous=self.form_data.previous.get(tool.pk),
                saved_by_other=self.saved_by_other.get(tool.pk),
            )
            for tool in self.form_data.tools
        ]

    def clean_tools(self) -> list[int]:
        posted = self.cleaned_data["tools"]
        if not posted:
            return posted  # no list to compare: each tool's own fields say what is missing
        expected = {tool.pk for tool in self.form_data.tools}
        if set(posted) - expected:
            raise forms.ValidationError(
                "This form listed a tool that is not on this checklist (it may have just been retired). "
                "Your answers for the tools below are kept: check them and save again.",
                code="unknown_tool",
            )
        added = [tool.name for tool in self.form_data.tools if tool.pk not in posted]
        if added:
            raise forms.ValidationError(
                "%(tools)s joined the checklist after you opened this form. Rate it below and save again.",
                code="added_tool",
                params={"tools": ", ".join(added)},
            )
        return posted

    def ratings(self) -> dict[int, RatingValue]:
        data = self.cleaned_data
        return {
            tool.pk: RatingValue(
                discussed=data[f"tool-{tool.pk}-discussed"],
                level=data[f"tool-{tool.pk}-level"],
                comment=data[f"tool-{tool.pk}-comment"],
            )
            for tool in self.form_data.tools
        }

    def show_conflict(self, *, current_version: int, current: dict[int, RatingValue]) -> None:
        """After a refused save: keep the input, mark rows where what is saved now differs from it,
        and take the current version so that saving again is a decision, not an accident."""
        data = self.data.copy()
        data["version"] = str(current_version)
        self.data = data
        answers = self.ratings()
        self.saved_by_other = {tool_id: value for tool_id, value in current.items() if answers.get(tool_id) != value}


class ToolForm(forms.Form):
    """Adds or edits a tool. A plain form: the service, not the form, changes the row."""

    name = forms.CharField(max_length=Tool._meta.get_field("name").max_length)
    order = forms.IntegerField(
        label="Position on the checklist",
        min_value=0,
        max_value=32767,
        help_text="Tools are listed from the lowest number.",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    active = forms.BooleanField(
        label="Active (shown on new checklists)",
        required=False,
        initial=True,
        help_text="Untick to retire the tool: old checklists keep their ratings for it; new checklists leave it out.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args, tool: Tool | None = None, rated: bool = False, **kwargs):
        if tool is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": tool.name,
                    "order": tool.order,
                    "description": tool.description,
                    "active": tool.active,
                    "version": tool.version,
                },
            )
        super().__init__(*args, **kwargs)
        if tool is not None:
            self.fields["version"].required = True
            if rated:
                # Checklists have rated it: a new name would change what old checklists say.
                self.fields["name"].disabled = True
                self.fields[
                    "name"
                ].help_text = (
                    "Checklists have rated this tool, so its name stays. Retire it and add a new tool instead."
                )
