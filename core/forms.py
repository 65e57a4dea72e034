"""Form widgets and fields every app shares: the browser's own date, time and date-and-time
pickers; dates kept within two years of today; row ids that fit the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


class DateTimeLocalInput(forms.DateTimeInput):
    """A browser date-and-time picker. Its value is London wall-clock time: Django's DateTimeField
    makes it aware in the current time zone (Europe/London), and refuses a time the clocks skip
    or repeat."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


# --- Input that must stay in range ------------------------------------------------------------
# Dates a person types are kept within a few years of today: far enough for history and plans,
# and never near the calendar's end, where adding a programme's weeks to a date overflows.

DATE_BOUND_YEARS = 2
_YEARS_WORDS = {1: "a year", 2: "two years", 3: "three years"}


def _years_from(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (earlier if negative); 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def date_bounds(today: dt.date, years: int = DATE_BOUND_YEARS) -> tuple[dt.date, dt.date]:
    """The first and last day a typed date may be: `years` either side of today, both included."""
    return _years_from(today, -years), _years_from(today, years)


class WithinYears:
    """A validator: the date (or the London date of a date and time) is within `years` of today,
    else "{what} must be within two years of today (between 1 Dec 2024 and 1 Dec 2028)."."""

    code = "out_of_range"

    def __init__(self, years: int = DATE_BOUND_YEARS, *, what: str = "The date"):
        self.years = years
        self.what = what

    def __call__(self, value: dt.date | dt.datetime) -> None:
        if isinstance(value, dt.datetime):
            value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
        earliest, latest = date_bounds(timezone.localdate(), self.years)
        if not earliest <= value <= latest:
            raise ValidationError(
                "%(what)s must be within %(years)s of today (between %(earliest)s and %(latest)s).",
                code=self.code,
                params={
                    "what": self.what,
                    "years": _YEARS_WORDS.get(self.years, f"{self.years} years"),
                    "earliest": f"{earliest:%-d %b %Y}",
                    "latest": f"{latest:%-d %b %Y}",
                },
            )


def within_years(years: int = DATE_BOUND_YEARS, *, what: str = "The date") -> WithinYears:
    return WithinYears(years, what=what)


class _Bounded:
    """A date field kept within_years() of today. `keep`: the value the form was opened with, let
    through unchanged, so that an old record (a cohort of three years ago) can still be edited.
    Forms set it with keep_saved_dates()."""

    def __init__(self, *, years: int = DATE_BOUND_YEARS, what: str = "The date", **kwargs):
        super().__init__(**kwargs)
        self.bound = within_years(years, what=what)
        self.keep = None

    def validate(self, value):
        super().validate(value)
        if value not in self.empty_values and value != self.keep:
            self.bound(value)


class BoundedDateField(_Bounded, forms.DateField):
    """A DateField with the browser's date picker, within two years of today either way."""

    widget = DateInput


class BoundedDateTimeField(_Bounded, forms.DateTimeField):
    """A DateTimeField (London time) whose date is within two years of today either way."""

    widget = DateTimeLocalInput


def keep_saved_dates(form: forms.BaseForm) -> None:
    """Lets each bounded field of the form take, unchanged, the value the form was opened with
    (its initial: the row as saved), however long ago or far ahead it is."""
    for name, field in form.fields.items():
        if isinstance(field, _Bounded):
            field.keep = form.get_initial_for_field(field, name)


# Row ids are positive and fit a 64-bit integer (BigAutoField, on PostgreSQL and SQLite alike): a
# larger number typed into a form is no row, and SQLite cannot even be asked about it.
MAX_ID = 2**63 - 1


def _id_field() -> forms.IntegerField:
    return forms.IntegerField(min_value=1, max_value=MAX_ID)


def ids_from(values: Iterable[str]) -> list[int]:
    """The values that can be row ids, read as IntegerField reads them; anything else left out.
    For lists that only choose what a page shows: a form field says what is wrong with a value."""
    field, ids = _id_field(), []
    for value in values:
        try:
            ids.append(field.clean(value))
        except ValidationError:
            continue
    return ids


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField that refuses a forged id too large for the database as "not a
    valid value" (Django asks the database about it, and SQLite raises OverflowError)."""

    def _check_values(self, value):
        if self.to_field_name is None:
            field = _id_field()
            for pk in value:
                try:
                    field.clean(pk)
                except ValidationError:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                    ) from None
        return super()._check_values(value)
