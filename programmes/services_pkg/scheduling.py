"""Writes for the programme: each function is one transaction.

Errors a person can fix are raised as django.core.exceptions.ValidationError, with messages in
their words, and leave the database as it was.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import (
    Cohort,
    Enrolment,
    EnrolmentStatus,
    ProgrammeTemplate,
    Session,
    SessionChange,
    Team,
)

STALE_MESSAGE = (
    "Someone else saved this session while you were editing it. "
    "Your changes have not been saved; the page now shows the latest version."
)


class StaleEdit(ValidationError):
    """The form was opened on an older version of the row than the one now saved."""


def _claim_version(model, pk: int, version: int) -> None:
    """Bumps the row's version if it is still the one the form was opened on, else raises StaleEdit.

    A conditional UPDATE: of two people saving forms opened on the same version, exactly one wins.
    """
    updated = model.objects.filter(pk=pk, version=version).update(version=F("version") + 1)
    if not updated:
        raise StaleEdit(STALE_MESSAGE, code="stale")


def sessions_for_enrolment_create(*, enrolment: Enrolment) -> list[Session]:
    """The enrolment's sessions from its cohort's template: due date = session 1 + week offset."""
    plans = enrolment.cohort.template.plans.order_by("number")
    return Session.objects.bulk_create(
        Session(
            enrolment=enrolment,
            plan=plan,
            number=plan.number,
            due_date=enrolment.session1_date + dt.timedelta(weeks=plan.week_offset),
        )
        for plan in plans
    )


@transaction.atomic
def cohort_create(
    *, name: str, template: ProgrammeTemplate, owner, start_date: dt.date, target_end_date: dt.date
) -> Cohort:
    if not template.is_published:
        raise ValidationError("A cohort can only follow a published programme version.", code="draft_template")
    if target_end_date < start_date:
        raise ValidationError("The target end date must be on or after the start date.", code="dates")
    return Cohort.objects.create(
        name=name, template=template, owner=owner, start_date=start_date, target_end_date=target_end_date
    )


@transaction.atomic
def enrolment_create(*, cohort: Cohort, team: Team, coach, session1_date: dt.date) -> Enrolment:
    """Enrols a team and makes its sessions from the cohort's programme version."""
    if Enrolment.objects.filter(cohort=cohort, team=team).exists():
        raise ValidationError(f"{team.name} is already enrolled in {cohort.name}.", code="duplicate")
    enrolment = Enrolment.objects.create(
        cohort=cohort, team=team, coach=coach, session1_date=session1_date, status=EnrolmentStatus.PLANNED
    )
    sessions_for_enrolment_create(enrolment=enrolment)
    return enrolment


@transaction.atomic
def enrolment_update(*, enrolment: Enrolment, coach, session1_date: dt.date) -> Enrolment:
    """Changes the coach or session 1's date; moving session 1 moves every due date not yet held."""
    if session1_date != enrolment.session1_date:
        if enrolment.sessions.filter(held_on__isnull=False).exists():
            raise ValidationError("Session 1's date cannot change once a session has been held.", code="held_sessions")
        shift = session1_date - enrolment.session1_date
        for session in enrolment.sessions.select_for_update():
            session.due_date += shift
            session.version += 1
            session.save(update_fields=["due_date", "version", "updated_at"])
    enrolment.coach = coach
    enrolment.session1_date = session1_date
    enrolment.save(update_fields=["coach", "session1_date", "updated_at"])
    return enrolment


@transaction.atomic
def enrolment_set_status(*, enrolment: Enrolment, status: EnrolmentStatus) -> Enrolment:
    enrolment.status = status
    enrolment.save(update_fields=["status", "updated_at"])
    return enrolment


def _check_held_on(session: Session, held_on: dt.date, today: dt.date) -> None:
    if held_on > today:
        raise ValidationError({"held_on": "A session cannot be recorded as held on a future date."})
    start = session.enrolment.session1_date
    if held_on < start:
        raise ValidationError(
            {
                "held_on": f"That is before this team's programme started ({start:%-d %B %Y}). "
                "If session 1 really happened earlier, change the enrolment's session 1 date first."
            }
        )


@transaction.atomic
def session_record_held(
    *, session: Session, version: int, held_on: dt.date, attendees: int, notes: str, today: dt.date
) -> Session:
    """Records a session as held. Recording session 1 also starts the enrolment and settles
    whether its coaching slots were agreed at session 1."""
    _check_held_on(session, held_on, today)
    _claim_version(Session, session.pk, version)
    Session.objects.filter(pk=session.pk).update(
        held_on=held_on, attendees=attendees, notes=notes, cancelled=False, cancelled_reason="",
        updated_at=timezone.now(),
    )  # fmt: skip
    session.refresh_from_db()
    enrolment = session.enrolment
    if enrolment.status == EnrolmentStatus.PLANNED:
        enrolment_set_status(enrolment=enrolment, status=EnrolmentStatus.ACTIVE)
    if session.number == 1:
        from coaching.services import agreement_refresh_session_1_flag

        agreement_refresh_session_1_flag(enrolment=enrolment)
    return session


@transaction.atomic
def session_cancel(*, session: Session, version: int, reason: str) -> Session:
    if not reason.strip():
        raise ValidationError({"reason": "Say why the session is cancelled."})
    if session.held_on is not None:
        raise ValidationError("A session that has been held cannot be cancelled.", code="held")
    _claim_version(Session, session.pk, version)
    Session.objects.filter(pk=session.pk).update(
        cancelled=True, cancelled_reason=reason.strip(), updated_at=timezone.now()
    )
    session.refresh_from_db()
    return session


@transaction.atomic
def session_move(*, session: Session, version: int, to_start: dt.datetime, reason: str, user) -> SessionChange:
    """Moves a session's agreed time and keeps the move, so slippage can be counted."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the session is moving."})
    if session.held_on is not None or session.cancelled:
        raise ValidationError("Only a session that is still to happen can be moved.", code="closed")
    if session.agreed_start == to_start:
        raise ValidationError({"to_start": "That is the time already agreed."})
    _claim_version(Session, session.pk, version)
    change = SessionChange.objects.create(
        session=session, from_start=session.agreed_start, to_start=to_start, reason=reason.strip(), changed_by=user
    )
    Session.objects.filter(pk=session.pk).update(agreed_start=to_start, updated_at=timezone.now())
    session.refresh_from_db()
    return change
