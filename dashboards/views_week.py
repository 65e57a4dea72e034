"""A coach's week: this week's and next week's sessions across all their teams, with what each
needs, printable. A coach sees their own; a manager their own, or any coach's with ?coach=<id>;
leads coach no one, so the page is not theirs (403)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from core.access import coach_or_manager_required
from core.roles import is_manager

from .forms import WeekCoachForm
from .week import coach_week


@require_safe  # a page to read: GET and HEAD only
@coach_or_manager_required
def week(request: HttpRequest) -> HttpResponse:
    coach, form = request.user, None
    if is_manager(request.user):
        form = WeekCoachForm(request.GET if "coach" in request.GET else None)
        if form.is_bound:
            coach = (form.cleaned_data["coach"] or request.user) if form.is_valid() else None
    elif request.GET.get("coach", str(request.user.pk)) != str(request.user.pk):
        raise Http404  # a coach cannot even learn whether another coach's week exists
    now = timezone.now()
    today = timezone.localdate(now)
    context = {
        "form": form,
        "coach": coach,
        "own": coach == request.user,
        "week": coach_week(coach=coach, today=today, now=now) if coach is not None else None,
        "today": today,
    }
    return render(request, "dashboards/week.html", context, status=200 if coach is not None else 400)
