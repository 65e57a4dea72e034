"""Teams and the meetings they already hold: managers create and edit them; the team page shows
every session of the team's enrolments this user may see, its meetings and its calendar feed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_safe

from core.access import manager_or_lead_required, manager_required
from core.roles import is_manager
from core.views import posted, submit
from programmes.access import get_team_for_user

from ..forms import TeamForm, TeamMeetingForm
from ..models import Team, TeamMeeting
from ..selectors import team_page, teams_overview
from ..services.scheduling import team_create, team_meeting_create, team_meeting_update, team_update


@require_safe  # a page to read: GET and HEAD only
@manager_or_lead_required
def team_list(request: HttpRequest) -> HttpResponse:
    return render(request, "programmes/team_list.html", {"teams": list(teams_overview())})


@manager_required
def team_create_view(request: HttpRequest) -> HttpResponse:
    form = TeamForm(posted(request))
    done = submit(request, form, lambda data: team_create(**data))
    if done.saved:
        messages.success(request, f"Team {done.result.name} created. Now add the meetings it already holds.")
        return redirect("programmes:team", done.result.pk)
    return render(request, "programmes/team_form.html", {"form": form, "team": None})


@manager_required
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team.objects.select_related("site"), pk=pk)
    name = team.name  # the form writes what was typed onto the team as it checks it
    form = TeamForm(posted(request), instance=team)
    done = submit(
        request, form, lambda data: team_update(team=team, **data), latest=lambda: Team.objects.get(pk=team.pk)
    )
    if done.saved:
        messages.success(request, f"Team {team.name} saved.")
        return redirect("programmes:team", team.pk)
    context = {"form": form, "team": team, "name": name, "meanwhile": done.meanwhile}
    return render(request, "programmes/team_form.html", context)


@require_safe  # a page to read: GET and HEAD only
@login_required
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_team_for_user(request, pk)
    today = timezone.localdate()
    # Lazy: the page's block is kept until the next write ({% kept %}); read from the cache, no query.
    page = SimpleLazyObject(lambda: team_page(team=team, user=request.user, today=today))
    context = {"team": team, "page": page, "today": today, "can_manage": is_manager(request.user)}
    return render(request, "programmes/team_detail.html", context)


@manager_required
def meeting_create(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team.objects.select_related("site"), pk=pk)
    form = TeamMeetingForm(posted(request))
    done = submit(request, form, lambda data: team_meeting_create(team=team, **data))
    if done.saved:
        messages.success(request, f"Meeting {done.result.name} added to {team.name}.")
        return redirect("programmes:team", team.pk)
    return render(request, "programmes/meeting_form.html", {"form": form, "team": team, "meeting": None})


@manager_required
def meeting_edit(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    meeting = get_object_or_404(TeamMeeting.objects.select_related("team__site"), pk=meeting_pk, team_id=pk)
    team = meeting.team
    form = TeamMeetingForm(posted(request), instance=meeting)
    done = submit(
        request,
        form,
        lambda data: team_meeting_update(meeting=meeting, **data),
        latest=lambda: TeamMeeting.objects.get(pk=meeting.pk),
    )
    if done.saved:
        messages.success(
            request, f"Meeting {meeting.name} saved. Times already agreed on it stay until the slots are re-agreed."
        )
        return redirect("programmes:team", team.pk)
    context = {"form": form, "team": team, "meeting": meeting, "meanwhile": done.meanwhile}
    return render(request, "programmes/meeting_form.html", context)
