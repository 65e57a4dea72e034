from django.utils.functional import cached_property

from .roles import is_coach, is_lead, is_manager, primary_role


class RoleFlags:
    """Role flags for templates; the group query runs once, and only if a template asks."""

    def __init__(self, user):
        self._user = user

    @cached_property
    def is_manager(self) -> bool:
        return is_manager(self._user)

    @cached_property
    def is_coach(self) -> bool:
        return is_coach(self._user)

    @cached_property
    def is_lead(self) -> bool:
        return is_lead(self._user)

    @cached_property
    def primary(self):
        return primary_role(self._user)


def role(request):
    user = getattr(request, "user", None)
    return {"role": RoleFlags(user)} if user is not None else {}
