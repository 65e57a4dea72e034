"""The access rules of core.access applied to the programme's records: the one helper per object
that every view uses to load an enrolment, a session or a team for the person asking."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from core.access import check_access, visible_to
from core.roles import is_coach, is_lead, is_manager

from .models import Enrolment, Session, Team


def enrolments_visible_to(user, queryset: QuerySet[Enrolment] | None = None) -> QuerySet[Enrolment]:
    """The enrolments a user may read: all for managers and leads, their own for coaches."""
    return visible_to(user, Enrolment.objects.all() if queryset is None else queryset, coach_field="coach")


def sessions_visible_to(user, queryset: QuerySet[Session] | None = None) -> QuerySet[Session]:
    """The sessions a user may read: all for managers and leads, their own teams' for coaches."""
    return visible_to(user, Session.objects.all() if queryset is None else queryset, coach_field="enrolment__coach")


def get_enrolment_for_user(
    request: HttpRequest, pk: int, *, write: bool = False, queryset: QuerySet[Enrolment] | None = None
) -> Enrolment:
    """The enrolment if this user may see it (write=True: change it); 404 for outsiders, 403 for leads writing."""
    queryset = Enrolment.objects.select_related("team__site", "cohort__template") if queryset is None else queryset
    enrolment = get_object_or_404(queryset, pk=pk)
    check_access(request.user, enrolment.coach_id, write=write)
    return enrolment


def get_session_for_user(
    request: HttpRequest, pk: int, *, write: bool = False, queryset: QuerySet[Session] | None = None
) -> Session:
    """The session if this user may see it (write=True: change it); 404 for outsiders, 403 for leads writing."""
    if queryset is None:
        queryset = Session.objects.select_related("plan", "enrolment__team__site", "enrolment__cohort__template")
    session = get_object_or_404(queryset, pk=pk)
    check_access(request.user, session.enrolment.coach_id, write=write)
    return session


def get_team_for_user(request: HttpRequest, pk: int, *, queryset: QuerySet[Team] | None = None) -> Team:
    """The team if this user may read it: managers and leads any team, a coach a team they coach
    (in any cohort); 404 for everyone else. Changing a team is for managers (manager_required)."""
    queryset = Team.objects.select_related("site") if queryset is None else queryset
    team = get_object_or_404(queryset, pk=pk)
    user = request.user
    if is_manager(user) or is_lead(user):
        return team
    if is_coach(user) and Enrolment.objects.filter(team=team, coach=user).exists():
        return team
    raise Http404
