"""Fixtures for the demo's tests: the quick password hasher (programmes/tests/fast_passwords.py)."""

from programmes.tests.fast_passwords import fast_passwords  # noqa: F401 (autouse)
