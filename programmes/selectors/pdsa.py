"""Reads for the PDSA log: the programme's own improvement cycles."""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import PdsaCycle, ProgrammeTemplate


def pdsa_cycles() -> QuerySet[PdsaCycle]:
    """The PDSA log, newest first (one query)."""
    return PdsaCycle.objects.select_related("cohort", "template", "created_by").order_by("-started_on", "title")


def pdsa_cycles_for_version(template: ProgrammeTemplate) -> QuerySet[PdsaCycle]:
    return PdsaCycle.objects.filter(template=template).select_related("cohort").order_by("-started_on", "title")
