"""Sending a contract and what follows: decline, revoke, signing progress, expiry, reminders.

Each function is one transaction that locks the contract row (``states.move``), so two people
acting at once make exactly one move; notifications are queued for after commit (``notify``).

What ``send`` requires (decided here; PRODUCT.md §4): the contract is a draft; it has at least two
parties (a contract binds someone besides its initiator); a document version exists (previews
may still be rendering: they do not change what is signed); the deadline is today or later (the
deadline is a date, signable until its end); and every party can be reached (a registered user,
a contact to invite, or a registered company with an owner or administrator).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chop.audit.events import record

from . import notify, positions
from .models import Contract, ContractState, Participant, ParticipantState, SigningOrder
from .states import TransitionError, lock_contract, move

log = logging.getLogger(__name__)

MIN_PARTIES = 2
REMINDER_EVERY = datetime.timedelta(days=3)
# A manual reminder within an hour of the last one (manual or automatic) is refused: the party
# has just been told, and repeated messages read as pressure, or as spam to the carriers.
MANUAL_REMINDER_GAP = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


class SendError(TransitionError):
    """The contract cannot be sent; ``problems`` lists every reason (each with its message)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(" ".join(str(p.message) for p in problems), code=problems[0].code)
        self.problems = problems


def send_problems(contract: Contract, *, today: datetime.date | None = None) -> list[Problem]:
    """Everything that stops ``contract`` from being sent now (empty when it can be)."""
    today = today or timezone.localdate()
    problems: list[Problem] = []
    if contract.state != ContractState.DRAFT:
        problems.append(Problem("send.not_draft", _("Only a draft can be sent.")))
    parties = list(contract.participants.select_related("user", "company"))
    if len(parties) < MIN_PARTIES:
        problems.append(
            Problem("send.too_few_parties", _("Add at least one other party before sending."))
        )
    if not contract.versions.exists():
        problems.append(Problem("send.no_document", _("Upload the document before sending.")))
    if contract.deadline < today:
        problems.append(
            Problem("send.deadline_past", _("The signing deadline has passed: set a later one."))
        )
    for p in parties:
        if not notify.reachable(p):
            problems.append(
                Problem(
                    "send.unreachable",
                    _("%(name)s cannot be reached: add a mobile number or e-mail.")
                    % {"name": p.name},
                )
            )
    for code, message in positions.problems(contract):
        problems.append(Problem(code, message))
    return problems


def _first_signers(
    contract: Contract, parties: list[Participant] | None = None
) -> list[Participant]:
    """The waiting parties whose turn comes now: every one (parallel) or the first in order.
    ``parties``: the contract's parties in hand (read under its lock); else they are read."""
    if parties is None:
        waiting = list(
            contract.participants.filter(state=ParticipantState.WAITING).order_by("position")
        )
    else:
        waiting = sorted(
            (p for p in parties if p.state == ParticipantState.WAITING), key=lambda p: p.position
        )
    return waiting if contract.order == SigningOrder.PARALLEL else waiting[:1]


def _activate(
    parties: list[Participant], now: datetime.datetime, *, locked: Contract | None = None
) -> list[Participant]:
    active = []
    for p in parties:
        fresh = move(p, "activate", locked=locked, invited_at=now)
        notify.your_turn(fresh)
        active.append(fresh)
    return active


