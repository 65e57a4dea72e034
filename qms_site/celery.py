"""The Celery app: Redis broker from CELERY_BROKER_URL, configured from Django's CELERY_* settings.

With no CELERY_BROKER_URL, settings.CELERY_TASK_ALWAYS_EAGER is on and tasks run in-process, so a
fresh checkout (and `manage.py send_reminders` from cron) needs no broker. The daily reminder sweep
is in settings.CELERY_BEAT_SCHEDULE (08:00 Europe/London); run `make worker` and `make beat`.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms_site.settings")

app = Celery("qms_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _in_memory_transport_without_broker(sender, **kwargs):
    """Eager tasks still take a producer (to check their arguments serialise as JSON); with no
    broker URL kombu would warn that it falls back to localhost. Nothing is ever sent on it."""
    if not sender.conf.broker_url:
        sender.conf.broker_url = "memory://localhost/"
