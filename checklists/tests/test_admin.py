"""The checklist admin keeps the version and the history right, so app forms opened before an
admin edit are refused rather than applied over it."""

import pytest
from django.urls import reverse

from checklists.models import Checklist, Tool

from .helpers import save_checklist

pytestmark = pytest.mark.django_db


def test_checklist_admin_change_bumps_version_and_keeps_history(personas, held_session, client):
    checklist = save_checklist(held_session, personas.coach, 2, note="Before")
    ratings = list(checklist.ratings.order_by("pk"))
    data = {
        "session": held_session.pk,
        "coach": personas.coach.pk,
        "completed_at_0": "2025-09-29",
        "completed_at_1": "16:00:00",
        "culture_note": "After",
        "ratings-TOTAL_FORMS": str(len(ratings)),
        "ratings-INITIAL_FORMS": str(len(ratings)),
        "ratings-MIN_NUM_FORMS": "0",
        "ratings-MAX_NUM_FORMS": "1000",
    }
    for i, rating in enumerate(ratings):
        data |= {
            f"ratings-{i}-id": rating.pk,
            f"ratings-{i}-checklist": checklist.pk,
            f"ratings-{i}-tool": rating.tool_id,
            f"ratings-{i}-discussed": "on",
            f"ratings-{i}-level": "3" if i == 0 else "2",
            f"ratings-{i}-comment": "",
        }
    client.force_login(personas.manager)
    response = client.post(reverse("admin:checklists_checklist_change", args=[checklist.pk]), data)
    assert response.status_code == 302
    checklist.refresh_from_db()
    assert (checklist.version, checklist.culture_note) == (2, "After")
    assert list(checklist.history.order_by("history_date").values_list("version", "history_user__username")) == [
        (1, "coach"),
        (2, "manager"),
    ]
    assert Checklist.objects.get().ratings.get(pk=ratings[0].pk).level == 3


def test_tool_admin_change_bumps_version(personas, client):
    tool = Tool.objects.get(name="Improvement huddle")
    client.force_login(personas.manager)
    data = {"name": tool.name, "order": 5, "description": "Retired in the admin"}  # "active" unticked
    response = client.post(reverse("admin:checklists_tool_change", args=[tool.pk]), data)
    assert response.status_code == 302
    tool.refresh_from_db()
    assert (tool.active, tool.version) == (False, 2)
    assert tool.history.get().history_user == personas.manager
