"""Adding, removing and reordering a draft's parties (PRODUCT.md §4).

Parties are found among registered companies (by name and USCC) and registered users (by mobile
number or e-mail); whoever is not found keeps the contact given, and is invited when the contract
is sent. The initiating company is party 0, with the member who stamps. Every change locks the
contract row and checks it is still a draft, so nothing changes under a send.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from chop.audit.events import record

from .models import Contract, Participant, ParticipantKind
from .states import TransitionError, lock_contract

USCC_LENGTH = 18


class ParticipantError(Exception):
    """Bad party data: ``code`` for programs, ``message`` for the user."""

    def __init__(self, message, *, code: str) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code


def normalise_contact(raw: str) -> str:
    from chop.accounts.targets import parse_target

    if not (raw or "").strip():
        return ""
    try:
        return parse_target(raw).value
    except ValidationError as exc:
        raise ParticipantError(exc.messages[0], code="participant.bad_contact") from exc


def find_user(contact: str):
    """The active registered user with this (normalised) mobile number or e-mail, or None."""
    from chop.accounts.models import User

    if not contact:
        return None
    field = "email__iexact" if "@" in contact else "phone"
    return User.objects.filter(is_active=True, **{field: contact}).first()


def find_company(name: str, uscc: str):
    """The registered company with exactly this USCC and name, or None (a name alone is not
    enough: names repeat, the USCC does not)."""
    from chop.orgs.models import Company

    if not uscc:
        return None
    return Company.objects.filter(uscc=uscc.upper(), name=name.strip()).first()


def _draft(contract: Contract) -> Contract:
    locked = lock_contract(contract.pk)
    if not locked.is_draft:
        raise TransitionError(
            _("Parties can be changed only while the contract is a draft."),
            code="participant.not_draft",
        )
    return locked


def _next_position(contract: Contract) -> int:
    top = contract.participants.aggregate(m=Max("position"))["m"]
    return 0 if top is None else top + 1


def _audit(action: str, contract: Contract, by, participant: Participant, **data) -> None:
    record(
        action,
        actor=by,
        company=contract.company,
        obj=contract,
        participant=participant.pk,
        name=participant.name,
        **data,
    )


def add_initiator(contract: Contract, *, by, stamper=None) -> Participant:
    """Make the initiating company (or, in the personal space, the creator) party 0.

    Idempotent: if the initiator is already a party, that party is returned (with the stamper
    updated when given)."""
    with transaction.atomic():
        contract = _draft(contract)
        company = contract.company
        existing = (
            contract.participants.filter(company=company).first()
            if company
            else contract.participants.filter(user=contract.created_by).first()
        )
        if existing is not None:
            if stamper is not None and existing.user_id != stamper.pk:
                existing.user = stamper
                existing.save(update_fields=["user"])
            return existing
        # Party 0 signs first; shift the others down (two passes keep positions unique).
        shift_positions(contract, 1)
        if company is not None:
            party = Participant.objects.create(
                contract=contract,
                position=0,
                kind=ParticipantKind.COMPANY,
                company=company,
                user=stamper or by,
                name=company.name,
                uscc=company.uscc or "",
            )
        else:
            party = Participant.objects.create(
                contract=contract,
                position=0,
                kind=ParticipantKind.PERSON,
                user=contract.created_by,
                name=contract.created_by.display_name,
            )
        _audit("contract.party_added", contract, by, party)
        return party


def shift_positions(contract: Contract, by: int) -> None:
    parties = list(contract.participants.order_by("position"))
    _renumber(parties, [p.position + by for p in parties])


def _renumber(parties: list[Participant], positions: list[int]) -> None:
    """Give ``parties`` the ``positions`` without ever breaking the unique order: first move them
    all past the current maximum, then to their places."""
    if not parties:
        return
    high = max(p.position for p in parties) + max(positions) + 1
    for i, p in enumerate(parties):
        Participant.objects.filter(pk=p.pk).update(position=high + i)
    for p, pos in zip(parties, positions, strict=True):
        Participant.objects.filter(pk=p.pk).update(position=pos)
        p.position = pos


def add_company(
    contract: Contract, *, by, name: str, uscc: str = "", contact: str = ""
) -> Participant:
    """Add another company: registered (found by name and USCC) or to invite (name, USCC and a
    contact to send the invitation to). A registered company's operator is the user found by the
    contact when they are its member; otherwise the company's owner and administrators are told."""
    name = (name or "").strip()
    uscc = (uscc or "").strip().upper()
    if not name:
        raise ParticipantError(_("Enter the company's name."), code="participant.no_name")
    if len(uscc) != USCC_LENGTH or not uscc.isalnum():
        raise ParticipantError(
            _("Enter the company's 18-character unified social credit code."),
            code="participant.bad_uscc",
        )
    contact = normalise_contact(contact)
    company = find_company(name, uscc)
    user = find_user(contact)
    if company is not None and user is not None:
        if not company.memberships.filter(user=user).exists():
            user = None
    elif company is None:
        user = None  # an unregistered company is invited through the contact
        if not contact:
            raise ParticipantError(
                _(
                    "This company is not registered on Chop: enter a mobile number or e-mail "
                    "to invite it."
                ),
                code="participant.unreachable",
            )
    with transaction.atomic():
        contract = _draft(contract)
        if company is not None and contract.participants.filter(company=company).exists():
            raise ParticipantError(
                _("This company is already a party."), code="participant.duplicate"
            )
        if company is None and contract.participants.filter(uscc=uscc).exists():
            raise ParticipantError(
                _("This company is already a party."), code="participant.duplicate"
            )
        party = Participant.objects.create(
            contract=contract,
            position=_next_position(contract),
            kind=ParticipantKind.COMPANY,
            company=company,
            user=user,
            name=company.name if company else name,
            uscc=uscc,
            contact=contact,
        )
        _audit("contract.party_added", contract, by, party, registered=company is not None)
        return party


