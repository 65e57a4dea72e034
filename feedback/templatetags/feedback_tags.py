"""Template helpers for feedback pages: the QR code of a feedback form's address."""

from __future__ import annotations

import segno
from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def qr_svg(url: str, label: str = "QR code") -> SafeString:
    """The address as an inline SVG QR code that scales to its box, named for screen readers.

    Medium error correction survives a poster printed in grey or slightly creased; the border is
    the four-module quiet zone scanners need.
    """
    if not url:
        return mark_safe("")  # noqa: S308 - empty
    svg = segno.make(url, error="m").svg_inline(
        scale=1, border=4, omitsize=True, dark="#000", light="#fff", svgclass="qr-code", title=label
    )
    # segno's output is generated markup; the only text in it is the title, which segno escapes.
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308
