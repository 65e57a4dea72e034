"""A quick password hasher for tests that make many users (the personas fixture makes four per
test): PBKDF2's million rounds cost most of such a test's time. An app's tests/conftest.py imports
the fixture once for all its tests: `from programmes.tests.fast_passwords import fast_passwords  # noqa: F401`."""

import pytest


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
