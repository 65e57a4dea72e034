"""The reminder emails: what their templates show, and the message, plain text with an HTML
alternative. Links point at settings.SITE_URL, and only at pages that exist. Rendering only: the
sending service makes the coach's calendar feed and passes its address in."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from programmes.huddles import stopped_after_weeks
from programmes.models import first_coaching_wait_limit, grace_days
from programmes.selectors.huddles import BOARD_FINDING

from .models import Digest, Reminder, ReminderKind
from .selectors.digests import WeeklyDigestContent
from .selectors.reminders import TEAM_KINDS, PlannedReminder, escalation_days, huddles_stopped_detail


def site_url(viewname: str, *args) -> str | None:
    """settings.SITE_URL + the view's path, or None while that page does not exist."""
    try:
        path = reverse(viewname, args=args)
    except NoReverseMatch:
        return None
    return settings.SITE_URL + path


def person_name(user) -> str:
    """How a reminder names a person: full name, else username."""
    return user.get_full_name() or user.get_username()


def recipient_is_coach(reminder: Reminder) -> bool:
    """The reminder goes to the session's coach (not to the improvement manager)."""
    coach_id = reminder.session.enrolment.coach_id
    return coach_id is not None and reminder.recipient_id == coach_id


def reminder_email_context(reminder: Reminder, *, today: dt.date, calendar_url: str | None = None) -> dict:
    """What the email templates show. reminder needs its session, plan, team, site, cohort owner,
    coach and recipient loaded (selectors.reminder_for_sending does). calendar_url: the coach's
    feed, offered in emails to the coach."""
    session = reminder.session
    enrolment = session.enrolment
    recipient = reminder.recipient
    is_coach = recipient_is_coach(reminder)
    huddles_stopped = reminder.kind == ReminderKind.HUDDLES_STOPPED
    return {
        "reminder": reminder,
        "kind": reminder.kind,
        "recipient_name": person_name(recipient),
        "session": session,
        "enrolment": enrolment,
        "team": enrolment.team,
        "site": enrolment.team.site,
        "cohort": enrolment.cohort,
        "coach_name": person_name(enrolment.coach) if enrolment.coach else None,
        "manager_name": person_name(enrolment.cohort.owner),
        "is_coach": is_coach,
        "due_date": reminder.due_date,
        "days_overdue": session.days_overdue(today),
        "days_scheduled_late": session.days_scheduled_late,
        "days_until": (reminder.due_date - today).days,
        "days_since_held": (today - session.held_on).days if session.held_on else None,
        "grace_days": grace_days(),
        "escalation_days": escalation_days(),
        "first_coaching_wait_days": first_coaching_wait_limit(),
        "about_team": reminder.kind in TEAM_KINDS,
        "huddles_detail": huddles_stopped_detail(since=reminder.due_date) if huddles_stopped else None,
        "huddle_stopped_weeks": stopped_after_weeks(),
        "board_finding": BOARD_FINDING,
        "session_url": site_url("programmes:session", session.pk),
        "enrolment_url": site_url("programmes:enrolment", enrolment.pk),
        "team_url": site_url("programmes:team", enrolment.team_id),
        "calendar_url": calendar_url if is_coach else None,
        "home_url": settings.SITE_URL + "/",
    }


def reminder_message(reminder: Reminder, *, today: dt.date, calendar_url: str | None = None) -> EmailMultiAlternatives:
    """The email, plain text with an HTML alternative, in the site's language (en-GB)."""
    context = reminder_email_context(reminder, today=today, calendar_url=calendar_url)
    return _render(f"coaching/email/{reminder.kind}", context, reminder.recipient.email)


# --- Digests: one email per person per period ----------------------------------------------------

# How a daily digest's subject counts each kind of reminder.
_DIGEST_COUNT_WORDS = {
    ReminderKind.OVERDUE: "overdue",
    ReminderKind.ESCALATION: "escalated",
    ReminderKind.SLIPPING: "agreed late",
    ReminderKind.SLOTS_NOT_AGREED: "slots not agreed",
    ReminderKind.UPCOMING: "upcoming",
    ReminderKind.FIRST_COACHING: "waiting for first coaching",
    ReminderKind.HUDDLES_STOPPED: "huddles stopped",
}


def _render(base: str, context: dict, to: str) -> EmailMultiAlternatives:
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
        text = render_to_string(f"{base}.txt", context)
        html = render_to_string(f"{base}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    return message


def daily_digest_context(digest: Digest, *, items: list[PlannedReminder], calendar_url: str | None = None) -> dict:
    """What a daily digest shows: its reminders grouped by kind, in the sweep's order of kinds.
    items: PlannedReminder per carried reminder (session, plan, team, site, cohort, coach loaded)."""
    order = list(ReminderKind)
    groups = []
    for kind in order:
        lines = [
            {
                "session": p.session,
                "team": p.session.enrolment.team,
                "site": p.session.enrolment.team.site,
                "cohort": p.session.enrolment.cohort,
                "due_date": p.due_date,
                "detail": p.detail(),
                "no_coach": p.session.enrolment.coach_id is None,
                "about_team": p.about_team,  # a line about the team (huddles stopped), not a session
                "team_url": site_url("programmes:team", p.session.enrolment.team_id),
                "session_url": site_url("programmes:session", p.session.pk),
                "enrolment_url": site_url("programmes:enrolment", p.session.enrolment_id),
            }
            for p in items
            if p.kind == kind
        ]
        if lines:
            groups.append({"kind": kind, "label": kind.label, "lines": lines, "count": len(lines)})
    summary = ", ".join(f"{g['count']} {_DIGEST_COUNT_WORDS[g['kind']]}" for g in groups)
    return {
        "digest": digest,
        "recipient_name": person_name(digest.recipient),
        "day": digest.period,
        "count": len(items),
        "summary": summary,
        "groups": groups,
        "calendar_url": calendar_url,
        "home_url": settings.SITE_URL + "/",
        "reminders_url": site_url("coaching:reminders"),
    }


def daily_digest_message(digest: Digest, *, items: list[PlannedReminder], calendar_url: str | None = None):
    """The day's reminders to one person, in one email (plain text with an HTML alternative)."""
    context = daily_digest_context(digest, items=items, calendar_url=calendar_url)
    return _render("coaching/email/digest_daily", context, digest.recipient.email)


def weekly_digest_message(digest: Digest, *, content: WeeklyDigestContent):
    """An improvement manager's week, in one email."""
    context = {
        "digest": digest,
        "recipient_name": person_name(digest.recipient),
        "week": content.week,
        "week_end": content.week + dt.timedelta(days=6),
        "content": content,
        "failed_total": content.failed_total,
        "escalation_days": escalation_days(),
        "first_coaching_wait_days": first_coaching_wait_limit(),
        "huddle_stopped_weeks": stopped_after_weeks(),
        "home_url": settings.SITE_URL + "/",
        "reminders_url": site_url("coaching:reminders"),
    }
    return _render("coaching/email/digest_weekly", context, digest.recipient.email)
