"""Every permission decision about companies, in one place.

One function per decision, each taking the acting person's ``Membership`` (``None`` when they are
not a member, which always means no), except ``is_operator``, which is about the platform rather
than a company and takes the user. Views and templates ask these functions instead of comparing roles themselves, so a rule changes in exactly one place
and the table-driven tests in ``tests/orgs/test_permissions.py`` show every rule at a glance.

Ownership is a single person: the owner cannot be removed or demoted, only replaced through
``can_transfer_ownership``, so a company never ends up without an owner.
"""

from __future__ import annotations

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
    be used is decided when signing (seal users, keepers, owners and administrators use the
    company's active seals; members may not). Personal contracts are not offered yet."""
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


def can_use_company_seals(m: Membership | None) -> bool:
    """Stamp with the company's active seals: seal users, keepers, owners and administrators;
    members may not (until grants and approvals let them)."""
    return can_stamp_without_approval(m)


def can_sign_for(m: Membership | None, participant, user) -> bool:
    """Act for ``participant`` (sign or decline) when it is its turn: for a person party, that
    person; for a company party, a member of that company who may stamp (``m`` is the user's
    membership in the party's company) and, when the initiator named the member who stamps,
    that member or the company's owner."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if participant.kind == "person":
        return participant.user_id is not None and participant.user_id == user.pk
    if participant.company_id is None or m is None or m.company_id != participant.company_id:
        return False
    if not can_use_company_seals(m):
        return False
    if participant.user_id is not None and participant.user_id != user.pk:
        return _role(m) == Role.OWNER
    return True


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