def send(contract: Contract, *, by, now: datetime.datetime | None = None) -> Contract:
    """Validate and send: draft → signing; the first party (in order) or every party (parallel)
    becomes ``to_sign`` and is told. Raises :class:`SendError` with every problem."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_contract(contract.pk)
        problems = send_problems(locked, today=timezone.localdate(now))
        if problems:
            raise SendError(problems)
        locked = move(locked, "send", sent_at=now, state_reason="")  # type: ignore[assignment]
        active = _activate(_first_signers(locked), now)
        record(
            "contract.sent",
            actor=by,
            company=locked.company,
            obj=locked,
            order=locked.order,
            parties=locked.participants.count(),
            to_sign=[p.pk for p in active],
        )
    return locked


def decline(participant: Participant, *, by, reason: str) -> Contract:
    """The party whose turn it is declines: it and the contract become declined; the others are
    told. A reason is required."""
    reason = (reason or "").strip()[:500]
    if not reason:
        raise TransitionError(_("Say why you decline."), code="decline.no_reason")
    now = timezone.now()
    with transaction.atomic():
        contract = lock_contract(participant.contract_id)
        party = move(participant, "decline", decline_reason=reason, acted_at=now)
        contract = move(contract, "decline", state_reason=reason, finished_at=now)  # type: ignore[assignment]
        notify.contract_ended(contract, skip=party)  # type: ignore[arg-type]
        record(
            "contract.declined",
            actor=by,
            company=contract.company,
            obj=contract,
            participant=party.pk,
            reason=reason,
        )
    return contract


def revoke(contract: Contract, *, by, reason: str) -> Contract:
    """The initiator withdraws the contract before it completes (permission:
    ``orgs.permissions.can_revoke_contract``). A reason is required; every party is told."""
    reason = (reason or "").strip()[:500]
    if not reason:
        raise TransitionError(_("Say why you revoke the contract."), code="revoke.no_reason")
    with transaction.atomic():
        was_sent = lock_contract(contract.pk).state == ContractState.SIGNING
        contract = move(contract, "revoke", state_reason=reason, finished_at=timezone.now())  # type: ignore[assignment]
        if was_sent:
            notify.contract_ended(contract)
        record("contract.revoked", actor=by, company=contract.company, obj=contract, reason=reason)
    return contract


def mark_signed(participant: Participant, *, by=None, locked: Contract | None = None) -> Contract:
    """Record that ``participant`` signed (the signing page calls this inside its act): the next
    waiting party becomes ``to_sign`` in order, or the contract completes when all have signed.

    ``locked``: the contract the act already locked in its transaction, with ``participant``
    read under that lock; nothing is locked or read again (see ``states.move``)."""
    now = timezone.now()
    with transaction.atomic(savepoint=locked is None):
        contract = locked if locked is not None else lock_contract(participant.contract_id)
        if contract.state != ContractState.SIGNING:
            raise TransitionError(
                _("This contract is not being signed."), code="sign.contract_not_signing"
            )
        party = move(participant, "sign", locked=locked, acted_at=now)
        record(
            "contract.party_signed",
            actor=by,
            company=contract.company,
            obj=contract,
            participant=party.pk,
        )
        parties = _parties_in_hand(contract, party)
        if parties is not None:
            all_signed = all(p.state == ParticipantState.SIGNED for p in parties)
        else:
            all_signed = not contract.participants.exclude(state=ParticipantState.SIGNED).exists()
        if all_signed:
            contract = move(contract, "complete", locked=locked, finished_at=now)  # type: ignore[assignment]
            notify.contract_ended(contract)
            copies = notify.copies_sent(contract)
            record(
                "contract.completed",
                actor=by,
                company=contract.company,
                obj=contract,
                copies=copies,
            )
        elif contract.order == SigningOrder.SEQUENTIAL:
            # read under the lock this act holds (``locked``), so moved without reading again
            _activate(_first_signers(contract, parties), now, locked=locked)
    return contract


def _parties_in_hand(contract: Contract, party: Participant) -> list[Participant] | None:
    """The contract's parties when the caller read them along with the contract, under its
    lock, and ``party`` (just moved in place) is one of those very objects: the act then
    decides what follows from them and moves them in place, so the caller can answer with the
    contract it holds. None otherwise (the parties are asked from the database)."""
    parties = contract.parties_read_along()
    if parties is None or not any(p is party for p in parties):
        return None
    return parties


def expire_due(now: datetime.datetime | None = None) -> int:
    """Move contracts still being signed after their deadline day to expired; return how many.
    Each contract is its own transaction, so one failure does not hold back the others, and a
    contract signed or revoked meanwhile is skipped."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    ids = list(
        Contract.objects.filter(state=ContractState.SIGNING, deadline__lt=today).values_list(
            "pk", flat=True
        )
    )
    done = 0
    for pk in ids:
        try:
            with transaction.atomic():
                contract = move(Contract(pk=pk), "expire", finished_at=now)
                assert isinstance(contract, Contract)
                if contract.deadline >= today:  # the deadline moved meanwhile
                    raise TransitionError("", code="expire.not_due")
                notify.contract_ended(contract)
                record("contract.expired", actor=None, company=contract.company, obj=contract)
            done += 1
        except TransitionError:
            continue
    return done


def remind(contract: Contract, *, by=None, now: datetime.datetime | None = None) -> int:
    """Remind every party whose turn it is; return how many were reminded. A manual reminder
    (``by`` given) within ``MANUAL_REMINDER_GAP`` of the last one is refused."""
    now = now or timezone.now()
    with transaction.atomic():
        contract = lock_contract(contract.pk)
        if contract.state != ContractState.SIGNING:
            raise TransitionError(
                _("Only a contract being signed can be reminded."), code="remind.not_signing"
            )
        parties = list(
            contract.participants.filter(state=ParticipantState.TO_SIGN).select_related(
                "user", "company", "contract"
            )
        )
        last = max((p.last_reminded_at for p in parties if p.last_reminded_at), default=None)
        if by is not None and last is not None and last > now - MANUAL_REMINDER_GAP:
            raise TransitionError(
                _("The parties were reminded at %(time)s. You can remind them again from %(next)s.")
                % {
                    "time": timezone.localtime(last).strftime("%H:%M"),
                    "next": timezone.localtime(last + MANUAL_REMINDER_GAP).strftime("%H:%M"),
                },
                code="remind.too_soon",
            )
        for p in parties:
            notify.your_turn(p, reminder=True)
        Participant.objects.filter(pk__in=[p.pk for p in parties]).update(last_reminded_at=now)
        record(
            "contract.reminded",
            actor=by,
            company=contract.company,
            obj=contract,
            participants=[p.pk for p in parties],
            automatic=by is None,
        )
    return len(parties)


def send_due_reminders(now: datetime.datetime | None = None) -> int:
    """Remind, every 3 days until the deadline, the parties whose turn it is; return how many
    contracts were reminded. A party's clock is its last reminder, or when its turn came."""
    now = now or timezone.now()
    cutoff = now - REMINDER_EVERY
    due = (
        Participant.objects.filter(
            state=ParticipantState.TO_SIGN,
            contract__state=ContractState.SIGNING,
            contract__deadline__gte=timezone.localdate(now),
        )
        .exclude(last_reminded_at__gt=cutoff)
        .exclude(last_reminded_at__isnull=True, invited_at__gt=cutoff)
        .values_list("contract_id", flat=True)
        .distinct()
    )
    done = 0
    for contract_id in list(due):
        try:
            remind(Contract(pk=contract_id), now=now)
            done += 1
        except TransitionError:
            continue
    return done
