"""Every permission decision about companies, in one place.

One function per decision, each taking the acting person's ``Membership`` (``None`` when they are
not a member, which always means no), except ``is_operator``, which is about the platform rather
than a company and takes the user. Views and templates ask these functions instead of comparing roles themselves, so a rule changes in exactly one place
and the table-driven tests in ``tests/orgs/test_permissions.py`` show every rule at a glance.

Ownership is a single person: the owner cannot be removed or demoted, only replaced through
``can_transfer_ownership``, so a company never ends up without an owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Membership, Role

MANAGERS = frozenset({Role.OWNER, Role.ADMIN})


def _role(m: Membership | None) -> str | None:
    return m.role if m is not None else None


def _same_company(a: Membership, b: Membership) -> bool:
    return a.company_id == b.company_id


def is_operator(user) -> bool:
    """Platform operators (``is_staff``) review verification cases and run the admin; they are
    platform staff, not members of the companies they review."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_staff)


def is_manager(m: Membership | None) -> bool:
    """Owners and administrators run the company space."""
    return _role(m) in MANAGERS


def can_view_company(m: Membership | None) -> bool:
    """Any member sees the company's overview and member list."""
    return m is not None


def can_view_members(m: Membership | None) -> bool:
    return m is not None


def can_invite(m: Membership | None) -> bool:
    """Owners and administrators invite people."""
    return is_manager(m)


def assignable_roles(m: Membership | None) -> list[str]:
    """Roles this person may give when inviting or changing a role.

    Nobody hands out ``owner`` (that is a transfer); only the owner creates administrators, so an
    administrator cannot multiply administrators behind the owner's back.
    """
    role = _role(m)
    if role == Role.OWNER:
        return [r for r in Role.values if r != Role.OWNER]
    if role == Role.ADMIN:
        return [r for r in Role.values if r not in MANAGERS]
    return []


def can_invite_as(m: Membership | None, role: str) -> bool:
    return can_invite(m) and role in assignable_roles(m)


def can_cancel_invitation(m: Membership | None) -> bool:
    return can_invite(m)


def can_remove_member(actor: Membership | None, target: Membership) -> bool:
    """Remove ``target`` from the company (or leave it, when ``actor`` is ``target``).

    The owner is never removed (transfer ownership first). Anyone else may leave. The owner removes
    anyone; an administrator removes members below administrator.
    """
    if actor is None or not _same_company(actor, target) or target.role == Role.OWNER:
        return False
    if actor.pk == target.pk:
        return True
    if actor.role == Role.OWNER:
        return True
    return actor.role == Role.ADMIN and target.role not in MANAGERS


def can_change_role(actor: Membership | None, target: Membership, new_role: str) -> bool:
    """Give ``target`` the role ``new_role``.

    Not one's own role, never the owner's, never to owner (that is a transfer), and an
    administrator only between roles below administrator.
    """
    if actor is None or not _same_company(actor, target) or actor.pk == target.pk:
        return False
    if target.role == Role.OWNER or new_role not in Role.values:
        return False
    if actor.role == Role.OWNER:
        return new_role != Role.OWNER
    if actor.role == Role.ADMIN:
        return target.role not in MANAGERS and new_role not in MANAGERS
    return False


def can_change_any_role(actor: Membership | None, target: Membership) -> bool:
    """Whether to offer the role menu for ``target`` at all."""
    return any(can_change_role(actor, target, r) for r in Role.values)


def can_transfer_ownership(actor: Membership | None, target: Membership) -> bool:
    """Only the owner hands the company to another member; they then become an administrator."""
    return (
        actor is not None
        and actor.role == Role.OWNER
        and _same_company(actor, target)
        and actor.pk != target.pk
        and target.role != Role.OWNER
    )


def can_view_records(m: Membership | None) -> bool:
    """The company's audit and stamping records are for owners and administrators."""
    return is_manager(m)


def can_manage_api_keys(m: Membership | None) -> bool:
    """Make and revoke the company's API keys: owners and administrators. A key acts through the
    member who made it, and stops working when that member no longer passes this test."""
    return is_manager(m)


def can_manage_webhooks(m: Membership | None) -> bool:
    """Add, change, rotate and replay the company's webhook endpoints: owners and
    administrators (an endpoint receives the company's events)."""
    return is_manager(m)


