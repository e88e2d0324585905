"""The one transition table of contracts and their participants (PRODUCT.md §4).

contract:    draft → signing → completed | declined | revoked | expired
             (a draft may also be revoked: the initiator drops it before sending)
participant: waiting → to_sign → signed | declined

Every state change goes through :func:`move`, under a row lock of the contract (for a participant
too), after re-reading the row: two people acting at once make exactly one move, and the other
gets :class:`TransitionError` with a translated message. Callers run it inside their own
transaction when a move is one step of several (``sending``); the lock lasts until that commits.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Contract, ContractState, Participant, ParticipantState

C, P = ContractState, ParticipantState

# action: (states it starts from, state it leads to)
CONTRACT_MOVES: dict[str, tuple[frozenset[str], str]] = {
    "send": (frozenset({C.DRAFT}), C.SIGNING),
    "complete": (frozenset({C.SIGNING}), C.COMPLETED),
    "decline": (frozenset({C.SIGNING}), C.DECLINED),
    "revoke": (frozenset({C.DRAFT, C.SIGNING}), C.REVOKED),
    "expire": (frozenset({C.SIGNING}), C.EXPIRED),
}
PARTICIPANT_MOVES: dict[str, tuple[frozenset[str], str]] = {
    "activate": (frozenset({P.WAITING}), P.TO_SIGN),
    "sign": (frozenset({P.TO_SIGN}), P.SIGNED),
    "decline": (frozenset({P.TO_SIGN}), P.DECLINED),
}

# What the user is told when a move is refused (the state is appended by ``_refusal``).
CONTRACT_REFUSALS = {
    "send": _("Only a draft can be sent."),
    "complete": _("Only a contract being signed can be completed."),
    "decline": _("Only a contract being signed can be declined."),
    "revoke": _("A contract can be revoked only before it is completed, declined or expired."),
    "expire": _("Only a contract being signed can expire."),
}
PARTICIPANT_REFUSALS = {
    "activate": _("This party's turn has already come."),
    "sign": _("It is not this party's turn to sign."),
    "decline": _("Only a party whose turn it is can decline."),
}
FINAL_CONTRACT_STATES = frozenset({C.COMPLETED, C.DECLINED, C.REVOKED, C.EXPIRED})


class TransitionError(Exception):
    """A refused move: ``code`` for programs and tests, ``message`` for the user (translated)."""

    def __init__(self, message, *, code: str) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code


def allowed(obj: Contract | Participant, action: str) -> bool:
    """Whether ``action`` is a move out of ``obj``'s current state (for showing buttons)."""
    table = CONTRACT_MOVES if isinstance(obj, Contract) else PARTICIPANT_MOVES
    move = table.get(action)
    return move is not None and obj.state in move[0]


def lock_contract(contract_id: int) -> Contract:
    """The contract row, locked until the current transaction ends (call inside ``atomic``),
    with its company read in the same statement (the audit records and notices that follow
    name it); only the contract's row is locked."""
    return (
        Contract.objects.select_for_update(of=("self",))
        .select_related("company")
        .get(pk=contract_id)
    )


def move(
    obj: Contract | Participant, action: str, *, locked: Contract | None = None, **fields: Any
) -> Contract | Participant:
    """Apply ``action`` to a contract or participant and save ``fields`` with the new state.

    Locks the contract row, re-reads ``obj`` and checks the table against its state *now*;
    returns the fresh, saved object. Raises :class:`TransitionError` (nothing written) if the
    action is unknown or does not start from the current state.

    ``locked``: the contract, already locked by the caller's transaction (``lock_contract``),
    with ``obj`` read under that lock (the contract itself, or a party read after locking it).
    The move then neither locks nor reads again, and opens no savepoint: a refusal aborts the
    caller's transaction, which is what a caller holding the lock for a whole act wants.
    """
    is_contract = isinstance(obj, Contract)
    table = CONTRACT_MOVES if is_contract else PARTICIPANT_MOVES
    refusals = CONTRACT_REFUSALS if is_contract else PARTICIPANT_REFUSALS
    kind = "contract" if is_contract else "participant"
    if action not in table:
        raise TransitionError(_("This action is not possible."), code=f"{kind}.unknown_action")
    sources, target = table[action]
    with transaction.atomic(savepoint=locked is None):
        if locked is not None:
            contract, fresh = locked, obj
        else:
            contract = lock_contract(obj.pk if is_contract else obj.contract_id)  # type: ignore[attr-defined]
            fresh = contract if is_contract else Participant.objects.get(pk=obj.pk)
        if fresh.state not in sources:
            label = (ContractState if is_contract else ParticipantState)(fresh.state).label
            raise TransitionError(
                _("%(refusal)s It is now: %(state)s.")
                % {"refusal": refusals[action], "state": label},
                code=f"{kind}.{action}.from_{fresh.state}",
            )
        fresh.state = target
        for name, value in fields.items():
            setattr(fresh, name, value)
        update = ["state", *fields]
        if is_contract:
            update.append("updated_at")
        fresh.save(update_fields=update)
        if not is_contract:
            # The contract's list order follows activity on any of its parties.
            Contract.objects.filter(pk=contract.pk).update(updated_at=timezone.now())
    return fresh
