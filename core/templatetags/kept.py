"""{% kept "name" part part ... %}...{% endkept %}: the block's HTML kept until the next write to the
data (core.figures_cache.kept), for these parts. Name as parts everything but the data that the block
shows: the person (request.user.pk, for what they may see), today, the page's number, the cohort.

{% load kept %}
{% kept "aim" request.user.pk today page_number %}...{% endkept %}

The view hands the block's figures as lazy objects (django.utils.functional.SimpleLazyObject), so
that a block read from the cache costs no query. No form that posts goes in a block: its CSRF token
is the person's and would outlive their session.
"""

from __future__ import annotations

from django import template

from ..figures_cache import kept

register = template.Library()


class KeptNode(template.Node):
    def __init__(self, nodelist: template.NodeList, name: template.base.FilterExpression, parts: list) -> None:
        self.nodelist = nodelist
        self.name = name
        self.parts = parts

    def render(self, context) -> str:
        parts = tuple(part.resolve(context) for part in self.parts)
        return kept(f"block:{self.name.resolve(context)}", parts, lambda: self.nodelist.render(context))


@register.tag("kept")
def do_kept(parser, token) -> KeptNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("'kept' takes a name and the parts the block varies by")
    nodelist = parser.parse(("endkept",))
    parser.delete_first_token()
    return KeptNode(nodelist, parser.compile_filter(bits[1]), [parser.compile_filter(bit) for bit in bits[2:]])
