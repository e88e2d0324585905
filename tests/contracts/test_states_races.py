"""People acting at once, for real: threads on their own connections (SQLite by default,
PostgreSQL with DATABASE_URL). The contract row lock lets exactly one move through."""

from __future__ import annotations

import pytest

from chop.audit.models import AuditEvent
from chop.contracts import participants, sending
from chop.contracts.models import Contract
from chop.contracts.states import TransitionError
from tests.concurrency import at_once, errors

from .parties_support import make_draft, parties, three_party_draft

pytestmark = pytest.mark.django_db(transaction=True)

N = 6


def test_simultaneous_sends_send_once(world, sent):
    contract = three_party_draft(world)
    results = at_once(
        N, lambda i: sending.send(Contract.objects.get(pk=contract.pk), by=world["a_owner"])
    )
    failed = errors(results)
    assert len(failed) == N - 1
    assert all(isinstance(e, TransitionError) and e.code == "send.not_draft" for e in failed)
    assert [p.state for p in parties(contract)] == ["to_sign", "waiting", "waiting"]
    assert AuditEvent.objects.filter(action="contract.sent").count() == 1
    assert len(sent) == 1  # the first signer is told once


def test_decline_and_revoke_at_once_make_one_move(world, sent):
    contract = three_party_draft(world)
    sending.send(contract, by=world["a_owner"])
    first = parties(contract)[0]

    def act(i):
        if i % 2:
            return sending.decline(first, by=world["a_keeper"], reason=f"拒绝{i}")
        return sending.revoke(
            Contract.objects.get(pk=contract.pk), by=world["a_owner"], reason=f"撤回{i}"
        )

    results = at_once(N, act)
    assert len(errors(results)) == N - 1
    assert all(isinstance(e, TransitionError) for e in errors(results))
    row = Contract.objects.get(pk=contract.pk)
    assert row.state in {"declined", "revoked"}
    ends = AuditEvent.objects.filter(action__in=["contract.declined", "contract.revoked"])
    assert ends.count() == 1
    assert ends.get().data["reason"] == row.state_reason


def test_parallel_parties_signing_at_once_complete_the_contract_once(world, make_user, sent):
    contract = make_draft(world["a"], world["a_owner"], order="parallel")
    participants.add_initiator(contract, by=world["a_owner"])
    for i in range(N - 1):
        participants.add_person(
            contract, by=world["a_owner"], name=f"签署人{i}", contact=f"1370000{i:04d}"
        )
    sending.send(contract, by=world["a_owner"])
    everyone = parties(contract)
    assert len(everyone) == N

    results = at_once(N, lambda i: sending.mark_signed(everyone[i]))

    assert errors(results) == []
    assert [p.state for p in parties(contract)] == ["signed"] * N
    assert Contract.objects.get(pk=contract.pk).state == "completed"
    assert AuditEvent.objects.filter(action="contract.completed").count() == 1
    assert AuditEvent.objects.filter(action="contract.party_signed").count() == N


def test_adding_parties_at_once_keeps_positions_unique(world):
    contract = make_draft(world["a"], world["a_owner"])
    results = at_once(
        N,
        lambda i: participants.add_person(
            Contract.objects.get(pk=contract.pk),
            by=world["a_owner"],
            name=f"人{i}",
            contact=f"1360000{i:04d}",
        ),
    )
    assert errors(results) == []
    assert [p.position for p in parties(contract)] == list(range(N))
