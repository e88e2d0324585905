"""Positions changed by several people at once, for real: threads on their own connections
(SQLite by default, PostgreSQL with DATABASE_URL). Every change holds the contract row lock, so
the cap per party holds and nothing is placed on a contract once it has been sent."""

from __future__ import annotations

import pytest

from chop.audit.models import AuditEvent
from chop.contracts import positions, sending
from chop.contracts.models import Contract, Position
from chop.contracts.positions import PositionError
from tests.concurrency import at_once, errors

from .parties_support import parties, three_party_draft

pytestmark = pytest.mark.django_db(transaction=True)

N = 6


def _single(i: int) -> dict:
    return {"form": "single", "page": 1, "x_mm": 10 + i, "y_mm": 10 + i}


def test_the_cap_per_party_holds_when_people_add_at_once(world):
    contract = three_party_draft(world)
    party = parties(contract)[0]
    for i in range(positions.MAX_POSITIONS_PER_PARTY - 2):
        positions.add(contract, party, _single(i), by=world["a_owner"])
    results = at_once(
        N, lambda i: positions.add(contract, party, _single(100 + i), by=world["a_owner"])
    )
    failed = errors(results)
    assert len(failed) == N - 2, failed
    assert all(isinstance(e, PositionError) and e.code == "position.too_many" for e in failed)
    assert party.positions.count() == positions.MAX_POSITIONS_PER_PARTY


def test_nothing_is_placed_after_the_contract_is_sent(world, sent):
    contract = three_party_draft(world)
    first = parties(contract)[0]

    def act(i):
        if i == 0:
            return sending.send(Contract.objects.get(pk=contract.pk), by=world["a_owner"])
        return positions.add(contract, first, _single(i), by=world["a_owner"])

    results = at_once(N, act)
    assert not isinstance(results[0], BaseException), results[0]
    refused = errors(results)
    assert all(isinstance(e, PositionError) and e.code == "position.not_draft" for e in refused)
    assert Position.objects.count() == N - 1 - len(refused)
    sent_at = AuditEvent.objects.get(action="contract.sent").pk
    added = AuditEvent.objects.filter(action="contract.position_added")
    assert added.count() == Position.objects.count()
    assert all(e.pk < sent_at for e in added)  # every placed position came before the send
