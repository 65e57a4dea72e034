"""The source document's PDSA cycle as the demo loads it, on the PDSA and versions pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from demo import story
from demo.loader import seed_demo
from programmes.models import PdsaCycle

pytestmark = pytest.mark.django_db


def test_demo_data_holds_the_source_documents_cycle_and_its_100_percent(client, login, personas):
    seed_demo(today=dt.date(2026, 11, 26))
    cycle = PdsaCycle.objects.get(title=story.PDSA_TITLE)
    login("lead", personas)
    content = client.get(reverse("programmes:pdsa_detail", kwargs={"pk": cycle.pk})).content.decode()
    assert "<strong>ADAPT</strong>" in content
    for fact in ("RSH and PRH", "coaching times", "virtual improvement board", "checklist", "100%"):
        assert fact in content
    feedback = client.get(reverse("programmes:pdsa_detail", kwargs={"pk": cycle.pk})).context["feedback"]
    assert feedback.positive_pct == Decimal("100.0")
    assert feedback.responses == 23
    versions = client.get(reverse("programmes:versions")).content.decode()
    assert "<strong>Met:</strong> version 1.0 was published on 1 Apr 2026." in versions
