from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


def create_cache_table(using: str = "default", **kwargs) -> None:
    """Creates the database cache's table (settings.CACHES) if it is missing, after every migrate.

    So a fresh checkout, the test database and CI need no extra step, and a site that stops using
    Redis for the cache gets its table at its next migrate. createcachetable skips a table that exists
    and does nothing when no cache is a DatabaseCache.
    """
    call_command("createcachetable", database=using, verbosity=0)


class FeedbackConfig(AppConfig):
    name = "feedback"

    def ready(self) -> None:
        # The cache is shared by the whole site; the feedback app owns the hook because its public
        # form was the first to need a cache shared between server processes.
        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="feedback.create_cache_table")
        from . import receivers

        receivers.connect()  # the stored feedback counts per enrolment follow every write