def can_start_verification(m: Membership | None) -> bool:
    """Enterprise real-name verification is started by the owner or an administrator."""
    return is_manager(m)


def can_manage_seals(m: Membership | None) -> bool:
    """Create, disable and grant seals: owner, administrator, seal keeper."""
    return _role(m) in {Role.OWNER, Role.ADMIN, Role.SEAL_KEEPER}


def can_approve_seal_use(m: Membership | None) -> bool:
    """Approve a member's request to stamp a document: owner, administrator, seal approver."""
    return _role(m) in {Role.OWNER, Role.ADMIN, Role.SEAL_APPROVER}


def can_stamp_without_approval(m: Membership | None) -> bool:
    """Stamp with a granted seal without filing a request first (members must ask)."""
    return _role(m) in {Role.OWNER, Role.ADMIN, Role.SEAL_KEEPER, Role.SEAL_USER}


def can_download_seal_image(m: Membership | None, seal, user=None) -> bool:
    """The seal's full-resolution artwork: the company's owner, administrators and seal keepers,
    and the person a seal belongs to (a personal seal, a legal representative's seal).

    Everyone else who may see the seal gets a small preview: enough to recognise it on the Seals
    page, too coarse to print a convincing copy.
    """
    if user is not None and seal.owner_id is not None and seal.owner_id == user.pk:
        return True
    if seal.company_id is None or m is None or m.company_id != seal.company_id:
        return False
    return _role(m) in {Role.OWNER, Role.ADMIN, Role.SEAL_KEEPER}


def can_make_seal(m: Membership | None) -> bool:
    """Make a company seal online or upload a stamped impression: owner, administrator, seal
    keeper (PRODUCT.md §2). A person makes their own signatures and personal seals in the
    personal space, where no membership is involved."""
    return can_manage_seals(m)


def can_change_seal_state(m: Membership | None, seal, user=None) -> bool:
    """Disable, re-enable or revoke ``seal``: for a company seal the company's owner,
    administrators and seal keepers; for a personal seal (no company) only its owner."""
    if seal.company_id is None:
        return user is not None and seal.owner_id is not None and seal.owner_id == user.pk
    if m is None or m.company_id != seal.company_id:
        return False
    return can_manage_seals(m)


def can_review_seal(user) -> bool:
    """Approve or reject an uploaded seal impression: platform operators only."""
    return is_operator(user)


def can_regenerate_official_seal(m: Membership | None) -> bool:
    """Generate a new official seal after the old one was revoked: the owner, administrators and
    seal keepers of a verified company (the seal signs with the company's certificate, which only
    a verified company holds). Whether the company still has an active official seal is a fact
    the page checks, not a permission."""
    from .models import Company

    return can_manage_seals(m) and m is not None and m.company.status == Company.Status.VERIFIED


def can_create_contract(m: Membership | None) -> bool:
    """Start a contract draft for the company: any member. A draft stamps nothing; which seal may
    be used is decided when signing (``may_stamp``: a grant, an approved request, or a person's
    own seal). Personal contracts are not offered yet."""
    return m is not None


def can_view_contract(m: Membership | None, contract, user=None) -> bool:
    """See a contract, its pages and every version: the members of its company; a person's own
    contract (no company) only its creator. Participants from other companies come later, and
    only when it is their turn or after completion."""
    if contract.company_id is None:
        return user is not None and contract.created_by_id == user.pk
    return m is not None and m.company_id == contract.company_id


def can_edit_contract_draft(m: Membership | None, contract, user=None) -> bool:
    """Change a draft's title, number, type, deadline, copy recipients and order: its creator,
    and the company's owner and administrators. Nothing is editable once it is sent."""
    if not can_view_contract(m, contract, user) or contract.state != "draft":
        return False
    if user is not None and contract.created_by_id == user.pk:
        return True
    return _role(m) in {Role.OWNER, Role.ADMIN}


def can_manage_contract_parties(m: Membership | None, contract, user=None) -> bool:
    """Add, remove and reorder a draft's parties, and send it: whoever may edit the draft."""
    return can_edit_contract_draft(m, contract, user)


