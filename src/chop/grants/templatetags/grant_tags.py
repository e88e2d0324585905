"""``{% seal_grants_summary seal %}``: the grants section of a seal's page.

The seal page belongs to the seals app, which sits below this one and cannot ask about grants;
the template loads this tag instead. It shows how many grants are active and whether the viewer
holds one (until when), without deciding any stamp: that needs a contract, and is
``permissions.may_stamp``'s alone.
"""

from __future__ import annotations

from django import template
from django.utils import timezone

from chop.orgs import permissions

from ..models import Grant, GrantState

register = template.Library()


@register.inclusion_tag("grants/_seal_summary.html", takes_context=True)
def seal_grants_summary(context, seal) -> dict:
    request = context.get("request")
    m = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    if seal.company_id is None or seal.owner_id is not None:
        return {"show": False}  # a person's own seal is theirs; nobody grants it
    if not permissions.can_view_seal_grants(m, seal):
        return {"show": False}
    now = timezone.now()
    grants = list(
        Grant.objects.filter(seal=seal, revoked_at__isnull=True).prefetch_related("members")
    )
    active = [g for g in grants if g.state_at(now) == GrantState.ACTIVE]
    mine = [g for g in active if g.names(user, m.role)]
    # the one that lasts longest: long-term first, then the latest end
    mine.sort(key=lambda g: (g.ends_at is not None, -(g.ends_at.timestamp() if g.ends_at else 0)))
    return {
        "show": True,
        "seal": seal,
        "active_count": len(active),
        "mine": mine[0] if mine else None,
        "usable": seal.usable_for_stamping,
        "can_grant": permissions.can_grant_seal(m, seal),
    }
