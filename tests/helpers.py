"""Small assertions shared by the apps' tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django import forms
from django.db import IntegrityError, transaction
from django.urls import reverse


def assert_violates(make: Callable[[], object]) -> None:
    """make() must be refused by a database rule, and leave the test's transaction usable."""
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


# --- Permission tests: every view, every persona -----------------------------------------------

LOGIN_URL = "/accounts/login/"

# persona -> status code of a GET (anonymous is always sent to log in). The tables for pages behind
# a role decorator (core.access) say what the user with no role gets too: 403, always.
EVERY_ROLE = {"manager": 200, "coach": 200, "other_coach": 200, "lead": 200, "no_role": 403}
MANAGERS_ONLY = {"manager": 200, "coach": 403, "other_coach": 403, "lead": 403, "no_role": 403}
MANAGERS_AND_LEADS = {"manager": 200, "coach": 403, "other_coach": 403, "lead": 200, "no_role": 403}
# A team's records: the view may or may not sit behind a role decorator (403 or 404 for no role),
# so these tables leave no_role to the test.
THIS_TEAM_READ = {"manager": 200, "coach": 200, "other_coach": 404, "lead": 200}  # the coach of `enrolment`
THIS_TEAM_WRITE = {"manager": 200, "coach": 200, "other_coach": 404, "lead": 403}


def persona_request(login, personas, persona: str, url: str, expected: dict[str, int], *, method="get", data=None):
    """`persona` requests `url` (conftest's `login` and `personas` fixtures): anonymous is sent to the
    login page and back, everyone else gets `expected[persona]`. Returns the response."""
    response = getattr(login(persona, personas), method)(url, data or {})
    if persona == "anonymous":
        assert (response.status_code, response["Location"]) == (302, f"{LOGIN_URL}?next={url}")
    else:
        assert response.status_code == expected[persona], persona
    return response


# --- The admin's forms, posted as the browser would ---------------------------------------------


def _form_data(form: forms.BaseForm, data: dict) -> None:
    """What the browser would send back for the form unchanged."""
    for name, field in form.fields.items():
        bound = form[name]
        if field.disabled:
            continue
        value = bound.value()
        if isinstance(field.widget, forms.MultiWidget):
            parts = value if isinstance(value, list) else field.widget.decompress(value)
            for i, part in enumerate(parts):
                data[f"{bound.html_name}_{i}"] = "" if part is None else str(part)
        elif isinstance(field, forms.BooleanField):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(v) for v in value]
        else:
            data[bound.html_name] = "" if value is None else str(value)


def admin_change(client, model, pk, **changes) -> None:
    """Posts the admin change form of the row as it is shown, with `changes` (form field names) applied."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[pk])
    response = client.get(url)
    assert response.status_code == 200
    data: dict = {}
    _form_data(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update({f"{formset.prefix}-{key}": value for key, value in formset.management_form.initial.items()})
        for form in formset.forms:
            _form_data(form, data)
    data.update({key: str(value) for key, value in changes.items()})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response


def admin_delete(client, model, pk) -> None:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_delete", args=[pk])
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not model.objects.filter(pk=pk).exists()
