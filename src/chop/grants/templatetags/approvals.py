"""``{% approvals_waiting as n %}``: how many use requests wait for the current user's decision
in the active company, for the main navigation and the home workbench (which belong to apps
below or beside this one, so they ask through a template tag instead of importing it)."""

from __future__ import annotations

from django import template

from chop.grants import requests

register = template.Library()


@register.simple_tag(takes_context=True)
def approvals_waiting(context) -> int:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return 0
    company = getattr(request, "company", None)
    if company is None:
        return 0
    return requests.waiting_for(request.user).filter(company=company).count()
