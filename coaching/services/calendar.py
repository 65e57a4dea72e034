"""Writes for calendar feeds: each coach's and each team's secret address."""

from __future__ import annotations

from django.db import transaction

from programmes.models import Team

from ..models import CalendarFeed, new_calendar_token


def calendar_feed_for_coach(*, coach) -> CalendarFeed:
    feed, _ = CalendarFeed.objects.get_or_create(coach=coach)
    return feed


def calendar_feed_for_team(*, team: Team) -> CalendarFeed:
    feed, _ = CalendarFeed.objects.get_or_create(team=team)
    return feed


@transaction.atomic
def calendar_feed_reset(*, feed: CalendarFeed) -> CalendarFeed:
    """A new secret address; the old one stops working at once."""
    feed.token = new_calendar_token()
    feed.save(update_fields=["token"])
    return feed
