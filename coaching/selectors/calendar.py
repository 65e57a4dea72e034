"""Reads for calendar feeds: the feed behind a secret address and the sessions it shows."""

from __future__ import annotations

from django.db.models import QuerySet

from programmes.models import EnrolmentStatus, Session

from ..models import CalendarFeed


def feed_lookup(token: str) -> CalendarFeed | None:
    """One query: the feed behind a secret address, with its coach or team (and site)."""
    return CalendarFeed.objects.select_related("coach", "team__site").filter(token=token).first()


def feed_sessions(feed: CalendarFeed) -> QuerySet[Session]:
    """One query: the sessions a feed shows, each with what build_calendar reads.

    A coach's feed: the sessions of the enrolments they coach that are planned or active.
    A team's feed: every session of the team's enrolments.
    """
    sessions = (
        Session.objects.filter(agreed_start__isnull=False)
        .select_related("plan", "enrolment__team__site", "enrolment__agreement__meeting")
        .order_by("agreed_start", "pk")
    )
    if feed.coach_id is not None:
        return sessions.filter(enrolment__coach_id=feed.coach_id, enrolment__status__in=EnrolmentStatus.current())
    return sessions.filter(enrolment__team_id=feed.team_id)


def feed_name(feed: CalendarFeed) -> str:
    """Reads feed.coach or feed.team and its site: load them (feed_lookup does)."""
    if feed.coach_id is not None:
        coach = feed.coach
        return f"QMS coaching – {coach.get_full_name() or coach.get_username()}"
    return f"QMS coaching – {feed.team.name} ({feed.team.site.code})"
