"""``{% contracts_to_sign as n %}``: how many contracts wait for the current user's signature
in the active space, for the home workbench (which belongs to orgs, below contracts, so it asks
through a template tag instead of importing this app)."""

from __future__ import annotations

from django import template

from chop.contracts import workbench

register = template.Library()


@register.simple_tag(takes_context=True)
def contracts_to_sign(context) -> int:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return 0
    space = workbench.Space(
        user=request.user,
        company=getattr(request, "company", None),
        membership=getattr(request, "membership", None),
    )
    return len(workbench.to_sign_ids(space, workbench.contracts(space)))
