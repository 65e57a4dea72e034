"""The sessions CSV streams in flat memory: reading 4N sessions costs no more memory or queries than N."""

import pytest
from django.urls import reverse

from checklists.tests.bulk import bulk_sessions
from core.tests.streaming import FLAT_PEAK_BOUND, streamed_export

pytestmark = pytest.mark.django_db

# 10 sessions a team: N = 4,000 sessions from 400 teams, 4N = 16,000 from 1,600 (the personas' own
# 20 sessions on top). The export reads 2,000 rows at a time and holds two such chunks at its peak
# (the one being written while the next is fetched), so from N = 4,000 on the peak is that of two
# full chunks, whatever the count.
TEAMS = 400


def test_sessions_csv_memory_and_queries_do_not_grow_with_the_sessions(personas, login):
    bulk_sessions(TEAMS, like=personas.enrolment)
    client = login("manager", personas)

    small = streamed_export(client, reverse("sessions_csv"))
    bulk_sessions(3 * TEAMS, like=personas.enrolment, first=TEAMS)
    large = streamed_export(client, reverse("sessions_csv"))

    assert (small.rows, large.rows) == (20 + TEAMS * 10, 20 + 4 * TEAMS * 10)
    # 1 session, 2 user, 3 groups, 4 the sessions with their teams, cohorts, coaches and move counts.
    assert small.queries == large.queries == 4
    assert large.peak_bytes - small.peak_bytes < FLAT_PEAK_BOUND, (small, large)
