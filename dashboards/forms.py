"""The progress dashboard's filters and sort, and the week page's choice of coach, read from the query string."""

from __future__ import annotations

from django import forms
from django.http import QueryDict

from core.roles import Role
from programmes.forms import PersonChoiceField
from programmes.models import Cohort, EnrolmentStatus, Site
from programmes.selectors import users_in

from .selectors import OVERDUE, SORTS


def query_string(params: dict) -> str:
    """The query string of the parameters that have a value (None and "" are left out)."""
    query = QueryDict(mutable=True)
    for key, value in params.items():
        if value not in (None, ""):
            query[key] = str(value)
    return query.urlencode()


STATUS_CHOICES = [("", "Any status"), *EnrolmentStatus.choices, (OVERDUE, "Overdue (next session overdue)")]
SORT_CHOICES = [("", "Needing attention first")] + [
    (f"{prefix}{key}", f"{label}{suffix}")
    for key, label in SORTS.items()
    for prefix, suffix in (("", ""), ("-", " (descending)"))
]

_SELECT = forms.Select(attrs={"class": "form-select"})


class ProgressFilterForm(forms.Form):
    """GET filters. A value that is not one of the choices is an error on its field, and the
    dashboard ignores that filter (and says so) rather than failing."""

    site = forms.TypedChoiceField(label="Site", required=False, coerce=int, empty_value=None, widget=_SELECT)
    cohort = forms.TypedChoiceField(label="Cohort", required=False, coerce=int, empty_value=None, widget=_SELECT)
    status = forms.ChoiceField(label="Status", required=False, choices=STATUS_CHOICES, widget=_SELECT)
    sort = forms.ChoiceField(label="Sort by", required=False, choices=SORT_CHOICES, widget=_SELECT)

    def __init__(self, data, *, sites: list[Site], cohorts: list[Cohort]):
        super().__init__(data)
        self.fields["site"].choices = [("", "All sites")] + [(s.pk, f"{s.code} – {s.name}") for s in sites]
        self.fields["cohort"].choices = [("", "All cohorts")] + [(c.pk, c.name) for c in cohorts]

    def filters(self) -> dict:
        """The valid filters: {site, cohort, status, sort}, each None or "" when not given or not valid."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {
            "site_id": cleaned.get("site"),
            "cohort_id": cleaned.get("cohort"),
            "status": cleaned.get("status") or None,
            "sort": cleaned.get("sort") or "",
        }

    def query(self, **changes) -> str:
        """The query string of the valid filters, with changes (a value of "" drops the key)."""
        values = self.filters()
        params = {
            "site": values["site_id"],
            "cohort": values["cohort_id"],
            "status": values["status"],
            "sort": values["sort"],
        }
        return query_string(params | changes)

    def sort_columns(self) -> dict[str, dict]:
        """Per sortable column: the link that sorts by it (ascending, or descending when it is the
        ascending sort now) and its aria-sort value."""
        sort = self.filters()["sort"]
        columns = {}
        for key, label in SORTS.items():
            current = sort.removeprefix("-") == key
            descending = sort.startswith("-")
            columns[key] = {
                "label": label,
                "query": self.query(sort=f"-{key}" if current and not descending else key),
                "aria_sort": ("descending" if descending else "ascending") if current else None,
            }
        return columns


class WeekCoachForm(forms.Form):
    """A manager's choice of whose week to see (?coach=<id>): one of the coaches, or empty for their
    own. An id that is not a coach's is an error on the field."""

    coach = PersonChoiceField(
        label="Coach", queryset=users_in(Role.COACH), required=False, empty_label="My own week", widget=_SELECT
    )

    def full_clean(self) -> None:
        super().full_clean()
        if "coach" in self.errors:  # the page says why beside the field (#coach-error)
            attrs = {"class": "form-select is-invalid", "aria-invalid": "true", "aria-describedby": "coach-error"}
            self.fields["coach"].widget.attrs.update(attrs)


class AuditFilterForm(forms.Form):
    """The audit page's filters (GET): who, which team, from and to which London day (inclusive).
    A value that is not one of the choices, or a day that is not a date, is an error on its field."""

    person = forms.TypedChoiceField(label="Person", required=False, coerce=int, empty_value=None, widget=_SELECT)
    team = forms.TypedChoiceField(label="Team", required=False, coerce=int, empty_value=None, widget=_SELECT)
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data, *, people, teams):
        super().__init__(data)
        person_name = PersonChoiceField.label_from_instance
        self.fields["person"].choices = [("", "Anyone")] + [(u.pk, person_name(None, u)) for u in people]
        self.fields["team"].choices = [("", "All teams")] + [(t.pk, str(t)) for t in teams]
        for field in self.fields.values():
            if not isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("class", "form-control")

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:  # the page says why beside the field (#id_<name>-error)
            if name in self.fields:
                attrs = {"aria-invalid": "true", "aria-describedby": f"id_{name}-error"}
                widget = self.fields[name].widget
                widget.attrs.update(attrs, **{"class": f"{widget.attrs.get('class', '')} is-invalid".strip()})

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The last day must be on or after the first.")
        return cleaned

    def query(self, **changes) -> str:
        """The query string of the filters as given (valid), with changes (None drops the key)."""
        params = {name: self.data.get(name) for name in self.fields}
        return query_string(params | changes)
