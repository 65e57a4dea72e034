from django.apps import AppConfig


class CoachingConfig(AppConfig):
    name = "coaching"

    def ready(self) -> None:
        from programmes.signals import next_step_after_held

        from . import tasks  # noqa: F401 - registers the tasks, so that a send by name runs eagerly without a broker
        from .receivers import agree_slots_after_session_1

        next_step_after_held.connect(agree_slots_after_session_1, dispatch_uid="coaching.agree_slots_after_session_1")
