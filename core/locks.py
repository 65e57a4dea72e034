"""Transaction-scoped locks on ids, for the writes that recompute rows derived from others.

A refresh of stored figures (checklists' standings, feedback's tallies) reads what they are computed
from and then writes them. Two refreshes of the same enrolment in two transactions at once would
each read without the other's uncommitted writes, and the one committing last would store figures
that miss the other's. Locking the ids first makes the second wait until the first has committed;
under READ COMMITTED its reads then see the first one's writes.

The first key of each lock names what is locked. Every stored per-enrolment figure (programmes'
session progress, checklists' standings, feedback's tallies) locks in one namespace,
ENROLMENT_FIGURES: one write often refreshes several of them (a session save refreshes all three,
in receiver order), and with one namespace a transaction that holds an enrolment's lock for one
table already holds it for the others (the locks are re-entrant), so two writers can never each
hold one table's lock while waiting for the other's.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

# Ids share this many locks per namespace (id modulo SLOTS): a refresh of every enrolment then takes at
# most SLOTS locks, well inside PostgreSQL's lock table (max_locks_per_transaction, 64 by default,
# times the connections), where one lock per id would run out of it past a few thousand ids. Two
# refreshes of different ids in one slot only wait for each other.
SLOTS = 1024

ENROLMENT_FIGURES = 7_406_115  # the namespace of every refresh of stored per-enrolment figures


def advisory_xact_lock(namespace: int, ids: Iterable[int]) -> None:
    """Takes PostgreSQL's pg_advisory_xact_lock(namespace, slot) for the slot of each id, in slot order
    (so that two callers locking several ids never deadlock), held until the transaction ends: one
    query, at most SLOTS locks whatever the number of ids.

    Does nothing on SQLite, which runs one writer at a time already, or for no ids. Call it inside
    the transaction that then reads and writes.
    """
    slots = sorted({int(pk) % SLOTS for pk in ids})
    if connection.vendor != "postgresql" or not slots:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, slot) FROM unnest(%s::integer[]) AS slot",
            [namespace, slots],
        )
