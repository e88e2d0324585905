"""Which parties of a contract a user acts for.

A user acts for a person party that is them, and for a company party of a company they belong to
when ``permissions.can_sign_for`` says they may act for it (which seal they may then stamp with
is ``permissions.may_stamp``'s decision on the signing page; declining for a company party is
``permissions.can_decline_for``). Pages that let someone sign or
decline start here, so the rule lives in the permission function and nowhere else.

Parties from other companies, and persons, open a sent contract too (``party_memberships``), but
see its document only as ``Viewer`` allows: when it is their turn, after they acted, or after
completion, and never an intermediate, half-signed version.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chop.orgs import permissions
from chop.orgs.models import Membership

from .models import Contract, DocumentVersion, Participant


def _memberships(user, parties) -> dict[int, Membership]:
    """The user's memberships in the companies of ``parties``, by company id (one query)."""
    return {
        m.company_id: m
        for m in Membership.objects.filter(
            user=user, company__in=[p.company_id for p in parties if p.company_id]
        ).select_related("company")
    }


def parties_for(
    user, contract: Contract, *, state: str | None = None, decline: bool = False
) -> list[Participant]:
    """The parties of ``contract`` that ``user`` may act for, in signing order (optionally only
    those in ``state``, e.g. ``"to_sign"``); with ``decline``, those they may decline for
    (``permissions.can_decline_for``, narrower for a company party)."""
    if user is None or not user.is_authenticated:
        return []
    parties = contract.participants.select_related("company", "user").order_by("position")
    if state is not None:
        parties = parties.filter(state=state)
    memberships = _memberships(user, parties)
    allowed = permissions.can_decline_for if decline else permissions.can_sign_for
    return [p for p in parties if allowed(memberships.get(p.company_id), p, user)]


def party_memberships(user, contract: Contract) -> list[tuple[Participant, Membership | None]]:
    """The parties of ``contract`` that ``user`` belongs to, with the user's membership in each
    company party's company (``None`` for a person party): a person party that is them, and every
    company party of a company they are a member of. Who may open the page as which party is
    ``permissions.can_view_contract_as_party``; this only gathers the candidates."""
    if user is None or not user.is_authenticated:
        return []
    parties = list(contract.participants.select_related("company", "user", "contract"))
    memberships = _memberships(user, parties)
    found = []
    for p in parties:
        m = memberships.get(p.company_id) if p.kind == "company" else None
        if permissions.can_view_contract_as_party(m, p, user):
            found.append((p, m))
    return found


@dataclass
class Viewer:
    """What one user may see of one contract: everything (``initiator``: a member of the
    initiating company, or the creator of a personal contract), or what their ``parties`` allow
    (``permissions.can_see_document_as_party`` / ``can_see_version_as_party``)."""

    initiator: bool
    parties: list[Participant] = field(default_factory=list)

    @property
    def sees_document(self) -> bool:
        return self.initiator or any(permissions.can_see_document_as_party(p) for p in self.parties)

    def sees_version(self, version: DocumentVersion, latest_number: int) -> bool:
        if self.initiator:
            return True
        return any(
            permissions.can_see_version_as_party(p, version, latest_number) for p in self.parties
        )

    def versions(self, contract: Contract) -> list[DocumentVersion]:
        """The versions this viewer may see and download, newest first."""
        versions = list(contract.versions.select_related("created_by").order_by("-number"))
        latest = versions[0].number if versions else 0
        return [v for v in versions if self.sees_version(v, latest)]
