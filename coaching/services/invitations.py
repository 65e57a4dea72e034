"""Calendar invitations: an iMIP email (RFC 6047) to the coach and the team's contact whenever a
session's agreed time is set, moved or called off, with the feed's UID and SEQUENCE, so that the
event their calendar keeps is the feed's one.

Which changes: the writes note the sessions they change (invitations_note): coaching's receivers
(coaching.receivers) for a session's agreed start, place or cancellation and for an
enrolment's status or coach, whatever saves them (the services, the admin), and agreement_confirm
for the slots it fills (a bulk update, which sends no signal). The notes of one transaction are
claimed together once it commits, in a few queries whatever the number of sessions.

The claim: one Invitation row per (session, address, sequence), inserted under its unique
constraint (coaching.services.sending.insert_claims): a trigger run twice, or a retried
transaction, claims nothing twice, and a later change has a higher SEQUENCE and so its own
invitation. The send is the one state machine of coaching.services.sending (retries, failed,
re-queued by the daily invitations_requeue).

Who: the session's coach (unless they turned invitations off: InvitationPreference) and the team's
contact address (the manager clears it to stop them). A session whose coach changes: the old coach
gets a CANCEL. Only sessions still to come (not held, agreed start not yet passed) are sent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEText
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from ..emails import site_url
from ..ical import build_invitation, session_called_off, session_sequence
from ..models import Invitation, InvitationMethod, InvitationPreference, SendStatus
from ..selectors.invitations import invitation_for_sending, invitations_off, sessions_to_invite, users_by_id
from .sending import Outbox, insert_claims, register_outbox, requeue_stale, retry_failed, send_after_commit

_UNIQUE = ("session", "email", "sequence")
CONTENT_CLASS = "urn:content-classes:calendarmessage"  # Outlook reads the message as a meeting


# --- Noting changes, claiming once per transaction ------------------------------------------------


@dataclass
class _Batch:
    """The sessions one transaction changed, and the coach each had before a change of coach."""

    sessions: set[int] = field(default_factory=set)
    old_coaches: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    flushed: bool = False

    def flush(self) -> None:
        self.flushed = True
        sessions, old_coaches = set(self.sessions), dict(self.old_coaches)
        self.sessions.clear()
        self.old_coaches.clear()
        if sessions:
            invitations_claim(session_ids=sessions, old_coaches=old_coaches, now=timezone.now())


_BATCH = "_qms_invitations_batch"
_SUPPRESSED = "_qms_invitations_suppressed"


def invitations_note(*, session_ids: Iterable[int], old_coach_id: int | None = None) -> None:
    """Notes sessions whose invitation may be due; they are claimed once the transaction commits
    (at once outside one). old_coach_id: the coach they had before this change, if it changed."""
    conn = transaction.get_connection()
    if getattr(conn, _SUPPRESSED, 0):
        return
    batch = getattr(conn, _BATCH, None)
    # A batch whose commit hook ran, or is gone (its transaction rolled back), starts afresh.
    if batch is None or batch.flushed or not any(hook[1] == batch.flush for hook in conn.run_on_commit):
        batch = _Batch()
        setattr(conn, _BATCH, batch)
        if conn.in_atomic_block:
            transaction.on_commit(batch.flush, robust=True)
    ids = {pk for pk in session_ids if pk is not None}
    batch.sessions |= ids
    if old_coach_id is not None:
        for pk in ids:
            batch.old_coaches[pk].add(old_coach_id)
    if not conn.in_atomic_block:
        batch.flush()


@contextlib.contextmanager
def invitations_suppressed() -> Iterator[None]:
    """No invitations for the changes made inside (the demo data: its people are made up)."""
    conn = transaction.get_connection()
    setattr(conn, _SUPPRESSED, getattr(conn, _SUPPRESSED, 0) + 1)
    try:
        yield
    finally:
        setattr(conn, _SUPPRESSED, getattr(conn, _SUPPRESSED) - 1)


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


@transaction.atomic
def invitations_claim(*, session_ids: Iterable[int], old_coaches: dict[int, set[int]], now: dt.datetime) -> list[int]:
    """Claims the invitation due for each session's current state and queues its email after
    commit; returns the ids claimed here (none for a state already claimed). Queries: the sessions,
    who turned invitations off, the old coaches (when a coach changed), and the insert."""
    sessions = sessions_to_invite(session_ids, now=now)
    old_ids = {pk for s in sessions for pk in old_coaches.get(s.pk, ())}
    old = users_by_id(old_ids - {s.enrolment.coach_id for s in sessions})
    coaches = {s.enrolment.coach_id for s in sessions if s.enrolment.coach_id} | set(old)
    off = invitations_off(coaches)
    rows = []
    for session in sessions:
        sequence = session_sequence(session)
        method = InvitationMethod.CANCEL if session_called_off(session) else InvitationMethod.REQUEST
        recipients = []
        coach = session.enrolment.coach
        if coach is not None and coach.pk not in off and coach.is_active and coach.email:
            recipients.append((coach.email, _person(coach), coach.pk, method))
        team = session.enrolment.team
        if team.contact_email:
            recipients.append((team.contact_email, team.contact_name, None, method))
        for pk in old_coaches.get(session.pk, ()):
            user = old.get(pk)
            if user is not None and pk not in off and user.is_active and user.email:
                recipients.append((user.email, _person(user), pk, InvitationMethod.CANCEL))
        seen = set()
        for email, name, user_id, kind in recipients:
            if email.lower() in seen:
                continue
            seen.add(email.lower())
            rows.append(
                {
                    "session": session.pk,
                    "email": email,
                    "sequence": sequence,
                    "recipient": user_id,
                    "name": name[:200],
                    "method": kind.value,
                }
            )
    claimed = insert_claims(Invitation, rows, unique=_UNIQUE)
    for pk in claimed:
        send_after_commit(INVITATIONS, pk)
    return claimed


# --- The email --------------------------------------------------------------------------------


class InvitationEmail(EmailMultiAlternatives):
    """An iMIP email as Outlook wants it: multipart/alternative of text/plain, text/html and
    text/calendar; method=...; charset=utf-8 (inline), in a multipart/mixed with the same calendar
    as an invite.ics attachment for the clients that read only attachments."""

    def __init__(self, *args, method: str, ics: bytes, **kwargs):
        super().__init__(*args, **kwargs)
        self.method = method
        self.ics = ics.decode()
        self.extra_headers.setdefault("Content-Class", CONTENT_CLASS)
        self.attach_alternative(self.ics, "text/calendar")
        self.attach("invite.ics", ics, "application/ics")

    def _create_mime_attachment(self, content, mimetype):
        if mimetype == "text/calendar":
            part = SafeMIMEText(content, "calendar", self.encoding or settings.DEFAULT_CHARSET)
            part.set_param("method", self.method)
            return part
        return super()._create_mime_attachment(content, mimetype)


def organizer() -> tuple[str, str]:
    """The service's own address (DEFAULT_FROM_EMAIL) as the events' ORGANIZER: the app sends the
    updates, so a client that checks an update comes from the organizer accepts them, and the
    coach is an attendee, not the organizer of a meeting their own calendar never sent."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return address, name or "QMS Coach"


