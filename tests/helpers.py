"""Small assertions shared by the apps' tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import IntegrityError, transaction


def assert_violates(make: Callable[[], object]) -> None:
    """make() must be refused by a database rule, and leave the test's transaction usable."""
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


# --- Permission tests: every view, every persona -----------------------------------------------

LOGIN_URL = "/accounts/login/"

# persona -> status code of a GET (anonymous is always sent to log in). The tables for pages behind
# a role decorator (core.access) say what the user with no role gets too: 403, always.
EVERY_ROLE = {"manager": 200, "coach": 200, "other_coach": 200, "lead": 200, "no_role": 403}
MANAGERS_ONLY = {"manager": 200, "coach": 403, "other_coach": 403, "lead": 403, "no_role": 403}
MANAGERS_AND_LEADS = {"manager": 200, "coach": 403, "other_coach": 403, "lead": 200, "no_role": 403}
# A team's records: the view may or may not sit behind a role decorator (403 or 404 for no role),
# so these tables leave no_role to the test.
THIS_TEAM_READ = {"manager": 200, "coach": 200, "other_coach": 404, "lead": 200}  # the coach of `enrolment`
THIS_TEAM_WRITE = {"manager": 200, "coach": 200, "other_coach": 404, "lead": 403}


def persona_request(login, personas, persona: str, url: str, expected: dict[str, int], *, method="get", data=None):
    """`persona` requests `url` (conftest's `login` and `personas` fixtures): anonymous is sent to the
    login page and back, everyone else gets `expected[persona]`. Returns the response."""
    response = getattr(login(persona, personas), method)(url, data or {})
    if persona == "anonymous":
        assert (response.status_code, response["Location"]) == (302, f"{LOGIN_URL}?next={url}")
    else:
        assert response.status_code == expected[persona], persona
    return response
