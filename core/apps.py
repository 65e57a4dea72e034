from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared tools every app uses (roles, access rules, optimistic concurrency, the form-submit
    helper, CSV responses); it knows no part of the domain."""

    name = "core"
    verbose_name = "Core"
