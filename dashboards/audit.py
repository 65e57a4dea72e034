"""The audit page's reads: who changed what and when, across the apps' history records
(django-simple-history), newest first. Reads across programmes, coaching, checklists and feedback,
hence here.

Feedback responses have no history, and a content change's history leaves out the responses it
links (no m2m_fields), so nothing here can tie an attendee's answer to anything.

A page of rows costs a bounded number of queries whatever its length: the count and the page's
keys (one UNION over the history tables), then for each kind of record on the page its records
(with the id of each one's previous record and whether the row still exists) and those previous
records, then one query per kind of related row the labels and changed values name.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import reduce

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import CharField, Exists, OuterRef, Q, Subquery, Value
from django.urls import reverse
from django.utils import timezone

from checklists.models import Checklist, Tool, ToolRating
from coaching.models import CoachingAgreement
from core.dates import LONDON
from feedback.models import ContentChange
from programmes.models import Cohort, Enrolment, ProgrammeTemplate, Session, Site, Team

PAGE_SIZE = 50
CSV_CHUNK = 2000  # rows built at a time for the export: a fixed number of queries per chunk
CHANGE_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
# Written by every save: noise beside the fields a person changed.
BOOKKEEPING = {"id", "version", "revision", "updated_at", "created_at"}
SYSTEM = "System"


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


# --- Which history, and what belongs to a team -----------------------------------------------


def _any_in(field: str, subqueries: list[models.QuerySet]) -> Q:
    return reduce(operator.or_, (Q(**{f"{field}__in": subquery}) for subquery in subqueries))


def _team_enrolments(team_id: int) -> list[models.QuerySet]:
    """The team's enrolments, those deleted since included (their history keeps the team)."""
    return [
        Enrolment.objects.filter(team_id=team_id).values("pk"),
        Enrolment.history.filter(team_id=team_id).values("id"),
    ]


def _team_sessions(team_id: int) -> list[models.QuerySet]:
    return [
        Session.objects.filter(enrolment__team_id=team_id).values("pk"),
        Session.history.filter(_any_in("enrolment_id", _team_enrolments(team_id))).values("id"),
    ]


def _team_checklists(team_id: int) -> list[models.QuerySet]:
    return [
        Checklist.objects.filter(session__enrolment__team_id=team_id).values("pk"),
        Checklist.history.filter(_any_in("session_id", _team_sessions(team_id))).values("id"),
    ]


@dataclass(frozen=True)
class Source:
    """One kind of record on the page: a model with HistoricalRecords."""

    key: str
    model: type[models.Model]
    name: str  # what a manager calls it
    team: Callable[[int], Q] | None  # the records of a team's rows; None: belongs to no team

    @property
    def history(self) -> type[models.Model]:
        return self.model.history.model


SOURCES = [
    Source("session", Session, "Session", lambda t: _any_in("id", _team_sessions(t))),
    Source("enrolment", Enrolment, "Enrolment", lambda t: _any_in("id", _team_enrolments(t))),
    Source(
        "agreement", CoachingAgreement, "Coaching agreement", lambda t: _any_in("enrolment_id", _team_enrolments(t))
    ),
    Source("checklist", Checklist, "Checklist", lambda t: _any_in("id", _team_checklists(t))),
    Source("rating", ToolRating, "Tool rating", lambda t: _any_in("checklist_id", _team_checklists(t))),
    Source("team", Team, "Team", lambda t: Q(id=t)),
    Source("version", ProgrammeTemplate, "Programme version", None),
    Source("content_change", ContentChange, "Content change", None),
]
SOURCE_BY_KEY = {source.key: source for source in SOURCES}


@dataclass(frozen=True)
class AuditFilters:
    person_id: int | None = None
    team_id: int | None = None
    date_from: dt.date | None = None  # London days, inclusive
    date_to: dt.date | None = None


def _london_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=LONDON)


