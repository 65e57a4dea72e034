"""Small helpers the scheduling views share."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError onto the form: each field's message beside its field when the
    form has that field, anything else at the top of the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def data_with(form: forms.Form, **overrides):
    """What the person typed into the form, with some values replaced: after a stale save, the
    version now saved, so that saving again keeps their input over the newer one knowingly."""
    data = form.data.copy()
    for key, value in overrides.items():
        data[form.add_prefix(key)] = value
    return data
