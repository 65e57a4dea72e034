"""Agreeing the coaching slots at session 1, on a meeting the team already holds.

The page works without JavaScript. It shows, for the chosen meeting, the date and time each later
session would get, each with a ticked box. Unticking dates and pressing Recalculate takes the next
meeting date instead; Confirm saves. If what would be saved differs from what the page showed
(a date unticked, another meeting chosen, a session recorded meanwhile), Confirm shows the new
dates first and saves nothing, so a coach never agrees times they have not seen. The coach says
which day the slots were agreed with the team (today unless they give an earlier one, from
session 1's held date on): a wrong day is said beside it, every other choice kept.

The page carries the version of the agreement it was opened on (0: none yet), through Recalculate
and adding a meeting. If someone else confirmed (or an admin edited the agreement) meanwhile,
Confirm is refused with nothing saved and the page shows what is agreed now beside this person's
choice, which it keeps; it then carries the version saved now, so confirming again replaces it knowingly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from core.concurrency import SavedValue, StaleEdit
from core.views import submit
from programmes.access import get_enrolment_for_user
from programmes.forms import TeamMeetingForm
from programmes.models import Enrolment, TeamMeeting
from programmes.services.scheduling import team_meeting_create

from ..forms import AgreementForm, DateListField, agreement_version_field
from ..models import NO_AGREEMENT_VERSION, CoachingAgreement, SlotsState
from ..recurrence import SLOT_WINDOW_DAYS, ProposedSlot
from ..selectors import agreement_of, enrolment_slots, proposal_clashes
from ..services import agreement_confirm, agreement_propose
from ..services.agreement import CLASH_OVERRIDE_LABEL

MEETING_PREFIX = "new"
AGREEMENT_RELATED = ("team__site", "cohort", "coach", "agreement__meeting", "agreement__agreed_by")


@dataclass
class Choice:
    """What the coach has chosen so far: the meeting and the dates that will not work, the version
    of the agreement the page was opened on (NO_AGREEMENT_VERSION: none yet), and the day they say
    the slots were agreed, as typed ("": today); whether they keep clashing slots, and why, as typed."""

    meeting: TeamMeeting | None
    unavailable: list[dt.date] = field(default_factory=list)
    version: int = NO_AGREEMENT_VERSION
    agreed_on: str = ""
    clash_override: bool = False
    clash_override_reason: str = ""


def _offered(proposals: list[ProposedSlot]) -> set[dt.date]:
    """Every date the page shows with a box: the proposed ones and the unticked ones passed over."""
    dates = {p.start.date() for p in proposals if p.start}
    for p in proposals:
        dates.update(p.skipped)
    return dates


def _load(request: HttpRequest, pk: int) -> tuple[Enrolment, list[TeamMeeting]]:
    enrolment = get_enrolment_for_user(
        request, pk, write=True, queryset=Enrolment.objects.select_related(*AGREEMENT_RELATED)
    )
    return enrolment, list(enrolment.team.meetings.order_by("weekday", "start_time"))


def _first_choice(request: HttpRequest, enrolment: Enrolment, meetings: list[TeamMeeting]) -> Choice:
    """From the address (after adding a meeting), else the agreement already made, else the first meeting."""
    by_pk = {m.pk: m for m in meetings}
    existing = agreement_of(enrolment)
    meeting = existing.meeting if existing and existing.meeting_id in by_pk else (meetings[0] if meetings else None)
    unavailable = [dt.date.fromisoformat(d) for d in existing.skipped_dates] if existing else []
    if "meeting" in request.GET:
        try:
            meeting = by_pk.get(int(request.GET["meeting"]), meeting)
            unavailable = DateListField().clean(request.GET.getlist("unavailable"))
        except (ValueError, ValidationError):
            pass  # a damaged address: show the defaults
    return Choice(meeting=meeting, unavailable=unavailable, version=_opened_version(request.GET, existing))


def _version_of(agreement: CoachingAgreement | None) -> int:
    return agreement.version if agreement is not None else NO_AGREEMENT_VERSION


def _opened_version(data, existing: CoachingAgreement | None) -> int:
    """The version carried by the page that sent this request (adding a meeting carries it through
    the address), else the one saved now: the page is opened afresh."""
    if "version" in data:
        try:
            return agreement_version_field().clean(data["version"])
        except ValidationError:
            pass  # damaged: the page shows what is saved now, so it carries that version
    return _version_of(existing)


def _when(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%a %-d %b %Y, %H:%M}"


def _dates(days: Sequence[dt.date]) -> str:
    return ", ".join(f"{day:%a %-d %b %Y}" for day in sorted(days)) or "None"


def _meeting(meeting: TeamMeeting) -> str:
    return f"{meeting.name}: {meeting.get_weekday_display()} {meeting.start_time:%H:%M}"


def _typed_day(typed: str) -> str:
    try:
        return f"{dt.date.fromisoformat(typed):%a %-d %b %Y}"
    except ValueError:
        return "Today"


def _saved_meanwhile(latest: CoachingAgreement | None, choice: Choice, user) -> list[SavedValue]:
    """The agreement saved by someone else meanwhile beside what this person chose, for
    core/_saved_meanwhile.html."""
    if latest is None:  # agreed, then deleted in the admin meanwhile
        return [SavedValue("Meeting", "No agreement", _meeting(choice.meeting))]
    return [
        SavedValue("Meeting", _meeting(latest.meeting), _meeting(choice.meeting)),
        SavedValue(
            "Dates not available",
            _dates([dt.date.fromisoformat(d) for d in latest.skipped_dates]),
            _dates(choice.unavailable),
        ),
        SavedValue(
            "Agreed by",
            latest.agreed_by.get_full_name() or latest.agreed_by.get_username(),
            user.get_full_name() or user.get_username(),
        ),
        SavedValue("Agreed with the team on", f"{latest.agreed_on:%a %-d %b %Y}", _typed_day(choice.agreed_on)),
        SavedValue("Recorded", _when(latest.agreed_at), "When you confirm"),
    ]


def _render(
    request: HttpRequest,
    enrolment: Enrolment,
    meetings: list[TeamMeeting],
    choice: Choice,
    *,
    errors: Sequence[str] = (),
    notice: str = "",
    meeting_form: TeamMeetingForm | None = None,
    meanwhile: list[SavedValue] | None = None,
    agreement: CoachingAgreement | None = None,
    agreed_on_error: str = "",
    clash_error: str = "",
) -> HttpResponse:
    """meanwhile: after a refused stale confirm, what is agreed now beside the choice; agreement:
    then the agreement read again (else the one loaded with the enrolment); agreed_on_error: what
    is wrong with the day the slots were agreed, shown beside it; clash_error: what is missing to
    keep clashing slots, shown beside the override."""
    today = timezone.localdate()
    proposals = []
    if choice.meeting is not None:
        proposals = agreement_propose(
            enrolment=enrolment, meeting=choice.meeting, unavailable=choice.unavailable, not_before=today
        )
    sessions = {s.number: s for s in enrolment.sessions.select_related("plan")}
    clashes = {}
    if proposals:
        clashes = proposal_clashes(enrolment=enrolment, meeting=choice.meeting, proposals=proposals, sessions=sessions)
    unavailable = set(choice.unavailable)
    rows = [
        {
            "proposal": p,
            "session": sessions[p.number],
            "skipped": [d for d in p.skipped if d in unavailable],
            "clashes": clashes.get(p.number, []),
        }
        for p in proposals
    ]
    session_1 = sessions.get(1)
    held_on = session_1.held_on if session_1 is not None else None
    context = {
        "enrolment": enrolment,
        "team": enrolment.team,
        "meetings": meetings,
        "choice": choice,
        "rows": rows,
        "offered": sorted(_offered(proposals)),
        "missing": [p.number for p in proposals if p.start is None],
        "errors": list(errors),
        "notice": notice,
        "agreement": agreement if meanwhile is not None else agreement_of(enrolment),
        "meanwhile": meanwhile,
        "session_1": session_1,
        "finished": enrolment.is_finished,
        "window_weeks": SLOT_WINDOW_DAYS // 7,
        "meeting_form": meeting_form or TeamMeetingForm(prefix=MEETING_PREFIX),
        "today": today,
        "cohort_ends": enrolment.cohort.target_end_date,
        "after_end": [p.number for p in proposals if p.after_end],
        "agreed_on": choice.agreed_on or today.isoformat(),
        "agreed_on_error": agreed_on_error,
        "clashes": sorted(clashes),
        "clash_error": clash_error,
        "clash_override_label": CLASH_OVERRIDE_LABEL,
        "clash_buffer_minutes": settings.QMS_CLASH_BUFFER_MINUTES,
        # An earlier day may be given once session 1 is held, back to the day it was held.
        "agreed_on_min": min(held_on, today) if held_on else today,
    }
    return render(request, "coaching/agreement.html", context)


# What the confirmation says of the slots state it leaves (coaching.models.slots_state).
SLOTS_MESSAGES = {
    SlotsState.AGREED_AT_SESSION_1: "Counted as agreed at session 1.",
    SlotsState.NOT_YET: "Session 1 is not recorded as held yet: this counts as agreed at session 1 if it is held "
    "today or later.",
    SlotsState.AGREED_LATER: "Agreed after the day of session 1, so not counted as agreed at session 1.",
}


def _slots_message(enrolment: Enrolment) -> str:
    return SLOTS_MESSAGES.get(enrolment_slots(enrolment).state, "")


@login_required
def agreement(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment, meetings = _load(request, pk)
    if request.method != "POST":
        return _render(request, enrolment, meetings, _first_choice(request, enrolment, meetings))

    session_1 = enrolment.sessions.filter(number=1).only("held_on").first()
    form = AgreementForm(
        request.POST,
        meetings=meetings,
        today=timezone.localdate(),
        session_1_held_on=session_1.held_on if session_1 is not None else None,
    )
    typed_day = request.POST.get("agreed_on", "")[:20]
    typed_reason = request.POST.get("clash_override_reason", "")
    kept_errors = {"agreed_on", "clash_override_reason"}  # beside their fields, every other choice kept
    if not form.is_valid() and set(form.errors) - kept_errors:
        # Once each: a damaged version is said both beside its hidden field and at the top.
        errors = list(dict.fromkeys(e for errs in form.errors.values() for e in errs))
        # The page goes back to what is saved now, so it carries the version saved now.
        choice = _first_choice(request, enrolment, meetings)
        choice.agreed_on = typed_day
        choice.clash_override_reason = typed_reason
        return _render(request, enrolment, meetings, choice, errors=errors)

    choice = Choice(
        meeting=form.cleaned_data["meeting"],
        unavailable=form.unavailable_dates(),
        version=form.cleaned_data["version"],
        agreed_on=typed_day,
        clash_override=form.cleaned_data["clash_override"],
        clash_override_reason=typed_reason,
    )
    if form.errors:  # only the day or the reason is wrong: every other choice is kept
        day_error = form.errors.get("agreed_on", [""])[0]
        clash_error = form.errors.get("clash_override_reason", [""])[0]
        problems = [p for p in (day_error, clash_error) if p]
        return _render(
            request,
            enrolment,
            meetings,
            choice,
            errors=problems,
            agreed_on_error=day_error,
            clash_error=clash_error,
        )
    proposals = agreement_propose(
        enrolment=enrolment, meeting=choice.meeting, unavailable=choice.unavailable, not_before=timezone.localdate()
    )
    as_shown = (
        not form.meeting_changed()
        and set(choice.unavailable) == set(form.cleaned_data["unavailable"])
        and _offered(proposals) == set(form.cleaned_data["shown"])
    )
    if not form.wants_confirm:
        notice = "The dates below are worked out again from your choices." if not as_shown else ""
        return _render(request, enrolment, meetings, choice, notice=notice)
    if not as_shown:
        return _render(
            request,
            enrolment,
            meetings,
            choice,
            notice="Nothing is saved yet: the dates changed with your choices. Check them below, then press "
            "Confirm these times again.",
        )
    try:
        agreed = agreement_confirm(
            enrolment=enrolment,
            meeting=choice.meeting,
            unavailable=choice.unavailable,
            user=request.user,
            version=choice.version,
            agreed_on=form.cleaned_data["agreed_on"],
            clash_override=choice.clash_override,
            clash_override_reason=form.cleaned_data["clash_override_reason"],
        )
    except StaleEdit as exc:
        latest = CoachingAgreement.objects.select_related("meeting", "agreed_by").filter(enrolment=enrolment).first()
        meanwhile = _saved_meanwhile(latest, choice, request.user)
        choice.version = _version_of(latest)  # confirming again replaces it, knowingly
        return _render(request, enrolment, meetings, choice, errors=exc.messages, meanwhile=meanwhile, agreement=latest)
    except ValidationError as exc:
        by_field = exc.message_dict if hasattr(exc, "error_dict") else {}
        day_error = by_field.get("agreed_on", [""])[0]
        clash_error = [*by_field.get("clash_override", []), *by_field.get("clash_override_reason", [])]
        return _render(
            request,
            enrolment,
            meetings,
            choice,
            errors=exc.messages,
            agreed_on_error=day_error,
            clash_error=clash_error[0] if clash_error else "",
        )
    messages.success(
        request,
        f"Coaching slots agreed for {len(proposals)} sessions on {choice.meeting.name}. {_slots_message(enrolment)}"
        + (" The clashes are overridden, with your reason." if agreed.clash_override_reason else ""),
    )
    return redirect("programmes:enrolment", enrolment.pk)


@login_required
@require_POST
def agreement_meeting(request: HttpRequest, pk: int) -> HttpResponse:
    """Adds a meeting the team already holds, there and then, and comes back to the agreement with it chosen."""
    enrolment, meetings = _load(request, pk)
    carried = DateListField(required=False)
    try:
        unavailable = carried.clean(request.POST.getlist("unavailable"))
    except ValidationError:
        unavailable = []
    version = _opened_version(request.POST, agreement_of(enrolment))
    form = TeamMeetingForm(request.POST, prefix=MEETING_PREFIX)
    done = submit(request, form, lambda data: team_meeting_create(team=enrolment.team, **data))
    if done.saved:
        meeting = done.result
        messages.success(request, f"Meeting {meeting.name} added to {enrolment.team.name}.")
        query = urlencode(
            {"meeting": meeting.pk, "unavailable": [d.isoformat() for d in unavailable], "version": version},
            doseq=True,
        )
        return redirect(f"{reverse('coaching:agreement', args=[enrolment.pk])}?{query}#dates")
    choice = _first_choice(request, enrolment, meetings)
    choice.unavailable = unavailable
    choice.version = version
    return _render(request, enrolment, meetings, choice, meeting_form=form)