def _filtered(source: Source, filters: AuditFilters) -> models.QuerySet | None:
    rows = source.history.objects.all()
    if filters.team_id is not None:
        if source.team is None:
            return None
        rows = rows.filter(source.team(filters.team_id))
    if filters.person_id is not None:
        rows = rows.filter(history_user_id=filters.person_id)
    if filters.date_from is not None:
        rows = rows.filter(history_date__gte=_london_midnight(filters.date_from))
    if filters.date_to is not None and filters.date_to < dt.date.max:
        rows = rows.filter(history_date__lt=_london_midnight(filters.date_to + dt.timedelta(days=1)))
    return rows


def audit_keys(filters: AuditFilters) -> models.QuerySet:
    """(source key, history id, history date) of every record the filters keep, newest first: one
    UNION ALL over the history tables, for a paginator (its count and its slices)."""
    parts = []
    for source in SOURCES:
        rows = _filtered(source, filters)
        if rows is not None:
            parts.append(
                rows.order_by()  # the history's own ordering is not allowed inside a UNION
                .annotate(source=Value(source.key, output_field=CharField()))
                .values_list("source", "history_id", "history_date")
            )
    first, *rest = parts
    keys = first.union(*rest, all=True) if rest else first
    return keys.order_by("-history_date", "-history_id")


# --- Rows --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str
    old_csv: str
    new_csv: str


@dataclass(frozen=True)
class AuditRow:
    when: dt.datetime
    who: str
    what: str  # the kind of record
    label: str  # which one
    url: str | None  # its page, while it exists
    change: str  # created, changed or deleted
    fields: list[FieldChange]


class _NotRecorded:
    """The old value of a change whose earlier state has no history record (the row is older than
    its history)."""


NOT_RECORDED = _NotRecorded()


def _shown(field: models.Field | None, value, names: dict, *, iso: bool) -> str:
    if value is NOT_RECORDED:
        return "not recorded"
    if value is None or value == "":
        return "" if iso else "–"
    if field is not None and field.is_relation:
        return names.get((field.related_model, value), f"#{value}")
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value, LONDON)
        return local.isoformat(timespec="seconds") if iso else f"{local:%a %-d %b %Y, %H:%M}"
    if isinstance(value, dt.date):
        return value.isoformat() if iso else f"{value:%a %-d %b %Y}"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _field_values(record, previous) -> list[tuple[models.Field, object, object]]:
    """(model field, old, new) of each field the record changed, in the model's order; for a
    created row, each field it was given a value; none for a deleted one."""
    model = record.instance_type
    fields = [f for f in model._meta.concrete_fields if f.name not in BOOKKEEPING and f.editable]
    if record.history_type == "-":
        return []
    if previous is None:
        old = None if record.history_type == "+" else NOT_RECORDED
        values = [(f, old, getattr(record, f.attname)) for f in fields]
        return [(f, old, new) for f, old, new in values if new not in (None, "", [])]
    changed = set(record.diff_against(previous, excluded_fields=BOOKKEEPING).changed_fields)
    return [(f, getattr(previous, f.attname), getattr(record, f.attname)) for f in fields if f.name in changed]


def _related_names(wanted: dict[type[models.Model], set]) -> dict[tuple[type[models.Model], object], str]:
    """What each related row is called, one query per kind of row."""
    user_model = get_user_model()
    related = {Team: ("site",), Enrolment: ("team__site", "cohort")}
    names = {}
    for model, ids in wanted.items():
        ids.discard(None)
        if not ids:
            continue
        rows = model._default_manager.select_related(*related.get(model, ())).in_bulk(ids)
        for pk, row in rows.items():
            names[(model, pk)] = _person(row) if model is user_model else str(row)
    return names


