"""Loaded by pytest before Django's settings (see pytest.ini), so that a plain `pytest`
works on a fresh checkout without exporting a secret key."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
# The test client and the browser tests' live server speak plain HTTP; qms_site/tests/test_security.py
# turns the HTTPS redirect on where it tests it.
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
# Figures computed afresh in every test, which thus read the fresh computation;
# tests/test_figures_cache.py turns the figures cache on and reads it against that.
os.environ.setdefault("QMS_FIGURES_CACHE", "0")

# Property-based tests (hypothesis): bounded in CI so that the suite keeps to its time, wider on a
# developer's machine. HYPOTHESIS_PROFILE picks one; CI=true picks "ci". No example database is
# kept, so that runs do not depend on earlier ones.
from hypothesis import settings as hypothesis_settings  # noqa: E402

hypothesis_settings.register_profile("ci", max_examples=25, deadline=None, database=None, print_blob=True)
hypothesis_settings.register_profile("dev", max_examples=30, deadline=None, database=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
