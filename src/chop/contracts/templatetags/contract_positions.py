"""Template helpers for the positions summary on the contract page."""

from __future__ import annotations

from django import template

from chop.orgs import permissions

from .. import positions as placing

register = template.Library()


@register.simple_tag(takes_context=True)
def can_place_positions(context, contract) -> bool:
    """Whether the viewer may place positions on ``contract`` (``permissions``)."""
    request = context.get("request")
    if request is None:
        return False
    return permissions.can_place_positions(
        getattr(request, "membership", None), contract, request.user
    )


@register.filter
def position_label(position) -> str:
    """A line saying where ``position`` is (``positions.label``)."""
    return placing.label(position)