@dataclass
class _Context:
    """The rows the labels name, read in one query per kind."""

    checklist_session: dict[int, int]
    sessions: dict[int, tuple[int, dt.date, int]]  # pk -> (number, due date, enrolment id)
    enrolments: dict[int, Enrolment]
    sites: dict[int, Site]
    tools: dict[int, Tool]

    def team(self, enrolment_id: int | None) -> str:
        enrolment = self.enrolments.get(enrolment_id)
        return str(enrolment.team) if enrolment else "a deleted enrolment"

    def session(self, session_id: int | None) -> str:
        if session_id not in self.sessions:
            return "a deleted session"
        number, due, enrolment_id = self.sessions[session_id]
        return f"session {number} due {due:%-d %b %Y}, {self.team(enrolment_id)}"


def _context(records: dict[str, list]) -> _Context:
    checklist_ids = {r.id for r in records.get("checklist", [])} | {r.checklist_id for r in records.get("rating", [])}
    checklist_session = dict(Checklist.objects.filter(pk__in=checklist_ids).values_list("pk", "session_id"))
    for r in records.get("checklist", []):
        checklist_session.setdefault(r.id, r.session_id)
    session_ids = {r.id for r in records.get("session", [])} | set(checklist_session.values())
    sessions = {
        pk: (number, due, enrolment_id)
        for pk, number, due, enrolment_id in Session.objects.filter(pk__in=session_ids).values_list(
            "pk", "number", "due_date", "enrolment_id"
        )
    }
    for r in records.get("session", []):
        sessions.setdefault(r.id, (r.number, r.due_date, r.enrolment_id))
    enrolment_ids = {r.id for r in records.get("enrolment", [])} | {
        r.enrolment_id for r in records.get("agreement", [])
    }
    enrolment_ids |= {enrolment_id for _, _, enrolment_id in sessions.values()}
    enrolments = Enrolment.objects.select_related("team__site", "cohort").in_bulk(enrolment_ids)
    site_ids = {r.site_id for r in records.get("team", [])}
    sites = Site.objects.in_bulk(site_ids) if site_ids else {}
    tool_ids = {r.tool_id for r in records.get("rating", [])}
    tools = Tool.objects.in_bulk(tool_ids) if tool_ids else {}
    return _Context(checklist_session, sessions, enrolments, sites, tools)


def _describe(key: str, r, context: _Context, names: dict) -> tuple[str, str | None]:
    """What the record is about, and the page of that row while it exists (r.live)."""
    url = None
    if key == "session":
        label, url = (
            f"Session {r.number} due {r.due_date:%-d %b %Y}, {context.team(r.enrolment_id)}",
            (reverse("programmes:session", args=[r.id])),
        )
    elif key == "enrolment":
        team = names.get((Team, r.team_id), "a deleted team")
        cohort = names.get((Cohort, r.cohort_id), "a deleted cohort")
        label, url = f"{team} in {cohort}", reverse("programmes:enrolment", args=[r.id])
    elif key == "agreement":
        label = f"Coaching slots of {context.team(r.enrolment_id)}"
        url = reverse("coaching:agreement", args=[r.enrolment_id])
    elif key == "checklist":
        label = f"Checklist for {context.session(r.session_id)}"
        url = reverse("checklists:checklist_history", args=[r.session_id])
    elif key == "rating":
        tool = context.tools.get(r.tool_id)
        session_id = context.checklist_session.get(r.checklist_id)
        label = f"{tool.name if tool else 'A retired tool'} on the checklist for {context.session(session_id)}"
        url = reverse("checklists:checklist_history", args=[session_id]) if session_id else None
    elif key == "team":
        site = context.sites.get(r.site_id)
        label, url = f"{r.name} ({site.code if site else '?'})", reverse("programmes:team", args=[r.id])
    elif key == "version":
        label, url = f"{r.name} v{r.version}", reverse("programmes:version_detail", args=[r.id])
    else:  # content_change
        kind = dict(ContentChange._meta.get_field("kind").flatchoices).get(r.kind, r.kind)
        label, url = f"{kind}: {r.section}", reverse("feedback:change_edit", args=[r.id])
    return label, (url if r.live else None)


