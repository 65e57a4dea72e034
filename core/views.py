"""Small helpers the views share: a posted form through its service, in one place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, QueryDict

from .concurrency import SavedValue, StaleEdit, refuse_stale


def posted(request: HttpRequest) -> QueryDict | None:
    """The data to bind a form to: the POST body on a POST, even an empty one (so that it is
    checked and its errors shown), and nothing on a GET. Never `request.POST or None`, which
    leaves a form posted empty unbound: nothing checked, nothing said."""
    return request.POST if request.method == "POST" else None


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError onto the form: each field's message beside its field when the
    form has that field, anything else at the top of the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


@dataclass
class Submitted:
    saved: bool = False
    result: Any = None  # what the service returned, once saved
    meanwhile: list[SavedValue] | None = None  # what is saved now, when the save was refused as stale


def submit(
    request: HttpRequest,
    form: forms.Form,
    save: Callable[[dict], Any],
    *,
    latest: Callable[[], models.Model] | None = None,
    also: tuple[str, ...] = (),
) -> Submitted:
    """On a POST, checks the form and calls save(cleaned_data), the service. Its errors go on the
    form beside their fields; a stale save is refused with the form kept as typed and, read again
    by latest(), what is saved now (core/_saved_meanwhile.html shows `meanwhile`)."""
    if request.method != "POST" or not form.is_valid():
        return Submitted()
    try:
        return Submitted(saved=True, result=save(form.cleaned_data))
    except StaleEdit as error:
        if latest is None:
            form.add_error(None, error)
            return Submitted()
        return Submitted(meanwhile=refuse_stale(form, latest(), error, also=also))
    except ValidationError as error:
        add_service_errors(form, error)
        return Submitted()
