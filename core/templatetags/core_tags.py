"""Filters every app's templates can use.

{% load core_tags %}
<time datetime="{{ value|iso_datetime }}">  (a valid HTML datetime: whole seconds, offset with a colon)
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def iso_datetime(value) -> str:
    """An aware datetime as ISO 8601 in local time without microseconds ("2026-12-01T09:37:45+00:00"),
    which HTML's <time datetime> accepts; Django's date:'c' adds ".001236" when there are microseconds.
    A date gives "2026-12-01"; None or anything else gives ""."""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return ""
