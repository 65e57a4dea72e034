"""Two people editing the same thing must not silently overwrite each other: the one implementation
of optimistic concurrency, used by every app.

Each row a person edits in a form has a version number, bumped on every save (the field is
`version`; a programme template's is `revision`, because its `version` is the label such as 1.0).
An edit form carries the version it was opened on, and the service claims the row with one
conditional UPDATE ... SET version = version + 1 WHERE version = <the one opened>: of two saves from
forms opened on the same version exactly one wins, and the other is refused with StaleEdit and
writes nothing. The form then comes back with what the person typed, what is saved now beside it,
and the version now saved, so that saving again overwrites knowingly. Saves that are not a person's
edit form (the admin, a step the app takes itself) bump the version unconditionally, so that forms
opened before them are refused in turn.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.dispatch import Signal
from django.forms.utils import pretty_name
from django.utils import timezone
from django.utils.text import capfirst

from .history import history_record_update

STALE_MESSAGE = (
    "Someone else saved this {thing} while you were editing it, so your changes have not been saved yet. "
    "What you typed is still in the form, and what is saved now is shown on this page: "
    "check both, then save again to keep yours."
)
DAMAGED_MESSAGE = "This form is damaged or out of date: reload the page and make your changes again."


# Sent by claim_version() after a claim succeeds, with sender=the model, instance=the row claimed and
# changes=the fields written with the bump (a dict, empty for a bare bump). Its UPDATE sends no
# post_save, so that rows derived from these fields (checklists' stored standings) can follow it.
version_claimed = Signal()


class StaleEdit(ValidationError):
    """The form was opened on an older version of the row than the one now saved."""

    def __init__(self, message: str = STALE_MESSAGE.format(thing="record"), code: str = "stale", params=None):
        super().__init__(message, code, params)


def version_field(model: type[models.Model]) -> str:
    """The name of the model's version column: `version`, unless the model names another one."""
    return getattr(model, "VERSION_FIELD", "version")


def claim_version(instance: models.Model, version: int | None, *, thing: str | None = None, **changes) -> None:
    """Bumps the row's version if it is still `version` (the one the form was opened on), writing
    `changes` in the same UPDATE, else raises StaleEdit and changes nothing. `version=None` bumps
    whatever version is saved (the admin, the app's own steps). Sets the instance's version to the
    new one, so that a save of the instance that follows keeps it.

    thing: what the person calls the row, for the message (default: the model's verbose name).
    A successful claim sends version_claimed (the UPDATE sends no post_save).
    """
    model = type(instance)
    field = version_field(model)
    rows = model.objects.filter(pk=instance.pk)
    if version is not None:
        rows = rows.filter(**{field: version})
    if not rows.update(**{field: F(field) + 1}, **changes):
        raise StaleEdit(STALE_MESSAGE.format(thing=thing or model._meta.verbose_name), code="stale")
    if version is None:
        setattr(instance, field, model.objects.values_list(field, flat=True).get(pk=instance.pk))
    else:
        setattr(instance, field, version + 1)
    if changes:  # a bare bump is followed by the caller's save(), which writes the history record
        history_record_update(instance, changes)
    version_claimed.send(sender=model, instance=instance, changes=dict(changes))


# --- Forms ------------------------------------------------------------------------------------


class VersionField(forms.IntegerField):
    """The version of the row the form was opened on, as a hidden input."""

    widget = forms.HiddenInput
    default_error_messages = {"required": DAMAGED_MESSAGE, "invalid": DAMAGED_MESSAGE, "min_value": DAMAGED_MESSAGE}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        super().__init__(**kwargs)


class _SaysVersionErrors:
    """A hidden field's errors are not shown beside it (there is nothing to see), so a damaged
    version is said at the top of the form."""

    def clean(self):
        cleaned = super().clean()
        if any(isinstance(field, VersionField) and name in self._errors for name, field in self.fields.items()):
            self.add_error(None, DAMAGED_MESSAGE)
        return cleaned


