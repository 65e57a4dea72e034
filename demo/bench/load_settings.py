"""Settings for `make loadtest`'s gunicorn: the site's own (from the environment, as in production),
with the benchmark URLconf, which adds the minimal logged-in baseline page (demo.bench.urls).

The load test serves plain HTTP on the loopback address, so the site address warning is expected."""

from qms_site.settings import *  # noqa: F403

ROOT_URLCONF = "demo.bench.urls"
SILENCED_SYSTEM_CHECKS = ["qms.W001"]
