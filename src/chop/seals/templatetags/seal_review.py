"""``{% seals_waiting as n %}``: how many uploaded seals wait for an operator (for the console
links of other operator pages, which need no view change for it)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag
def seals_waiting() -> int:
    from chop.seals.review import waiting

    return waiting().count()
