"""Loaded by pytest before Django's settings (see pytest.ini), so that a plain `pytest`
works on a fresh checkout without exporting a secret key."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
