"""The progress dashboard's filters and sort, read from the query string."""

from __future__ import annotations

from django import forms
from django.http import QueryDict

from programmes.models import Cohort, EnrolmentStatus, Site

from .selectors import OVERDUE, SORTS

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
        params.update(changes)
        query = QueryDict(mutable=True)
        for key, value in params.items():
            if value not in (None, ""):
                query[key] = str(value)
        return query.urlencode()

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
