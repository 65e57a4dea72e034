"""My teams: a coach's teams, those needing attention first, with what needs doing."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from core.access import coach_or_manager_required
from core.figures_cache import kept

from ..selectors import my_team_rows


@require_safe  # a page to read: GET and HEAD only
@coach_or_manager_required  # coaches, and managers who also coach; leads coach no one
def my_teams(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    # Kept until the next write (core.figures_cache); the week at the top reads the time of day, so
    # it is computed every time.
    rows = kept(
        "my_teams", (request.user.pk, today), lambda: my_team_rows(user=request.user, today=today, with_reminders=True)
    )
    context = {
        "rows": rows,
        "today": today,
        "show_reminders": True,
    }
    return render(request, "coaching/my_teams.html", context)
