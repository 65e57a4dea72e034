"""Small helpers the views share: a posted form through its service, in one place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, QueryDict

from .concurrency import StaleEdit, refuse_stale


def posted(request: HttpRequest) -> QueryDict | None:
    """The data to bind a form to: the POST body on a POST, even an empty one (so that it is
    checked and its errors shown), and nothing on a GET. Never `request.POST or None`, which
    leaves a form posted empty unbound: nothing checked, nothing said."""
    return request.POST if request.method == "POST" else None


def _row_fields(formset: forms.BaseFormSet | None) -> dict[str, tuple[forms.Form, str | None]]:
    """Where a service's error named by the HTML name of a formset row's field ("form-2-week") or
    of a whole row ("form-2") goes: that row form, and that field (None: the top of the row)."""
    if formset is None:
        return {}
    places: dict[str, tuple[forms.Form, str | None]] = {}
    for row in formset.forms:
        places[row.prefix] = (row, None)
        for name in row.fields:
            places[row.add_prefix(name)] = (row, name)
    return places


def add_service_errors(form: forms.Form, error: ValidationError, *, formset: forms.BaseFormSet | None = None) -> None:
    """A service's ValidationError onto the form: each field's message beside its field when the
    form has that field (or, with a formset, beside the row field its HTML name names), anything
    else at the top of the form. Never the ValueError form.add_error() raises for a name the form
    does not have: a service may name a rule the form has no field for."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    rows = _row_fields(formset)
    for name, errors in error.error_dict.items():
        if name in form.fields:
            form.add_error(name, errors)
        elif name in rows:
            row, field = rows[name]
            row.add_error(field, errors)
        else:
            form.add_error(None, errors)


@dataclass
class Submitted:
    """What submit() did. Unless saved, the page shows the form again with its errors."""

    saved: bool = False
    result: Any = None  # what the service returned, once saved
    stale: bool = False  # refused: someone else saved meanwhile, and nothing was written
    # When stale, what is saved now as the page shows it: with latest=, refuse_stale()'s list of
    # SavedValue for core/_saved_meanwhile.html; with on_stale=, whatever on_stale returned.
    meanwhile: Any = None
    latest: models.Model | None = None  # when stale, with latest=: the row as saved now


def submit(
    request: HttpRequest,
    form: forms.Form,
    save: Callable[[dict], Any],
    *,
    formset: forms.BaseFormSet | None = None,
    latest: Callable[[], models.Model] | None = None,
    also: tuple[str, ...] = (),
    on_stale: Callable[[StaleEdit], Any] | None = None,
) -> Submitted:
    """On a POST, checks the form (and the formset, if any: both, so that both show their errors)
    and calls save(form.cleaned_data), the service; save reads the formset's rows itself. A
    service's ValidationError goes onto the form by add_service_errors(): beside the field it names,
    else at the top.

    A save refused as stale (StaleEdit: someone else saved since the form was opened) leaves the form
    as typed, and:
    - with latest (the row read again): the form takes the version saved now, says why at its top,
      and `meanwhile` lists what is saved now beside what was typed (core/_saved_meanwhile.html;
      `also` names the row's fields to list whatever was typed, see refuse_stale());
    - with on_stale: on_stale(error) does what the page needs instead (read again its own way, say
      it in its own words) and its return value is `meanwhile`;
    - with neither: the form says why at its top.
    """
    if latest is not None and on_stale is not None:
        raise TypeError("submit() takes latest or on_stale, not both.")
    if request.method != "POST":
        return Submitted()
    valid = form.is_valid()
    if formset is not None:
        valid = formset.is_valid() and valid
    if not valid:
        return Submitted()
    try:
        return Submitted(saved=True, result=save(form.cleaned_data))
    except StaleEdit as error:
        if on_stale is not None:
            return Submitted(stale=True, meanwhile=on_stale(error))
        if latest is not None:
            row = latest()
            return Submitted(stale=True, meanwhile=refuse_stale(form, row, error, also=also), latest=row)
        form.add_error(None, error)
        return Submitted(stale=True)
    except ValidationError as error:
        add_service_errors(form, error, formset=formset)
        return Submitted()


def safe_next(request: HttpRequest, fallback: str) -> str:
    """Where a button sends the person back to: its `next` (posted, else in the address) when that
    is a page of this site (a path such as /programmes/sessions/4/, or an address on this host, https
    on an https request), else `fallback`, the page of the thing the button acted on. Never another
    site, and never a bare word such as "oops" (a relative address, or a view name to redirect()).
    Redirect with HttpResponseRedirect, which takes the address as it is."""
    # Imported here, so that this helper stays apart from the module's shared import block.
    from urllib.parse import urlsplit

    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if allowed and (target.startswith("/") or urlsplit(target).netloc):
        return target
    return fallback
