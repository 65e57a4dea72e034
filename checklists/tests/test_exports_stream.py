"""The ratings CSV streams in flat memory: reading 4N ratings costs no more memory or queries than N."""

import pytest

from checklists.models import Tool
from core.tests.streaming import FLAT_PEAK_BOUND, streamed_export

from .bulk import bulk_ratings, bulk_sessions, bulk_tools

pytestmark = pytest.mark.django_db

# 25 tools x 10 sessions a team: N = 4,000 ratings from 16 teams, 4N = 16,000 from 64. The export
# reads 2,000 rows at a time and holds two such chunks at its peak (the one being written while the
# next is fetched), so from N = 4,000 on the peak is that of two full chunks, whatever the count.
TOOLS = 25
TEAMS = 16


def test_ratings_csv_memory_and_queries_do_not_grow_with_the_ratings(personas, login):
    bulk_tools(TOOLS - Tool.objects.active().count())
    made = bulk_ratings(bulk_sessions(TEAMS, like=personas.enrolment), coach=personas.coach)
    assert made == TEAMS * 10 * TOOLS
    client = login("manager", personas)

    small = streamed_export(client, "/exports/ratings.csv")
    bulk_ratings(bulk_sessions(3 * TEAMS, like=personas.enrolment, first=TEAMS), coach=personas.coach)
    large = streamed_export(client, "/exports/ratings.csv")

    assert (small.rows, large.rows) == (made, 4 * made)
    # 1 session row, 2 user, 3 groups, 4 the ratings (read in chunks from one query).
    assert small.queries == large.queries == 4
    assert large.peak_bytes - small.peak_bytes < FLAT_PEAK_BOUND, (small, large)
