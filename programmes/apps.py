from django.apps import AppConfig
from django.core import checks


class ProgrammesConfig(AppConfig):
    verbose_name = "Programmes"
    name = "programmes"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()  # the stored progress per enrolment follows every write of a session
        checks.register(stored_progress_rows, checks.Tags.database)


def stored_progress_rows(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """Warns when the stored progress rows are not exactly one per enrolment with sessions, as after
    sessions loaded with loaddata, bulk inserts or raw SQL, which the app's writes never see: the
    dashboards would leave those teams out. Two counting queries a database. A database check:
    `manage.py check --database default`, and `migrate`."""
    from django.db import connections
    from django.db.models import Exists, OuterRef

    from .models import Enrolment, EnrolmentProgress, Session

    messages = []
    table = EnrolmentProgress._meta.db_table
    for alias in databases or []:
        if table not in connections[alias].introspection.table_names():
            continue  # not migrated yet: the migration fills it
        with_sessions = Exists(Session.objects.using(alias).filter(enrolment=OuterRef("pk")))
        missing = Enrolment.objects.using(alias).filter(with_sessions, progress__isnull=True).count()
        extra = (
            EnrolmentProgress.objects.using(alias)
            .exclude(Exists(Session.objects.using(alias).filter(enrolment=OuterRef("enrolment"))))
            .count()
        )
        if missing or extra:
            messages.append(
                checks.Warning(
                    f"The {alias!r} database has {missing} enrolment(s) with sessions but no stored progress, and "
                    f"{extra} stored progress row(s) of enrolments with no session: the dashboards would count "
                    "and sort those teams wrongly.",
                    hint="Run `manage.py rebuild_progress` to recompute them.",
                    obj="programmes.EnrolmentProgress",
                    id="programmes.W001",
                )
            )
    return messages
