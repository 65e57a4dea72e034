"""Writes for digests: one email per person per period instead of one per reminder.

Daily: the reminder sweep (coaching.services.reminders) claims each reminder as its own Reminder
row (the exactly-once record of each item), then daily_digests_attach() claims each waiting
recipient's digest of the day, Digest(recipient, daily, day), by INSERT ... ON CONFLICT DO NOTHING
under its unique (recipient, kind, period), and attaches to it, while it is still pending and its row
is locked (SELECT ... FOR UPDATE), every reminder of theirs claimed and not yet in a digest. One send
per digest is queued after commit. A digest already being sent, sent or failed takes nothing more:
what was claimed after it (a second sweep later in the day) waits for the next day's digest. So a
person gets at most one email a day, and each reminder goes in exactly one.

The send (coaching.services.sending, outbox "digest") lists the reminders the digest carried when it
was loaded; once sent, those are marked sent (after_sent), and any attached since (a sweep that
committed between the load and the send) are let go again, for the next day's digest.

Weekly: weekly_digests_sweep() (beat, Monday 08:00 Europe/London) claims one Digest(manager,
weekly, Monday) per improvement manager (Cohort.owner of a cohort with teams still in the
programme) and queues its send; its content is read when it is sent (coaching.selectors.digests).

Queries: the daily attach is a fixed handful (read who waits, claim their digests, lock them, one
UPDATE), whatever the number of reminders or recipients; a few more on SQLite per 999 parameters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ..emails import (
    daily_digest_message,
    person_name,
    recipient_is_coach,
    reminder_message,
    site_url,
    weekly_digest_message,
)
from ..models import Digest, DigestKind, Reminder, SendStatus
from ..selectors.digests import (
    digest_for_sending,
    recipients_awaiting_digest,
    week_of,
    weekly_digest_content,
    weekly_digest_recipients,
)
from ..selectors.reminders import PlannedReminder
from .calendar import calendar_feed_for_coach
from .sending import Outbox, insert_claims, register_outbox, registered_outboxes, retry_failed, send_after_commit

# Recipients per UPDATE attaching their reminders (two parameters each; SQLite takes 999).
_ATTACH_CHUNK = 400


# --- The claim ----------------------------------------------------------------------------------


def digests_claim(*, recipient_ids: list[int], kind: DigestKind, period: dt.date, now: dt.datetime) -> list[int]:
    """Inserts a pending Digest(recipient, kind, period) for each recipient, skipping any that
    exist; returns the ids of the ones this call inserted (INSERT ... ON CONFLICT DO NOTHING
    RETURNING: a row another sweep inserted first, or inserts while we wait on its lock, is not ours)."""
    rows = [{"recipient": pk, "kind": kind.value, "period": period} for pk in recipient_ids]
    return insert_claims(Digest, rows, unique=("recipient", "kind", "period"), now=now)


def daily_digests_attach(*, today: dt.date, now: dt.datetime) -> list[int]:
    """Puts every reminder claimed and not yet in a digest into its recipient's digest of `today`
    (claimed here if need be), if that digest is still pending; queues each such digest's send after
    commit. Returns the ids of the digests that took reminders. Safe in parallel: the digests are
    locked while reminders are attached, and a send claims a digest only after that commits."""
    with transaction.atomic():
        waiting = recipients_awaiting_digest()
        if not waiting:
            return []
        digests_claim(recipient_ids=waiting, kind=DigestKind.DAILY, period=today, now=now)
        pending = dict(
            Digest.objects.select_for_update()
            .filter(kind=DigestKind.DAILY, period=today, recipient_id__in=waiting, status=SendStatus.PENDING)
            .order_by("pk")
            .values_list("recipient_id", "pk")
        )
        recipients = sorted(pending)
        for start in range(0, len(recipients), _ATTACH_CHUNK):
            chunk = recipients[start : start + _ATTACH_CHUNK]
            Reminder.objects.filter(digest__isnull=True, status=SendStatus.PENDING, recipient_id__in=chunk).update(
                digest_id=Case(
                    *[When(recipient_id=r, then=Value(pending[r])) for r in chunk], output_field=IntegerField()
                )
            )
        digest_ids = sorted(pending.values())
        for pk in digest_ids:
            send_after_commit(DIGESTS, pk, today)
    return digest_ids


@dataclass
class WeeklySweepResult:
    week: dt.date  # the Monday
    dry_run: bool
    recipients: list = field(default_factory=list)  # the managers claimed for (or who would be)
    digest_ids: list[int] = field(default_factory=list)  # the digests this run claimed


def weekly_digests_sweep(*, today: dt.date, dry_run: bool = False, now: dt.datetime | None = None) -> WeeklySweepResult:
    """Claims the weekly digest of the week holding `today` for each improvement manager, once per
    (manager, week), and queues its send after commit; dry_run claims nothing. Safe to run again,
    in parallel too."""
    now = now or timezone.now()
    result = WeeklySweepResult(week=week_of(today), dry_run=dry_run)
    managers = list(weekly_digest_recipients())
    if dry_run:
        already = set(
            Digest.objects.filter(kind=DigestKind.WEEKLY, period=result.week).values_list("recipient_id", flat=True)
        )
        result.recipients = [m for m in managers if m.pk not in already]
        return result
    with transaction.atomic():
        ids = digests_claim(recipient_ids=[m.pk for m in managers], kind=DigestKind.WEEKLY, period=result.week, now=now)
        by_recipient = dict(Digest.objects.filter(pk__in=ids).values_list("recipient_id", "pk"))
        for manager in managers:
            if manager.pk in by_recipient:
                result.recipients.append(manager)
                result.digest_ids.append(by_recipient[manager.pk])
                send_after_commit(DIGESTS, by_recipient[manager.pk], today)
    return result


# --- The message ------------------------------------------------------------------------------------


def calendar_url_for(reminder: Reminder) -> str | None:
    """The coach's calendar feed for an email to the coach, made if they have none yet."""
    if not recipient_is_coach(reminder):
        return None
    try:
        reverse("coaching:calendar", args=["token"])
    except NoReverseMatch:
        return None  # the feed's page is not there yet: no link, and no token made for nothing
    return site_url("coaching:calendar", calendar_feed_for_coach(coach=reminder.recipient).token)