def invitation_message(invitation: Invitation, *, now: dt.datetime | None = None) -> InvitationEmail | str:
    """The invitation's email, or why it will not be sent (marked failed with it): a later change of
    the session has its own invitation; the person turned invitations off."""
    session = invitation.session
    current = session_sequence(session)
    if current != invitation.sequence:
        return f"Superseded: the session has changed since (sequence {current}); that change has its own invitation."
    user = invitation.recipient
    if user is not None and (not user.is_active or invitations_off({user.pk})):
        return f"{_person(user)} has turned calendar invitations off." if user.is_active else "Inactive account."
    now = now or timezone.now()
    ics = build_invitation(
        session=session,
        method=invitation.method,
        organizer=organizer(),
        attendee=(invitation.email, invitation.name),
        now=now,
    )
    team = session.enrolment.team
    context = {
        "invitation": invitation,
        "cancel": invitation.method == InvitationMethod.CANCEL,
        # An update of an entry this address already has (an earlier invitation for the session sent to it).
        "updated": Invitation.objects.filter(
            session=session, email=invitation.email, sequence__lt=invitation.sequence, status=SendStatus.SENT
        ).exists(),
        "session": session,
        "team": team,
        "site": team.site,
        "start": timezone.localtime(session.agreed_start),
        "name": invitation.name,
        "is_coach": user is not None,
        "settings_url": site_url("coaching:invitations"),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string("coaching/email/invitation_subject.txt", context).split())
        text = render_to_string("coaching/email/invitation.txt", context)
        html = render_to_string("coaching/email/invitation.html", context)
    message = InvitationEmail(
        subject, text, settings.DEFAULT_FROM_EMAIL, [invitation.email], method=invitation.method, ics=ics
    )
    message.attach_alternative(html, "text/html")
    # text/html before text/calendar: clients show the last alternative they understand.
    message.alternatives.insert(0, message.alternatives.pop())
    return message


INVITATIONS = register_outbox(
    Outbox(
        name="invitation",
        model=Invitation,
        load=invitation_for_sending,
        message=lambda invitation, today: invitation_message(invitation),
    )
)


def invitation_retry(*, invitation: Invitation) -> bool:
    """A manager asks for a failed invitation to be sent again. False if it is no longer failed."""
    return retry_failed(INVITATIONS, invitation.pk)


def invitations_requeue(*, now: dt.datetime) -> list[int]:
    """The daily sweep's part for invitations: those left pending or sending by a lost task."""
    return requeue_stale(INVITATIONS, now=now)


# --- The person's own choice ------------------------------------------------------------------


@transaction.atomic
def invitation_preference_set(*, user, send_invitations: bool) -> InvitationPreference:
    """Turns calendar invitations on or off for the person."""
    preference, _ = InvitationPreference.objects.update_or_create(
        user=user, defaults={"send_invitations": send_invitations}
    )
    return preference


__all__ = [
    "INVITATIONS",
    "InvitationEmail",
    "invitation_message",
    "invitation_preference_set",
    "invitation_retry",
    "invitations_claim",
    "invitations_note",
    "invitations_requeue",
    "invitations_suppressed",
    "organizer",
]
