"""Small assertions shared by the apps' tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import IntegrityError, transaction


def assert_violates(make: Callable[[], object]) -> None:
    """make() must be refused by a database rule, and leave the test's transaction usable."""
    with pytest.raises(IntegrityError), transaction.atomic():
        make()
