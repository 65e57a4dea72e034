"""Reads for huddle rhythm: each team's weeks of huddles (programmes.huddles) from its board sheet,
its huddle meetings and its check-ins. Three queries for any number of teams.

The weeks start when the team's board sheet was first printed (before it, there was nothing to
check in on) and go back at most LOOKBACK_WEEKS, so that a page's cost does not grow with the years.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from ..huddles import HuddleRhythm, HuddleWeek, huddle_rhythm, huddle_weeks, huddles_stopped_since, stopped_after_weeks
from ..meetings import MeetingPattern
from ..models import HuddleCheckIn, ImprovementBoard, Team, TeamMeeting

LOOKBACK_WEEKS = 26  # the team chart and the stop rule read at most half a year of weeks
RECENT_WEEKS = 8  # the dashboard row's and the checklist page's figure: the latest weeks
# The Trust's own finding (the source write-up), said wherever a team's board is not a physical one.
BOARD_FINDING = (
    "A team that tried a virtual improvement board stopped holding its huddle: the board was not highly visible."
)


def huddles_can_stop(team: str = "") -> Q:
    """The teams whose huddles can stop (TeamHuddles.stopped_since is only ever set for them): a
    physical board, and its board sheet printed. team: the lookup to the team ("enrolment__team__")."""
    return Q(**{f"{team}improvement_board": ImprovementBoard.PHYSICAL, f"{team}huddle_board__isnull": False})


@dataclass(frozen=True)
class TeamHuddles:
    team_id: int
    board: str  # ImprovementBoard
    sheet_since: dt.date | None  # the London day the board sheet was first printed; None: never
    patterns: tuple[MeetingPattern, ...]  # the meetings marked as the team's huddle
    weeks: tuple[HuddleWeek, ...]  # from the sheet's week (at most LOOKBACK_WEEKS back) to today's
    stopped_since: dt.date | None  # programmes.huddles.huddles_stopped_since, for a physical board

    @property
    def physical(self) -> bool:
        return self.board == ImprovementBoard.PHYSICAL

    @property
    def board_label(self) -> str:
        return ImprovementBoard(self.board).label

    @property
    def since_sheet(self) -> bool:
        """The weeks go back to the sheet's week (False: it was printed before LOOKBACK_WEEKS)."""
        return bool(self.weeks) and self.sheet_since is not None and self.weeks[0].monday <= self.sheet_since

    @property
    def recent(self) -> HuddleRhythm:
        """Weeks with a huddle of the latest RECENT_WEEKS weeks with huddles planned."""
        return huddle_rhythm([week for week in self.weeks if week.planned][-RECENT_WEEKS:])

    @property
    def rhythm(self) -> HuddleRhythm:
        return huddle_rhythm(self.weeks)

    @property
    def last_weeks_4(self) -> tuple[HuddleWeek, ...]:
        """The latest four weeks (the checklist page sets them beside the huddle rating)."""
        return self.weeks[-4:]


def team_huddles(*, team_ids: Iterable[int], today: dt.date) -> dict[int, TeamHuddles]:
    """Each of these teams' huddles up to `today`, by team id. Three queries whatever the data (the
    teams with their board sheet, their huddle meetings, their check-ins since the earliest start:
    a page's query count does not depend on which of its teams huddle), none without teams."""
    team_ids = sorted(set(team_ids))
    if not team_ids:
        return {}
    earliest = today - dt.timedelta(weeks=LOOKBACK_WEEKS)
    teams = list(
        Team.objects.filter(pk__in=team_ids).values_list("pk", "improvement_board", "huddle_board__created_at")
    )
    patterns: dict[int, list[MeetingPattern]] = {}
    for meeting in TeamMeeting.objects.filter(team_id__in=team_ids, is_huddle=True).order_by("weekday", "start_time"):
        patterns.setdefault(meeting.team_id, []).append(MeetingPattern.of(meeting))
    held: dict[int, list[dt.date]] = {}
    for team_id, day in HuddleCheckIn.objects.filter(
        team_id__in=team_ids, held_on__gte=earliest - dt.timedelta(days=7), held_on__lte=today
    ).values_list("team_id", "held_on"):
        held.setdefault(team_id, []).append(day)
    after = stopped_after_weeks()
    result = {}
    for team_id, board, created_at in teams:
        since = timezone.localdate(created_at) if created_at is not None else None
        weeks: list[HuddleWeek] = []
        if since is not None:
            weeks = huddle_weeks(
                patterns=patterns.get(team_id, ()),
                held_on=held.get(team_id, ()),
                start=max(since, earliest),
                today=today,
            )
        stopped = huddles_stopped_since(weeks, after_weeks=after) if board == ImprovementBoard.PHYSICAL else None
        result[team_id] = TeamHuddles(
            team_id=team_id,
            board=board,
            sheet_since=since,
            patterns=tuple(patterns.get(team_id, ())),
            weeks=tuple(weeks),
            stopped_since=stopped,
        )
    return result


NOTES_SHOWN = 5  # the team page lists the latest check-ins' lines


def latest_huddle_notes(*, team: Team, today: dt.date) -> list[HuddleCheckIn]:
    """The team's latest check-ins that say something (how many were there, one line), newest
    first: what the team typed at its board. One query."""
    return list(
        HuddleCheckIn.objects.filter(team=team, held_on__lte=today).exclude(note="").order_by("-held_on")[:NOTES_SHOWN]
    )
