from django.apps import AppConfig
from django.core import checks


class ChecklistsConfig(AppConfig):
    name = "checklists"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
        checks.register(stored_standings_run_length, checks.Tags.database)


def stored_standings_run_length(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """Warns when stored checklist standings were computed with another run length than
    QMS_SUSTAINED_RUN_LENGTH now: sustained counts on the dashboards would be the old rule's until
    they are rebuilt. A database check: `manage.py check --database default`, and `migrate`."""
    from django.db import connections

    from .models import EnrolmentStanding
    from .sustainment import sustained_run_length

    try:
        run_length = sustained_run_length()
    except ValueError:
        return []  # the setting itself is wrong: saying so is sustained_run_length()'s job
    messages = []
    table = EnrolmentStanding._meta.db_table
    for alias in databases or []:
        if table not in connections[alias].introspection.table_names():
            continue  # not migrated yet: the migration fills it with the run length of the day
        others = sorted(
            EnrolmentStanding.objects.using(alias)
            .exclude(run_length=run_length)
            .values_list("run_length", flat=True)
            .distinct()
        )
        if others:
            computed = ", ".join(str(n) for n in others)
            messages.append(
                checks.Warning(
                    f"Stored checklist standings in the {alias!r} database were computed with a sustained run "
                    f"length of {computed}, but QMS_SUSTAINED_RUN_LENGTH is now {run_length}: the dashboards "
                    "would count tools sustained by the old rule.",
                    hint="Run `manage.py rebuild_standings` to recompute them.",
                    obj="checklists.EnrolmentStanding",
                    id="checklists.W001",
                )
            )
    return messages
