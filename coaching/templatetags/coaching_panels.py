"""Coaching's panels on the programme's pages (the team, cohort, enrolment and session pages):
programmes knows nothing of coaching, so its templates ask these tags.

{% load coaching_panels %}
{% slots_for rows as slots %} ... {% slots_state slots|slots_of:enrolment.pk %}
{% enrolment_coaching enrolment session_1 as coaching %}  (coaching.slots, coaching.last_reminder)
{% session_slots session as slots %}            (session 1's page: agree the slots?)
{% calendar_feed team=team %}                   (the team's feed; a coach's on My teams)
"""

from __future__ import annotations

from django import template
from django.urls import reverse

from core.roles import is_manager

from ..selectors import Slots, enrolment_slots, last_reminders, slots_by_enrolment
from ..services import calendar_feed_for_coach, calendar_feed_for_team

register = template.Library()


@register.simple_tag
def slots_for(rows) -> dict[int, Slots]:
    """The coaching slots of every row (programmes.selectors.TeamRow) on a page: one query."""
    return slots_by_enrolment(rows)


@register.filter
def slots_of(slots: dict[int, Slots], enrolment_id: int) -> Slots | None:
    return slots.get(enrolment_id)


@register.inclusion_tag("coaching/_slots_state.html")
def slots_state(slots: Slots | None, agree_link: bool = False) -> dict:
    """The slots state in words, the same on every page; "Not agreed" marked as needing action."""
    return {"slots": slots, "agree_link": agree_link}


@register.simple_tag
def enrolment_coaching(enrolment, session_1=None) -> dict:
    """The enrolment page's coaching panel: its slots (with the agreement) and the last reminder
    sent about it. Queries: the agreement (1), session 1 (1, none if given), the last reminder (1)."""
    return {
        "slots": enrolment_slots(enrolment, session_1=session_1),
        "last_reminder": last_reminders(enrolment_ids=[enrolment.pk]).get(enrolment.pk),
    }


@register.simple_tag
def session_slots(session) -> Slots | None:
    """Session 1's slots (the page offers to agree them once it is held); None for other sessions.
    Queries: the agreement (1) on session 1's page, none on the others."""
    if session.number != 1:
        return None
    return enrolment_slots(session.enrolment, session_1=session)


@register.inclusion_tag("coaching/_feed.html", takes_context=True)
def calendar_feed(context, *, team=None) -> dict:
    """A calendar feed's address with its copy and reset buttons: the team's (reset by managers),
    or else the person's own. Makes the feed on first view: one or two queries."""
    request = context["request"]
    if team is not None:
        feed = calendar_feed_for_team(team=team)
        reset_url = reverse("coaching:team_calendar_reset", args=[team.pk]) if is_manager(request.user) else None
        who = "this team's"
    else:
        feed = calendar_feed_for_coach(coach=request.user)
        reset_url = reverse("coaching:calendar_reset")
        who = "your"
    feed_url = request.build_absolute_uri(reverse("coaching:calendar", args=[feed.token]))
    return {"feed_url": feed_url, "webcal_url": webcal_url(feed_url), "reset_url": reset_url, "who": who}


def webcal_url(feed_url: str) -> str:
    """The feed's address as a webcal:// link, which calendar apps (Outlook among them) open as a
    subscription rather than a download: the same address with its scheme replaced."""
    return "webcal://" + feed_url.split("://", 1)[1]
