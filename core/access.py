"""Who may see and change what: the one set of access rules. Every view asks here (directly, or
through programmes.access, which applies these rules to enrolments, sessions and teams).

- Improvement managers (and superusers): everything.
- Coaches: only the enrolments they coach (and their sessions); anything else is a 404, so a
  coach cannot even learn that another coach's team exists.
- Education leads: read everything, change nothing (403 on any write).
- No role: nothing (403). Anonymous: the login page (views are wrapped in login_required).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from .roles import is_coach, is_lead, is_manager


def visible_to(user, queryset: QuerySet, *, coach_field: str) -> QuerySet:
    """The rows of `queryset` a user may read: all for managers and leads, for a coach those whose
    `coach_field` (a lookup such as "coach" or "enrolment__coach") is them, none for anyone else."""
    if is_manager(user) or is_lead(user):
        return queryset
    if is_coach(user):
        return queryset.filter(**{coach_field: user})
    return queryset.none()


def can_change(user, coach_id: int | None) -> bool:
    """Whether this user may change the records of an enrolment coached by `coach_id` (its
    sessions, checklists, feedback link, coaching agreement): a manager, or that enrolment's coach.
    The one rule behind every write and every page that offers a change."""
    return is_manager(user) or (is_coach(user) and coach_id is not None and coach_id == user.pk)


def can_change_all_visible(user) -> bool:
    """Whether this user may change every record they may read (visible_to): a manager, or a coach
    who reads only their own teams (not also a lead). Then can_change() is true for every row."""
    return is_manager(user) or (is_coach(user) and not is_lead(user))


def check_access(user, coach_id: int | None, *, write: bool) -> None:
    """Returns if the user may read (write=False) or change (write=True) the records of an
    enrolment coached by `coach_id`; a lead writing gets PermissionDenied, anyone else Http404."""
    if can_change(user, coach_id):
        return
    if is_lead(user) and not write:
        return
    if is_lead(user):
        raise PermissionDenied("Education leads can read but not change programme records.")
    raise Http404


def _role_required(allowed: Callable[[object], bool], message: str) -> Callable[[Callable], Callable]:
    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not allowed(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


manager_required = _role_required(is_manager, "Only improvement managers can do this.")
manager_required.__doc__ = "Logged in and an improvement manager; anyone else logged in gets 403."

manager_or_lead_required = _role_required(
    lambda user: is_manager(user) or is_lead(user),
    "Only improvement managers and education leads can see this page.",
)
manager_or_lead_required.__doc__ = (
    "Logged in and an improvement manager or an education lead (read-only pages over every team); "
    "coaches and anyone else logged in get 403."
)

staff_role_required = _role_required(
    lambda user: is_manager(user) or is_coach(user) or is_lead(user),
    "Your account has no role yet; ask an improvement manager.",
)
staff_role_required.__doc__ = "Logged in with any of the three roles; a user with no role gets 403."

coach_or_manager_required = _role_required(
    lambda user: is_coach(user) or is_manager(user),
    "This page is for coaches.",
)
coach_or_manager_required.__doc__ = "Logged in and a coach, or a manager (who may also coach); others get 403."