def add_person(contract: Contract, *, by, name: str, contact: str) -> Participant:
    """Add a person by name and mobile number or e-mail: the registered user with that contact,
    or an invitation to that contact."""
    name = (name or "").strip()
    if not name:
        raise ParticipantError(_("Enter the person's name."), code="participant.no_name")
    contact = normalise_contact(contact)
    if not contact:
        raise ParticipantError(
            _("Enter the person's mobile number or e-mail."), code="participant.no_contact"
        )
    user = find_user(contact)
    with transaction.atomic():
        contract = _draft(contract)
        dup = contract.participants.filter(kind=ParticipantKind.PERSON)
        if (user and dup.filter(user=user).exists()) or dup.filter(contact=contact).exists():
            raise ParticipantError(
                _("This person is already a party."), code="participant.duplicate"
            )
        party = Participant.objects.create(
            contract=contract,
            position=_next_position(contract),
            kind=ParticipantKind.PERSON,
            user=user,
            name=name,
            contact=contact,
        )
        _audit("contract.party_added", contract, by, party, registered=user is not None)
        return party


def remove(participant: Participant, *, by) -> None:
    """Remove a party from a draft; the others close up so positions stay 0, 1, 2 ..."""
    with transaction.atomic():
        contract = _draft(participant.contract)
        party = contract.participants.filter(pk=participant.pk).first()
        if party is None:
            return
        # Its designated positions go with it (CASCADE); the record says which, as the
        # positions' own changes are recorded one by one.
        from .positions import describe

        dropped = [describe(p) for p in party.positions.order_by("pk")]
        party.delete()
        parties = list(contract.participants.order_by("position"))
        _renumber(parties, list(range(len(parties))))
        _audit("contract.party_removed", contract, by, party, positions=dropped)


def reorder(contract: Contract, order: list[int], *, by) -> list[Participant]:
    """Set the signing order: ``order`` lists every party's id, first signer first."""
    with transaction.atomic():
        contract = _draft(contract)
        parties = {p.pk: p for p in contract.participants.all()}
        if sorted(order) != sorted(parties):
            raise ParticipantError(
                _("The new order must list every party once."), code="participant.bad_order"
            )
        ordered = [parties[pk] for pk in order]
        _renumber(ordered, list(range(len(ordered))))
        record("contract.parties_reordered", actor=by, company=contract.company, obj=contract)
        return ordered


def note_viewed(participant: Participant, *, by, request=None) -> bool:
    """Record ``contract.viewed`` the first time someone opens a sent contract to act for
    ``participant`` (the evidence report's "viewed" line and the ``contract.viewed`` webhook).
    Later visits add nothing; returns whether this one was recorded."""
    from chop.audit.models import AuditEvent

    contract = participant.contract
    if contract.sent_at is None:
        return False
    seen = AuditEvent.objects.filter(
        action="contract.viewed",
        object_type=contract._meta.label_lower,
        object_id=str(contract.pk),
        data__participant=participant.pk,
    ).exists()
    if seen:
        return False
    record(
        "contract.viewed",
        request=request,
        actor=by,
        company=contract.company,
        obj=contract,
        participant=participant.pk,
    )
    return True