class VersionedForm(_SaysVersionErrors, forms.Form):
    """A form that carries a VersionField (declared by the subclass)."""


class VersionedModelForm(_SaysVersionErrors, forms.ModelForm):
    """A model form that, when it edits a saved row, carries that row's version (a hidden field
    named as the model's version column; not in Meta.fields, so the form never writes it)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            name = version_field(type(self.instance))
            self.fields[name] = VersionField(initial=getattr(self.instance, name))


@dataclass(frozen=True)
class SavedValue:
    """One field of a row as saved now, beside what the person typed (None: not on their form)."""

    label: str
    saved: str
    typed: str | None


def _shown(value, field: forms.Field | None = None) -> str:
    """A value as the pages show it."""
    if value is None or value == "":
        return "–"
    if isinstance(field, forms.ModelChoiceField) and isinstance(value, models.Model):
        return field.label_from_instance(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        return f"{timezone.localtime(value):%a %-d %b %Y, %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%a %-d %b %Y}"
    if isinstance(value, dt.time):
        return f"{value:%H:%M}"
    choices = getattr(field, "choices", None)
    if choices is not None:
        labels = {str(key): label for key, label in choices}
        return str(labels.get(str(value), value))
    return str(value)


def saved_meanwhile(form: forms.Form, latest: models.Model, *, also: Sequence[str] = ()) -> list[SavedValue]:
    """Where what is saved now (`latest`, read again) differs from what the person typed, field by
    field in the form's order; then the row's fields named in `also`, as saved now, whatever was typed."""
    values = []
    cleaned = getattr(form, "cleaned_data", {})
    for name, field in form.fields.items():
        if field.widget.is_hidden or name in also or not hasattr(latest, name):
            continue
        saved, typed = _shown(getattr(latest, name), field), _shown(cleaned.get(name), field)
        if saved != typed:
            values.append(SavedValue(str(field.label or pretty_name(name)), saved, typed))
    for name in also:
        model_field = latest._meta.get_field(name)
        value = getattr(latest, f"get_{name}_display")() if model_field.choices else getattr(latest, name)
        typed = _shown(cleaned.get(name), form.fields[name]) if name in form.fields else None
        values.append(SavedValue(capfirst(model_field.verbose_name), _shown(value), typed))
    return values


def refuse_stale(
    form: forms.Form, latest: models.Model, error: StaleEdit | None = None, *, also: Sequence[str] = ()
) -> list[SavedValue]:
    """After a refused save: the form keeps what was typed but now carries the version saved now
    (so that saving again overwrites knowingly) and says why at its top (unless the page says it
    itself: error=None); returns saved_meanwhile() for core/_saved_meanwhile.html."""
    meanwhile = saved_meanwhile(form, latest, also=also)
    field = version_field(type(latest))
    data = form.data.copy()
    data[form.add_prefix(field)] = str(getattr(latest, field))
    form.data = data
    if error is not None:
        form.add_error(None, error)
    return meanwhile


# --- The admin --------------------------------------------------------------------------------


class VersionedAdminMixin:
    """For the ModelAdmin of a model with a version: the version is read-only, and every change
    saved in the admin bumps it (and the version of each changed inline row that has one), so
    that app forms opened before the admin edit are refused rather than applied over it. The
    bump is made in the database before the save, so that a history record written by the save
    holds the new number."""

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        name = version_field(self.model)
        return fields if name in fields else [*fields, name]

    def save_model(self, request, obj, form, change):
        if change:
            claim_version(obj, None)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if has_version(formset.model):
            for inline in formset.initial_forms:
                if inline.instance.pk is not None and inline.has_changed():
                    claim_version(inline.instance, None)
        super().save_formset(request, form, formset, change)


def has_version(model: type[models.Model]) -> bool:
    name = version_field(model)
    return any(field.name == name for field in model._meta.concrete_fields)
