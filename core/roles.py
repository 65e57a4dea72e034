"""Roles are Django groups. One place answers "what may this user do?"."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    MANAGER = "Improvement managers"
    COACH = "Coaches"
    LEAD = "Education leads"


def _group_names(user) -> frozenset[str]:
    """The user's group names, read once per request and cached on the user object."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_qms_group_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._qms_group_names = cached
    return cached


def is_manager(user) -> bool:
    return bool(getattr(user, "is_superuser", False) and user.is_active) or Role.MANAGER in _group_names(user)


def is_coach(user) -> bool:
    return Role.COACH in _group_names(user)


def is_lead(user) -> bool:
    return Role.LEAD in _group_names(user)


def primary_role(user) -> Role | None:
    """The role a page is laid out for: manager over coach over lead."""
    if is_manager(user):
        return Role.MANAGER
    if is_coach(user):
        return Role.COACH
    if is_lead(user):
        return Role.LEAD
    return None
