"""Forms: the public feedback form, the huddle check-in and the content change form."""

from __future__ import annotations

from django import forms
from django.utils.text import Truncator

from core.forms import BoundedDateField, BoundedModelMultipleChoiceField, keep_saved_dates
from programmes.models import HUDDLE_MAX_PEOPLE, HUDDLE_NOTE_MAX_LENGTH, HuddleBoard, ProgrammeTemplate

from .guards import form_token_check, form_token_new
from .models import ChangeKind, ContentChange, CouldImprove, FeedbackLink, FeedbackResponse
from .services import COMMENT_MAX_LENGTH, HUDDLE_NOTE_MESSAGE, HUDDLE_PEOPLE_MESSAGE

TOO_LONG = "Keep this to 2,000 characters or fewer (this has %(show_value)d)."
EXPIRED = (
    "This form had been open for a long time, so it has been refreshed. "
    "Your answers are still here: check them and press Send again."
)
RATING_CHOICES = [(n, str(n)) for n in range(1, 6)]
HUDDLE_EXPIRED = "This page had been open for a long time, so it has been refreshed: press the button again."


def _comment_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": TOO_LONG},
    )


class FeedbackForm(forms.Form):
    """An attendee's answers. Each rendering carries a fresh single-use token (`form_token`)."""

    could_improve = forms.ChoiceField(
        label=FeedbackResponse._meta.get_field("could_improve").verbose_name,
        choices=CouldImprove.choices,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={
            "required": "Choose yes, not sure or no.",
            "invalid_choice": "Choose yes, not sure or no.",
        },
    )
    rating = forms.TypedChoiceField(
        label="Overall, how would you rate this session? 1 is poor, 5 is excellent.",
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={
            "required": "Choose a rating from 1 to 5.",
            "invalid_choice": "Choose a rating from 1 to 5.",
        },
    )
    what_worked = _comment_field("What worked well?")
    what_better = _comment_field("What would make it better?")
    form_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, link: FeedbackLink, **kwargs):
        super().__init__(*args, **kwargs)
        self.link = link
        # Always a new token when the form is shown again: only a successful send uses one up.
        self.fresh_token = form_token_new(link)

    def clean_form_token(self) -> str:
        nonce = form_token_check(self.link, self.cleaned_data.get("form_token") or "")
        if nonce is None:
            raise forms.ValidationError(EXPIRED, code="expired")
        return nonce


class HuddleCheckInForm(forms.Form):
    """ "Huddle held today" from the team's board: both answers optional. Each rendering carries a
    fresh single-use token (`form_token`), as the feedback form does."""

    people = forms.IntegerField(
        label="How many people?",
        required=False,
        min_value=1,
        max_value=HUDDLE_MAX_PEOPLE,
        error_messages={
            "invalid": HUDDLE_PEOPLE_MESSAGE,
            "min_value": HUDDLE_PEOPLE_MESSAGE,
            "max_value": HUDDLE_PEOPLE_MESSAGE,
        },
    )
    note = forms.CharField(
        label="What we discussed / one idea",
        required=False,
        max_length=HUDDLE_NOTE_MAX_LENGTH,
        error_messages={"max_length": HUDDLE_NOTE_MESSAGE},
    )
    form_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, board: HuddleBoard, **kwargs):
        super().__init__(*args, **kwargs)
        self.board = board
        self.fresh_token = form_token_new(board)

    def clean_form_token(self) -> str:
        nonce = form_token_check(self.board, self.cleaned_data.get("form_token") or "")
        if nonce is None:
            raise forms.ValidationError(HUDDLE_EXPIRED, code="expired")
        return nonce


def response_label(response: FeedbackResponse) -> str:
    """How a response reads in the change form. Reads response.link.session.enrolment.team.site (load them)."""
    session = response.link.session
    comment = response.what_better or response.what_worked
    where = f"{session.enrolment.team}, session {session.number}, {response.submitted_on:%-d %b %Y}"
    return f"“{Truncator(comment).chars(160)}” ({where}; rating {response.rating})"


class ContentChangeForm(forms.ModelForm):
    """A change to the training package; `choices` lists the responses shown for linking."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    responses = BoundedModelMultipleChoiceField(
        queryset=FeedbackResponse.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        label="Feedback that prompted it",
        help_text="Tick the attendees' comments that led to this change.",
    )

    class Meta:
        model = ContentChange
        fields = ["template", "section", "kind", "description", "made_on", "responses"]
        labels = {
            "template": "Programme version",
            "section": "Section of the training package",
            "kind": "Kind of change",
            "made_on": "Date made",
        }
        help_texts = {"section": "For example: Session 1 slides, Leader standard work."}
        widgets = {
            "made_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        field_classes = {"made_on": BoundedDateField}

    def __init__(self, *args, response_choices: list[FeedbackResponse], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = ProgrammeTemplate.objects.order_by("name", "-created_at")
        self.fields["template"].empty_label = None
        self.fields["kind"].choices = [("", "Choose the kind of change"), *ChangeKind.choices]
        # Validation accepts any response; the page lists only the ones a manager is looking at
        # (and any already ticked), so the list stays short however much feedback there is.
        self.fields["responses"].widget.choices = [(r.pk, response_label(r)) for r in response_choices]
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        keep_saved_dates(self)


class ResponseFilterForm(forms.Form):
    """Which cohort's comments the change form lists."""

    cohort = forms.ModelChoiceField(queryset=None, required=False, empty_label="Choose a cohort", label="Cohort")

    def __init__(self, *args, cohorts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = cohorts