def failed_email_counts() -> dict[str, int]:
    """Emails that could not be sent, by kind (outbox name), over every kind registered: one query
    each. Reminders carried by a digest count as their digest."""
    return {o.name: o.model.objects.filter(status=SendStatus.FAILED).count() for o in registered_outboxes()}


def _digest_message(digest: Digest, today: dt.date):
    recipient = digest.recipient
    if not recipient.email or not recipient.is_active:
        why = "has no email address" if recipient.is_active else "has an inactive account"
        return f"{person_name(recipient)} {why}."
    if digest.kind == DigestKind.WEEKLY:
        content = weekly_digest_content(manager=recipient, week=digest.period, failed=failed_email_counts())
        return weekly_digest_message(digest, content=content)
    carried = digest.carried
    if not carried:
        return "Nothing left to send: its reminders' sessions were deleted."
    for reminder in carried:
        reminder.recipient = recipient  # the same person: what the lines and links read
    calendar_url = next((url for r in carried if (url := calendar_url_for(r))), None)
    if len(carried) == 1:
        return reminder_message(carried[0], today=digest.period, calendar_url=calendar_url)
    items = [PlannedReminder.of(r, today=digest.period, to_manager=not recipient_is_coach(r)) for r in carried]
    return daily_digest_message(digest, items=items, calendar_url=calendar_url)


def _digest_sent(digest: Digest, sent_at: dt.datetime) -> None:
    """The reminders the email listed are sent; any attached after it was loaded wait for the next day's."""
    if digest.kind != DigestKind.DAILY:
        return
    listed = [r.pk for r in digest.carried]
    Reminder.objects.filter(pk__in=listed).exclude(status=SendStatus.SENT).update(
        status=SendStatus.SENT, sent_at=sent_at, claim=None, sending_since=None, error=""
    )
    Reminder.objects.filter(digest=digest, status=SendStatus.PENDING).exclude(pk__in=listed).update(digest=None)


DIGESTS = register_outbox(
    Outbox(name="digest", model=Digest, load=digest_for_sending, message=_digest_message, after_sent=_digest_sent)
)


def digest_retry(*, digest: Digest) -> bool:
    """A manager asks for a failed digest to be sent again (with the reminders it carries). False if
    it is no longer failed."""
    return retry_failed(DIGESTS, digest.pk)
