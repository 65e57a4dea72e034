"""Fixtures for every programmes test: the quick password hasher (programmes/tests/fast_passwords.py)."""

from programmes.tests.fast_passwords import fast_passwords  # noqa: F401
