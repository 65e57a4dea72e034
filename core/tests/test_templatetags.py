"""core_tags.iso_datetime: <time datetime> values HTML accepts (whole seconds, "+00:00" offset)."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.urls import reverse

from core.templatetags.core_tags import iso_datetime
from programmes.models import SessionChange
from programmes.services.scheduling import session_move

LONDON = ZoneInfo("Europe/London")
# A valid HTML "global date and time string" as these pages write it, or a plain date.
VALID = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2})?")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2026, 12, 1, 9, 37, 45, 1236, tzinfo=dt.UTC), "2026-12-01T09:37:45+00:00"),
        (dt.datetime(2025, 10, 14, 8, 0, 5, 999999, tzinfo=dt.UTC), "2025-10-14T09:00:05+01:00"),  # London time
        (dt.datetime(2025, 10, 14, 9, 0, tzinfo=LONDON), "2025-10-14T09:00:00+01:00"),
        (dt.date(2025, 10, 14), "2025-10-14"),
        (None, ""),
        ("", ""),
    ],
)
def test_iso_datetime(value, expected):
    assert iso_datetime(value) == expected


def test_iso_datetime_in_a_template():
    when = dt.datetime(2026, 12, 1, 9, 37, 45, 1236, tzinfo=dt.UTC)
    rendered = Template('{% load core_tags %}<time datetime="{{ when|iso_datetime }}">').render(Context({"when": when}))
    assert rendered == '<time datetime="2026-12-01T09:37:45+00:00">'


@pytest.mark.django_db
def test_enrolment_page_datetimes_have_no_fraction_of_a_second(login, personas):
    session_4 = personas.enrolment.sessions.get(number=4)
    session_move(
        session=session_4,
        version=1,
        to_start=dt.datetime(2025, 10, 28, 9, 0, 0, 250000, tzinfo=LONDON),
        reason="Agreed",
        user=personas.coach,
    )
    SessionChange.objects.filter(session=session_4).update(
        changed_at=dt.datetime(2026, 12, 1, 9, 37, 45, 1236, tzinfo=dt.UTC)
    )
    page = login("manager", personas).get(reverse("programmes:enrolment", args=[personas.enrolment.pk]))
    html = page.content.decode()
    values = re.findall(r'datetime="([^"]*)"', html)
    assert "2026-12-01T09:37:45+00:00" in values
    assert "2025-10-28T09:00:00+00:00" in values
    assert [v for v in values if "." in v or not VALID.fullmatch(v)] == []
