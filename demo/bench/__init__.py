"""`make bench`'s and `make loadtest`'s measurements: pages through the real middleware, each timed
in turn with a minimal logged-in baseline (pages), the verdict over every scale (report), the
reminder sweep at scale (reminders), the URLconf that adds the baseline page to the site's (urls),
and for the load test, wrk's script and verdict (load) and gunicorn's settings (load_settings)."""
