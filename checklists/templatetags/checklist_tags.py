"""Template helpers the checklists app owns and other apps' pages use: the key to the usage levels."""

from __future__ import annotations

from django import template

from checklists.models import UsageLevel

register = template.Library()


@register.inclusion_tag("checklists/_usage_key.html")
def usage_key() -> dict[str, list[tuple[int, str]]]:
    """The four usage levels in order, each in its heatmap colour, from UsageLevel itself so that the
    key cannot drift from the choices a coach rates with."""
    return {"levels": UsageLevel.choices}