def audit_rows(keys: list[tuple[str, int, dt.datetime]]) -> list[AuditRow]:
    """The rows of these keys (from audit_keys), in their order."""
    by_source: dict[str, list[int]] = defaultdict(list)
    for key, history_id, _ in keys:
        by_source[key].append(history_id)
    records: dict[str, list] = {}
    previous: dict[str, dict[int, object]] = {}
    for key, ids in by_source.items():
        history = SOURCE_BY_KEY[key].history
        model = SOURCE_BY_KEY[key].model
        earlier = history.objects.filter(id=OuterRef("id")).filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        records[key] = list(
            history.objects.filter(history_id__in=ids)
            .select_related("history_user")
            .annotate(
                previous_id=Subquery(earlier.order_by("-history_date", "-history_id").values("history_id")[:1]),
                live=Exists(model._default_manager.filter(pk=OuterRef("id"))),
            )
        )
        wanted = [r.previous_id for r in records[key] if r.previous_id is not None and r.history_type == "~"]
        previous[key] = history.objects.in_bulk(wanted, field_name="history_id") if wanted else {}
    context = _context(records)

    values: dict[tuple[str, int], list] = {}
    wanted_names: dict[type[models.Model], set] = defaultdict(set)
    for key, rows in records.items():
        for r in rows:
            changed = _field_values(r, previous[key].get(r.previous_id))
            values[(key, r.history_id)] = changed
            for field, old, new in changed:
                if field.is_relation:
                    wanted_names[field.related_model] |= {v for v in (old, new) if v is not NOT_RECORDED}
            if key == "enrolment":
                wanted_names[Cohort].add(r.cohort_id)
                wanted_names[Team].add(r.team_id)
    names = _related_names(wanted_names)

    by_id = {(key, r.history_id): r for key, rows in records.items() for r in rows}
    rows = []
    for key, history_id, _ in keys:
        r = by_id[(key, history_id)]
        label, url = _describe(key, r, context, names)
        fields = [
            FieldChange(
                str(field.verbose_name).capitalize(),
                _shown(field, old, names, iso=False),
                _shown(field, new, names, iso=False),
                _shown(field, old, names, iso=True),
                _shown(field, new, names, iso=True),
            )
            for field, old, new in values[(key, history_id)]
        ]
        who = _person(r.history_user) if r.history_user else SYSTEM
        rows.append(
            AuditRow(r.history_date, who, SOURCE_BY_KEY[key].name, label, url, CHANGE_TYPES[r.history_type], fields)
        )
    return rows


@dataclass(frozen=True)
class AuditPage:
    page: Page
    rows: list[AuditRow]


def audit_page(*, filters: AuditFilters, page: str | int | None) -> AuditPage:
    """One page of the audit, newest first."""
    paginated = Paginator(audit_keys(filters), PAGE_SIZE).get_page(page)
    return AuditPage(paginated, audit_rows(list(paginated.object_list)))


AUDIT_CSV_HEADER = ["when", "who", "what", "record", "change", "field", "old", "new"]


def audit_export_rows(*, filters: AuditFilters) -> Iterator[list[str]]:
    """Every row the filters keep, one line per changed field (one with empty field columns when
    none), built CSV_CHUNK records at a time as the response is written."""
    keys = audit_keys(filters)
    start = 0
    while True:
        chunk = list(keys[start : start + CSV_CHUNK])
        for row in audit_rows(chunk):
            when = timezone.localtime(row.when, LONDON).isoformat(timespec="seconds")
            head = [when, row.who, row.what, row.label, row.change]
            if not row.fields:
                yield [*head, "", "", ""]
            for change in row.fields:
                yield [*head, change.field, change.old_csv, change.new_csv]
        if len(chunk) < CSV_CHUNK:
            return
        start += CSV_CHUNK
