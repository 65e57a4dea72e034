"""The shared form fields that keep input in range: dates within two years of today, and row ids
that fit the database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django import forms

from core.forms import (
    MAX_ID,
    BoundedDateField,
    BoundedDateTimeField,
    BoundedModelMultipleChoiceField,
    date_bounds,
    ids_from,
    keep_saved_dates,
)
from programmes.models import Team
from tests import factories

LONDON = ZoneInfo("Europe/London")
OUT_OF_RANGE = "The date must be within two years of today (between 1 Dec 2024 and 1 Dec 2028)."


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 1, 12, 0, tzinfo=LONDON), tick=False)


class DatesForm(forms.Form):
    day = BoundedDateField()
    session1 = BoundedDateField(what="Session 1", required=False)
    moment = BoundedDateTimeField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        keep_saved_dates(self)


def errors(data: dict, **form) -> dict:
    bound = DatesForm(data, **form)
    bound.is_valid()
    return bound.errors


def test_date_bounds_are_two_years_either_side_of_today_and_29_february_falls_back_to_the_28th():
    assert date_bounds(dt.date(2026, 12, 1)) == (dt.date(2024, 12, 1), dt.date(2028, 12, 1))
    assert date_bounds(dt.date(2028, 2, 29)) == (dt.date(2026, 2, 28), dt.date(2030, 2, 28))
    assert date_bounds(dt.date(2026, 12, 1), years=1) == (dt.date(2025, 12, 1), dt.date(2027, 12, 1))


@pytest.mark.parametrize("day", ["2024-12-01", "2025-09-22", "2026-12-01", "2028-12-01"])
def test_a_date_within_two_years_of_today_either_way_is_accepted(day):
    assert errors({"day": day}) == {}


@pytest.mark.parametrize("day", ["2024-11-30", "2028-12-02", "9999-12-31", "0001-01-01"])
def test_a_date_further_away_is_refused_with_the_days_it_may_be(day):
    assert errors({"day": day}) == {"day": [OUT_OF_RANGE]}


def test_the_message_names_what_the_date_is_for():
    assert errors({"day": "2026-12-01", "session1": "9999-12-31"}) == {
        "session1": ["Session 1 must be within two years of today (between 1 Dec 2024 and 1 Dec 2028)."]
    }


def test_a_form_opened_on_a_date_long_ago_takes_it_back_unchanged_but_no_other():
    opened = {"day": dt.date(2021, 3, 4)}
    assert errors({"day": "2021-03-04"}, initial=opened) == {}
    assert errors({"day": "2021-03-05"}, initial=opened) == {"day": [OUT_OF_RANGE]}


def test_a_date_and_time_is_bounded_by_its_london_date():
    # 1 Dec 2028 at 23:30 in London is still within; the next minute after midnight is not.
    assert errors({"day": "2026-12-01", "moment": "2028-12-01T23:30"}) == {}
    assert errors({"day": "2026-12-01", "moment": "2028-12-02T00:01"}) == {"moment": [OUT_OF_RANGE]}
    assert errors({"day": "2026-12-01", "moment": "9999-12-31T23:59"}) == {"moment": [OUT_OF_RANGE]}


def test_a_date_that_is_not_one_is_still_said_so():
    assert errors({"day": "2026-02-30"}) == {"day": ["Enter a valid date."]}


def test_ids_from_keeps_the_whole_numbers_that_can_be_row_ids():
    values = ["3", "²", "-1", "0", "9" * 30, str(MAX_ID), str(MAX_ID + 1), " 7 ", "x", "", "1e3"]
    assert ids_from(values) == [3, MAX_ID, 7]


@pytest.mark.django_db
@pytest.mark.parametrize("forged", ["9" * 30, "-" + "9" * 30, "²", str(MAX_ID + 1)])
def test_a_forged_id_in_a_multiple_choice_is_a_form_error(forged):
    team = factories.TeamFactory()
    field = BoundedModelMultipleChoiceField(queryset=Team.objects.all())
    with pytest.raises(forms.ValidationError) as error:
        field.clean([str(team.pk), forged])
    assert error.value.messages == [f"“{forged}” is not a valid value."]
    assert list(field.clean([str(team.pk)])) == [team]