def can_revoke_contract(m: Membership | None, contract, user=None) -> bool:
    """Revoke a contract before it completes: its creator, and the initiating company's owner
    and administrators (the people who could have sent it)."""
    if not can_view_contract(m, contract, user) or contract.state not in {"draft", "signing"}:
        return False
    if user is not None and contract.created_by_id == user.pk:
        return True
    return _role(m) in {Role.OWNER, Role.ADMIN}


def can_remind_contract(m: Membership | None, contract, user=None) -> bool:
    """Send a manual reminder: any member of the initiating company while it is being signed."""
    return can_view_contract(m, contract, user) and contract.state == "signing"


def can_place_positions(m: Membership | None, contract, user=None) -> bool:
    """Place, move and remove designated positions on a draft: whoever may edit the draft."""
    return can_edit_contract_draft(m, contract, user)


def can_sign_for(m: Membership | None, participant, user) -> bool:
    """Act for ``participant`` (open the signing page and sign) when it is its turn: for a
    person party, that person; for a company party, when the initiator named the member who
    stamps, that member or the company's owner, else any member of that company (``m`` is the
    user's membership in the party's company). Which seal they may stamp with is ``may_stamp``'s
    decision, so a plain member reaches the page and can ask for approval there."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if participant.kind == "person":
        return participant.user_id is not None and participant.user_id == user.pk
    if participant.company_id is None or m is None or m.company_id != participant.company_id:
        return False
    if participant.user_id is not None and participant.user_id != user.pk:
        return _role(m) == Role.OWNER
    return True


def can_decline_for(m: Membership | None, participant, user) -> bool:
    """Decline a contract for ``participant``: narrower than signing for it, because a decline
    ends the contract for everyone. For a company party: whoever may sign for it and is either
    the member the initiator named (or the owner), or stamps without approval; a plain member
    who may only ask to stamp may not end the contract for the company."""
    if not can_sign_for(m, participant, user):
        return False
    if participant.kind == "person":
        return True
    if participant.user_id is not None:
        return True
    return can_stamp_without_approval(m)


def can_view_contract_as_party(m: Membership | None, participant, user) -> bool:
    """Open a contract's page as one of its parties (PRODUCT.md §4): for a person party, that
    person; for a company party, any member of that company (``m`` is the user's membership in
    the party's company), since the contract concerns the whole company even when one member
    stamps. Only once the contract was sent: a draft, and a draft revoked before sending, stay
    the initiator's. What a party may see of the document is ``can_see_document_as_party``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    contract = participant.contract
    if contract.state == "draft" or contract.sent_at is None:
        return False
    if participant.kind == "person":
        return participant.user_id is not None and participant.user_id == user.pk
    return (
        participant.company_id is not None
        and m is not None
        and m.company_id == participant.company_id
    )


def can_see_document_as_party(participant) -> bool:
    """See the document's pages and files as a party: when it is the party's turn, after it
    acted (signed or declined), or once the contract is completed. Before its turn a party sees
    the title and the parties only, so nobody reads terms they were not yet asked to sign."""
    if participant.contract.state == "completed":
        return True
    return participant.state in {"to_sign", "signed", "declined"}


def can_see_version_as_party(participant, version, latest_number: int) -> bool:
    """Which versions a party may see or download, when it may see the document at all: the
    uploaded document (version 1), and after completion also the final signed version
    (``latest_number``). Never an intermediate, half-signed version: earlier signers did not
    agree to share their signatures before everyone signed (PRODUCT.md §4). The initiating
    company sees every version (``can_view_contract``)."""
    if not can_see_document_as_party(participant):
        return False
    if version.number == 1:
        return True
    return participant.contract.state == "completed" and version.number == latest_number


# --- stamping: the one decision point (PRODUCT.md §3) ---------------------------------------
#
# ``may_stamp`` reads the seal's grants, use requests and auto-sign authorisations through the
# seal's related managers (``seal.grants``, ``seal.use_requests``,
# ``seal.autosign_authorisations``), so this module names no model of the apps above it.


@dataclass(frozen=True)
class Actor:
    """Who would stamp: a person (``user``, and ``membership`` in the seal's company when it is a
    company seal), or the platform acting under an auto-sign authorisation (``platform``)."""

    user: Any = None
    membership: Membership | None = None
    platform: bool = False

    @classmethod
    def person(cls, user, membership: Membership | None = None) -> Actor:
        return cls(user=user, membership=membership)

    @classmethod
    def autosign(cls) -> Actor:
        return cls(platform=True)


@dataclass(frozen=True)
class Allowed:
    """The one authorisation that allows a stamp: ``kind`` is ``grant``, ``approval``,
    ``autosign`` or ``own`` (a person's own seal); ``authorisation`` is the Grant, UseRequest or
    AutoSignAuthorisation row, or the seal itself for ``own``."""

    kind: str
    authorisation: Any

    def __bool__(self) -> bool:
        return True


@dataclass(frozen=True)
class Refused:
    """Why a stamp is not allowed. ``may_request``: the person may ask for approval instead."""

    code: str
    message: Any
    may_request: bool = False

    def __bool__(self) -> bool:
        return False


def _contract_open(contract, now) -> bool:
    """A contract accepts stamps while it is being signed and its deadline has not passed."""
    if contract.state != "signing":
        return False
    deadline = getattr(contract, "deadline", None)
    return deadline is None or timezone.localdate(now) <= deadline


def may_stamp(actor: Actor, seal, contract, *, now: datetime | None = None) -> Allowed | Refused:
    """Whether ``actor`` may stamp ``contract`` with ``seal`` now, and by which authorisation.

    The signing page asks it to offer seals, the API asks it, and the signing act asks it again
    inside the contract's locked transaction, where the answer is final: a grant that expired or
    was revoked while the page was open refuses the act. In order:

    * the seal must be usable (active, with a certificate) and the contract open for signing;
    * a person's own seal (a personal seal or signature, a legal representative's seal): its
      owner only, authorised as ``own``;
    * the platform: an active auto-sign authorisation of the seal whose scope covers the
      contract's type and whose daily cap is not reached;
    * a person in the seal's company: an active grant naming them (by name or role) whose scope
      covers the contract's type and whose cap is not reached; else their approved, unused use
      request for this seal and this contract. Without either they may ask for approval.
    """
    now = now or timezone.now()
    if not getattr(seal, "usable_for_stamping", False):
        return Refused("seal_unusable", _("This seal is disabled, revoked or not yet approved."))
    if not _contract_open(contract, now):
        return Refused("contract_closed", _("This contract is not open for signing."))
    user = actor.user
    if seal.company_id is None or seal.owner_id is not None:
        if not actor.platform and user is not None and seal.owner_id == user.pk:
            return Allowed("own", seal)
        return Refused("not_owner", _("This seal belongs to someone else."))
    if actor.platform:
        return _autosign(seal, contract, now)
    m = actor.membership
    if user is None or m is None or m.company_id != seal.company_id or m.user_id != user.pk:
        return Refused("not_member", _("Only members of the seal's company may use it."))
    return _grant_or_approval(user, m, seal, contract, now)


def _autosign(seal, contract, now) -> Allowed | Refused:
    today = timezone.localdate(now)
    found: list[str] = []
    for auth in seal.autosign_authorisations.all():
        state = auth.state_at(now)
        if state != "active":
            found.append(state)
        elif not auth.covers(contract.contract_type):
            found.append("scope")
        elif auth.used_on(today) >= auth.daily_cap:
            found.append("cap")
        else:
            return Allowed("autosign", auth)
    for code, message in (
        ("cap", _("The auto-sign authorisation has reached its daily cap.")),
        ("scope", _("The auto-sign authorisation does not cover this contract type.")),
        ("preparing", _("The auto-sign authorisation letter is still being prepared.")),
        ("pending", _("The auto-sign authorisation is not valid yet.")),
        ("expired", _("The auto-sign authorisation has expired.")),
        ("revoked", _("The auto-sign authorisation was revoked.")),
    ):
        if code in found:
            return Refused(f"autosign_{code}", message)
    return Refused("autosign_none", _("This seal has no auto-sign authorisation."))


def _grant_or_approval(user, m: Membership, seal, contract, now) -> Allowed | Refused:
    found: list[str] = []
    for grant in sorted(seal.grants.all(), key=lambda g: g.pk):
        if not grant.names(user, m.role):
            continue
        state = grant.state_at(now)
        if state != "active":
            found.append(state)
        elif not grant.covers(contract.contract_type):
            found.append("scope")
        elif grant.max_uses is not None and grant.uses >= grant.max_uses:
            found.append("cap")
        else:
            return Allowed("grant", grant)
    requests = [
        r
        for r in seal.use_requests.all()
        if r.contract_id == contract.pk and r.requester_id == user.pk
    ]
    for req in sorted(requests, key=lambda r: r.pk):
        if req.state == "approved" and req.used_at is None:
            return Allowed("approval", req)
    states = {r.state for r in requests}
    if "pending" in states:
        return Refused(
            "request_pending", _("Your request to use this seal is waiting for approval.")
        )
    if "used" in states:
        found.append("approval_used")
    elif "rejected" in states:
        found.append("request_rejected")
    for code, message in (
        ("approval_used", _("Your approval allowed one stamp, and it was used.")),
        ("cap", _("Your grant for this seal has reached its use cap.")),
        ("scope", _("Your grant for this seal does not cover this contract type.")),
        ("pending", _("Your grant for this seal is not valid yet.")),
        ("expired", _("Your grant for this seal has expired.")),
        ("revoked", _("Your grant for this seal was revoked.")),
        ("request_rejected", _("Your request to use this seal was rejected.")),
    ):
        if code in found:
            return Refused(code, message, may_request=True)
    return Refused(
        "no_grant", _("You have no grant for this seal: ask for approval."), may_request=True
    )


def can_grant_seal(m: Membership | None, seal) -> bool:
    """Grant a company seal, revoke its grants and set its approvers: the company's owner,
    administrators and seal keepers (PRODUCT.md §3)."""
    return (
        m is not None
        and seal.company_id is not None
        and m.company_id == seal.company_id
        and can_manage_seals(m)
    )


def can_view_seal_grants(m: Membership | None, seal) -> bool:
    """See a seal's grants and approvers: any member of its company (they need to know whom to
    ask); only granting changes them."""
    return m is not None and seal.company_id is not None and m.company_id == seal.company_id


def can_request_seal_use(m: Membership | None, seal, refusal) -> bool:
    """File a use request: a member of the seal's company whom ``may_stamp`` refused with
    ``may_request`` (no usable grant, and no request waiting already)."""
    return (
        m is not None
        and seal.company_id is not None
        and m.company_id == seal.company_id
        and isinstance(refusal, Refused)
        and refusal.may_request
    )


def can_decide_use_request(user, use_request) -> bool:
    """Approve or reject a use request: one of the approvers it was filed with, while it waits,
    who has not decided it yet, and never the requester deciding their own request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if use_request.state != "pending" or use_request.requester_id == user.pk:
        return False
    if not any(a.pk == user.pk for a in use_request.approvers.all()):
        return False
    return not any(d.approver_id == user.pk for d in use_request.decisions.all())


def can_authorise_autosign(m: Membership | None, seal) -> bool:
    """Authorise auto-sign (静默签) with a company seal, and revoke it: the owner (legal
    representative) alone, who confirms with a one-time code (PRODUCT.md §3)."""
    return (
        m is not None
        and _role(m) == Role.OWNER
        and seal.company_id is not None
        and seal.owner_id is None
        and m.company_id == seal.company_id
    )


def can_revoke_autosign(m: Membership | None, seal) -> bool:
    """Revoke an auto-sign authorisation at once: the owner, and administrators (an admin who
    finds auto-sign misused must not have to wait for the owner)."""
    return (
        m is not None
        and _role(m) in MANAGERS
        and seal.company_id is not None
        and m.company_id == seal.company_id
    )


def can_request_evidence(m: Membership | None, contract, user=None, parties=()) -> bool:
    """Ask for a contract's evidence report, download its reports and see its verification code:
    whoever may view the contract as its initiator (``m``: the membership in the initiating
    company), or as one of its parties (``parties``: ``(participant, membership)`` pairs) — once
    it was sent, since a draft has nothing to prove yet."""
    if contract.state == "draft" or contract.sent_at is None:
        return False
    if can_view_contract(m, contract, user):
        return True
    return any(can_view_contract_as_party(pm, p, user) for p, pm in parties)


def can_monitor_stamps(m: Membership | None) -> bool:
    """Watch and export the company's stamping records (用印监控, PRODUCT.md §5): the owner,
    administrators and seal keepers — the people answerable for the seals. Only ever the
    membership's own company: the pages filter by ``m.company``."""
    return _role(m) in {Role.OWNER, Role.ADMIN, Role.SEAL_KEEPER}
