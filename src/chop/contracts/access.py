"""Which parties of a contract a user acts for.

A user acts for a person party that is them, and for a company party of a company they belong to
when ``permissions.can_sign_for`` says they may stamp for it. Pages that let someone sign or
decline start here, so the rule lives in the permission function and nowhere else.
"""

from __future__ import annotations

from chop.orgs import permissions
from chop.orgs.models import Membership

from .models import Contract, Participant


def parties_for(user, contract: Contract, *, state: str | None = None) -> list[Participant]:
    """The parties of ``contract`` that ``user`` may act for, in signing order (optionally only
    those in ``state``, e.g. ``"to_sign"``)."""
    if user is None or not user.is_authenticated:
        return []
    parties = contract.participants.select_related("company", "user").order_by("position")
    if state is not None:
        parties = parties.filter(state=state)
    memberships = {
        m.company_id: m
        for m in Membership.objects.filter(
            user=user, company__in=[p.company_id for p in parties if p.company_id]
        ).select_related("company")
    }
    return [p for p in parties if permissions.can_sign_for(memberships.get(p.company_id), p, user)]
