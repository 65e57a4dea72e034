from django.apps import AppConfig


class CoachingConfig(AppConfig):
    name = "coaching"

    def ready(self) -> None:
        from programmes.signals import check_slot, next_step_after_held

        from . import tasks  # noqa: F401 - registers the tasks, so that a send by name runs eagerly without a broker
        from .receivers import agree_slots_after_session_1, clashes_of_move, connect_invitations

        next_step_after_held.connect(agree_slots_after_session_1, dispatch_uid="coaching.agree_slots_after_session_1")
        check_slot.connect(clashes_of_move, dispatch_uid="coaching.clashes_of_move")
        connect_invitations()
