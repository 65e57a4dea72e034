"""Who may see and change what. Every view asks here rather than deciding for itself.

- Improvement managers (and superusers): everything.
- Coaches: only the enrolments they coach (and their sessions); anything else is a 404, so a
  coach cannot even learn that another coach's team exists.
- Education leads: read everything, change nothing (403 on any write).
- Anonymous: the login page (views are wrapped in login_required).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from .models import Enrolment, Session, Team
from .roles import is_coach, is_lead, is_manager


def enrolments_visible_to(user, queryset: QuerySet[Enrolment] | None = None) -> QuerySet[Enrolment]:
    """The enrolments a user may read: all for managers and leads, their own for coaches."""
    queryset = Enrolment.objects.all() if queryset is None else queryset
    if is_manager(user) or is_lead(user):
        return queryset
    if is_coach(user):
        return queryset.filter(coach=user)
    return queryset.none()


def sessions_visible_to(user, queryset: QuerySet[Session] | None = None) -> QuerySet[Session]:
    queryset = Session.objects.all() if queryset is None else queryset
    if is_manager(user) or is_lead(user):
        return queryset
    if is_coach(user):
        return queryset.filter(enrolment__coach=user)
    return queryset.none()


def can_change(user, coach_id: int | None) -> bool:
    """Whether this user may change the records of an enrolment coached by `coach_id` (its
    sessions, checklists, feedback link, coaching agreement): a manager, or that enrolment's coach.
    The one rule behind every write below and every page that offers a change."""
    return is_manager(user) or (is_coach(user) and coach_id is not None and coach_id == user.pk)


def _check(user, coach_id: int | None, *, write: bool) -> None:
    if can_change(user, coach_id):
        return
    if is_lead(user) and not write:
        return
    if is_lead(user):
        raise PermissionDenied("Education leads can read but not change programme records.")
    raise Http404


def get_enrolment_for_user(
    request: HttpRequest, pk: int, *, write: bool = False, queryset: QuerySet[Enrolment] | None = None
) -> Enrolment:
    """The enrolment if this user may see it (write=True: change it); 404 for outsiders, 403 for leads writing."""
    queryset = Enrolment.objects.select_related("team__site", "cohort__template") if queryset is None else queryset
    enrolment = get_object_or_404(queryset, pk=pk)
    _check(request.user, enrolment.coach_id, write=write)
    return enrolment


def get_session_for_user(
    request: HttpRequest, pk: int, *, write: bool = False, queryset: QuerySet[Session] | None = None
) -> Session:
    """The session if this user may see it (write=True: change it); 404 for outsiders, 403 for leads writing."""
    if queryset is None:
        queryset = Session.objects.select_related("plan", "enrolment__team__site", "enrolment__cohort__template")
    session = get_object_or_404(queryset, pk=pk)
    _check(request.user, session.enrolment.coach_id, write=write)
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


def manager_required(view: Callable) -> Callable:
    """Logged in and an improvement manager; anyone else logged in gets 403."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_manager(request.user):
            raise PermissionDenied("Only improvement managers can do this.")
        return view(request, *args, **kwargs)

    return wrapped


def manager_or_lead_required(view: Callable) -> Callable:
    """Logged in and an improvement manager or an education lead (read-only pages over every
    team); coaches and anyone else logged in get 403."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not (is_manager(request.user) or is_lead(request.user)):
            raise PermissionDenied("Only improvement managers and education leads can see this page.")
        return view(request, *args, **kwargs)

    return wrapped


def staff_role_required(view: Callable) -> Callable:
    """Logged in with any of the three roles; a user with no role gets 403."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not (is_manager(user) or is_coach(user) or is_lead(user)):
            raise PermissionDenied("Your account has no role yet; ask an improvement manager.")
        return view(request, *args, **kwargs)

    return wrapped
