"""The feedback CSV streams: its rows are read a chunk at a time, so the memory it takes does not
grow with the number of responses, and what it writes is what it always wrote (the reference below
is the export as it was first written, from model instances and the user's feedback report)."""

from __future__ import annotations

import datetime as dt
import hashlib
import tracemalloc

import pytest
from django.db.models import Q

from core.access import can_change
from core.exports import csv_response
from core.roles import is_manager
from feedback.models import CouldImprove, FeedbackLink, FeedbackResponse
from feedback.selectors import EXPORT_CHUNK_SIZE, EXPORT_HEADER, feedback_report
from programmes.access import sessions_visible_to

pytestmark = pytest.mark.django_db

URL = "/exports/feedback.csv"
SEP_22 = dt.date(2025, 9, 22)
KINDS = [CouldImprove.YES, CouldImprove.NOT_SURE, CouldImprove.NO]


def reference_rows(user):
    """The export's rows as first written: one query of joined instances, and the sessions the
    pages show a lead taken from feedback_report's session rows."""
    responses = FeedbackResponse.objects.filter(link__session__in=sessions_visible_to(user).values("pk"))
    if not is_manager(user):
        shown = [
            r.session.pk for r in feedback_report(user=user).sessions if not r.figures.withheld and not r.can_manage
        ]
        responses = responses.filter(Q(link__session__enrolment__coach=user) | Q(link__session_id__in=shown))
    responses = responses.select_related("link__session__enrolment__team__site", "link__session__enrolment__cohort")
    responses = responses.order_by(
        "link__session__enrolment__cohort__start_date",
        "link__session__enrolment__cohort__name",
        "link__session__enrolment__team__site__code",
        "link__session__enrolment__team__name",
        "link__session__number",
        "submitted_on",
        "id",
    )
    for response in responses:
        session = response.link.session
        enrolment = session.enrolment
        restricted = not can_change(user, enrolment.coach_id)
        yield [
            enrolment.team.name,
            enrolment.team.site.code,
            enrolment.cohort.name,
            session.number,
            (session.held_on or session.due_date).isoformat(),
            response.submitted_on.isoformat(),
            response.get_could_improve_display(),
            response.rating,
            "" if restricted else response.what_worked,
            "" if restricted else response.what_better,
        ]


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


def add_responses(link: FeedbackLink, n: int, *, start: int = 0) -> None:
    """n answers with comments (about 150 characters each), on four dates, of every kind."""
    FeedbackResponse.objects.bulk_create(
        (
            FeedbackResponse(
                link=link,
                could_improve=KINDS[i % 3],
                rating=1 + i % 5,
                what_worked=f"Answer {i:06d}: the worked examples from our own ward made the method easy to follow.",
                what_better="" if i % 4 else f"=More time for the run chart, please ({i:06d})",
                submitted_on=SEP_22 + dt.timedelta(days=i % 4),
            )
            for i in range(start, start + n)
        ),
        batch_size=1000,
    )


def open_links(personas, sizes: dict[tuple[str, int], int]) -> dict[tuple[str, int], FeedbackLink]:
    """Links on the given sessions ("mine" is the coach's team, "theirs" the other coach's), with
    that many answers each; session 2 of each team is held, the rest not (their date is the day due)."""
    links = {}
    for (team, number), n in sizes.items():
        enrolment = personas.enrolment if team == "mine" else personas.other_enrolment
        session = enrolment.sessions.get(number=number)
        if number == 2:
            session.held_on = session.due_date + dt.timedelta(days=1)
            session.attendees = 9
            session.save()
        links[team, number] = FeedbackLink.objects.create(session=session)
        add_responses(links[team, number], n, start=100 * number)
    return links


# The lead: their session 1 of "theirs" (3 answers) is too small, and session 2 (6) hides with it.
SMALL_WORLD = {("mine", 1): 7, ("mine", 2): 5, ("theirs", 1): 3, ("theirs", 2): 6, ("theirs", 3): 9}


@pytest.mark.parametrize("persona", ["manager", "coach", "other_coach", "lead"])
def test_export_content_is_what_it_always_was(client, login, personas, persona):
    open_links(personas, SMALL_WORLD)
    user = personas.user(persona)
    expected = streamed(csv_response("feedback.csv", EXPORT_HEADER, reference_rows(user)))
    login(persona, personas)
    assert streamed(client.get(URL)) == expected
    lines = expected.decode("utf-8-sig").splitlines()
    expected_rows = {"manager": 30, "coach": 12, "other_coach": 18, "lead": 21}[persona]
    assert len(lines) == 1 + expected_rows  # the rule left out the lead's two hidden sessions


def _peak_while_streaming(client) -> tuple[int, int, str]:
    """Peak memory (bytes traced) while the export is written, its number of lines and a digest."""
    response = client.get(URL)  # nothing is read yet: the rows are read as the body is consumed
    digest, lines = hashlib.sha256(), 0
    tracemalloc.start()
    try:
        for chunk in response.streaming_content:
            digest.update(chunk)
            lines += chunk.count(b"\n")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, lines, digest.hexdigest()


@pytest.mark.parametrize("persona", ["manager", "lead"])
def test_export_memory_does_not_grow_with_the_number_of_responses(client, login, personas, persona):
    # Reading a chunk, the one before it is still held: from two chunks on, the memory is flat.
    n = 2 * EXPORT_CHUNK_SIZE + 500
    sizes = {("mine", 1): n // 5, ("mine", 2): n // 5, ("theirs", 1): n // 5, ("theirs", 2): n // 5}
    sizes["theirs", 3] = n - sum(sizes.values())
    links = open_links(personas, sizes)
    login(persona, personas)
    streamed(client.get(URL))  # once first, so that what is made once per process is not counted
    small_peak, small_lines, _ = _peak_while_streaming(client)
    assert small_lines == 1 + n

    for key, link in links.items():  # four times the responses, in the same sessions
        add_responses(link, 3 * sizes[key], start=10_000 * key[1] + 1000)
    big_peak, big_lines, big_digest = _peak_while_streaming(client)
    assert big_lines == 1 + 4 * n
    # A few chunks stay in memory at once, whatever the number of rows (measured: about 2.4 MB for
    # n, 2.7 MB for 4n, 2.9 MB from 8n on); held in memory, the 3n more rows would add megabytes
    # (their comments alone are 3n * 90 bytes and more).
    assert big_peak - small_peak < 512 * 1024, (small_peak, big_peak)
    assert big_peak < 1.5 * small_peak, (small_peak, big_peak)
    # And what was streamed is the export as it always was.
    user = personas.user(persona)
    expected = streamed(csv_response("feedback.csv", EXPORT_HEADER, reference_rows(user)))
    assert big_digest == hashlib.sha256(expected).hexdigest()
