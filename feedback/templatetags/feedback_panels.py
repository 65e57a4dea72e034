"""The feedback app's panels on the programmes pages: programmes knows nothing of feedback (it is the
lower app), so its templates ask these tags.

{% load feedback_panels %}
{% session_feedback session %}             the session page: the feedback link, QR code and figures
{% session_feedback_step session primary=True %}  the session page: "Show the feedback link / QR poster"
{% cohort_feedback cycle.cohort %}         a PDSA cycle's Study: the linked cohort's figures
{% version_content_changes template %}     a version's page: its content changes
{% content_change_count row.template %}    the versions page: each version's number of changes
{% team_huddle_board team page.rows %}     the team page: the link to the huddle board sheet
"""

from __future__ import annotations

from django import template

from programmes.models import Cohort, ImprovementBoard, ProgrammeTemplate, Session, Team

from ..selectors import (
    can_manage_feedback,
    can_manage_huddle_board,
    content_change_counts,
    content_changes,
    feedback_report,
    session_feedback_panel,
)

register = template.Library()


def _page(context, **values) -> dict:
    """A panel's context: what it shows, and what it needs of the page around it (the request for
    its buttons' next= and the user; the role flags). Django adds the CSRF token itself."""
    return {"request": context.get("request"), "role": context.get("role"), **values}


@register.inclusion_tag("feedback/_session_feedback.html", takes_context=True)
def session_feedback(context, session: Session) -> dict:
    """The session's feedback link, QR code and figures. Reads session.enrolment (load it).

    One query for the session's coach or a manager; three for anyone else, whose figures come from
    their whole report (feedback.selectors.session_feedback_panel)."""
    return _page(context, panel=_session_panel(context, session))


def _session_panel(context, session: Session):
    """session_feedback_panel, once per session per page: the session page's next-step button and
    its feedback panel share it."""
    key = ("feedback.session_feedback_panel", session.pk)
    panel = context.render_context.get(key)
    if panel is None:
        panel = context.render_context[key] = session_feedback_panel(session=session, user=context["request"].user)
    return panel


@register.inclusion_tag("feedback/_session_feedback_step.html", takes_context=True)
def session_feedback_step(context, session: Session, primary: bool = True) -> dict:
    """After a session is held, its coach's (or a manager's) step to the feedback link: one press to
    the poster, which shows the link and its QR code, opening the link first when there is none yet.
    Nothing for others, before the session is held, when it was cancelled, or while its link is
    closed (the feedback panel offers to reopen it). primary: whether this is the page's next step
    (the session page passes False while a checklist is still to fill in).

    Reads session.enrolment (load it). No query of its own for a held session: it reads the page's
    feedback panel (session_feedback), and the panel then costs nothing more."""
    show = session.held_on is not None and not session.cancelled
    show = show and can_manage_feedback(context["request"].user, session)
    link = _session_panel(context, session).link if show else None
    if link is not None and not link.is_open:
        show = False
    return _page(context, session=session, show=show, has_open_link=link is not None, primary=primary)


@register.inclusion_tag("feedback/_cohort_feedback.html", takes_context=True)
def cohort_feedback(context, cohort: Cohort | None) -> dict:
    """What the cohort's attendees said, as this user may see it (the minimum-group rule applied as
    on every other page); nothing without a cohort or feedback. Two queries (the user's report),
    none without a cohort."""
    feedback = None
    if cohort is not None:
        feedback = feedback_report(user=context["request"].user).for_cohort(cohort.pk)
    return _page(context, cohort=cohort, feedback=feedback)


@register.inclusion_tag("feedback/_version_changes.html", takes_context=True)
def version_content_changes(context, template: ProgrammeTemplate) -> dict:
    """The content changes made in this version, newest first, each with how many feedback
    responses prompted it. Two queries: the changes, and the responses of all of them."""
    return _page(context, changes=content_changes(template=template))


_COUNTS = "feedback.content_change_counts"


@register.simple_tag(takes_context=True)
def content_change_count(context, template: ProgrammeTemplate) -> int:
    """How many content changes the version has. The first use on a page counts every version's in
    one query and keeps them for the rest of the page's rendering, so a page of N versions costs one
    query, not N."""
    counts = context.render_context.get(_COUNTS)
    if counts is None:
        counts = context.render_context[_COUNTS] = content_change_counts()
    return counts.get(template.pk, 0)


@register.inclusion_tag("feedback/_team_huddle_board.html", takes_context=True)
def team_huddle_board(context, team: Team, rows) -> dict:
    """The team page's link to the printable huddle board sheet, for the team's coaches and managers;
    nothing for anyone else. rows: the page's enrolment rows (each with .enrolment), the ones this
    user may see: a coach sees only those they coach. No query."""
    coach_ids = [row.enrolment.coach_id for row in rows]
    show = can_manage_huddle_board(context["request"].user, coach_ids=coach_ids)
    physical = team.improvement_board == ImprovementBoard.PHYSICAL
    return _page(context, team=team, show=show, physical=physical)
