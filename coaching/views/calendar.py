"""Calendar feeds: the secret-token iCalendar address (no login: the token is the secret), and
resetting it when it has been shared too widely."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from core.access import manager_required
from core.roles import is_coach, is_manager
from programmes.models import Team

from ..ical import build_calendar
from ..selectors import feed_lookup, feed_name, feed_sessions
from ..services import calendar_feed_for_coach, calendar_feed_for_team, calendar_feed_reset

RESET_MESSAGE = (
    "The calendar has a new address. The old one has stopped working: subscribe again with the new one "
    "wherever the old one was used."
)


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Two queries: the feed, its sessions."""
    feed = feed_lookup(token)
    if feed is None:
        raise Http404("No calendar at this address; it may have been reset.")
    body = build_calendar(name=feed_name(feed), sessions=feed_sessions(feed), now=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="qms-coaching.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_POST
def calendar_reset_mine(request: HttpRequest) -> HttpResponse:
    """A coach (or a manager who coaches) resets their own feed."""
    user = request.user
    if not (is_coach(user) or is_manager(user)):
        raise PermissionDenied("Only coaches have a calendar of their sessions.")
    calendar_feed_reset(feed=calendar_feed_for_coach(coach=user))
    messages.success(request, RESET_MESSAGE)
    return redirect("coaching:my_teams")


@manager_required
@require_POST
def calendar_reset_team(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk)
    calendar_feed_reset(feed=calendar_feed_for_team(team=team))
    messages.success(request, RESET_MESSAGE)
    return redirect("programmes:team", team.pk)
