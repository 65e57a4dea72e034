"""My teams: a coach's teams, those needing attention first, with what needs doing."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from coaching.services import calendar_feed_for_coach
from core.roles import is_coach, is_manager

from ..selectors import my_team_rows


@login_required
def my_teams(request: HttpRequest) -> HttpResponse:
    user = request.user
    # Coaches, and managers who also coach; leads coach no one.
    if not (is_coach(user) or is_manager(user)):
        raise PermissionDenied("My teams is for coaches.")
    today = timezone.localdate()
    feed = calendar_feed_for_coach(coach=user)
    context = {
        "rows": my_team_rows(user=user, today=today, with_reminders=True),
        "today": today,
        "show_reminders": True,
        "feed": feed,
        "feed_url": request.build_absolute_uri(reverse("coaching:calendar", args=[feed.token])),
    }
    return render(request, "programmes/my_teams.html", context)
