"""The transition table: every allowed move works, every other is refused with its message."""

from __future__ import annotations

import pytest
from django.utils import translation

from chop.contracts import states
from chop.contracts.models import ContractState, ParticipantState
from chop.contracts.states import CONTRACT_MOVES, PARTICIPANT_MOVES, TransitionError, move

from .parties_support import make_draft, parties, three_party_draft

pytestmark = pytest.mark.django_db

CONTRACT_CASES = [(s, a) for s in ContractState.values for a in CONTRACT_MOVES]
PARTICIPANT_CASES = [(s, a) for s in ParticipantState.values for a in PARTICIPANT_MOVES]


def test_the_table_is_the_documented_graph():
    graph = {a: (sorted(src), dst) for a, (src, dst) in CONTRACT_MOVES.items()}
    assert graph == {
        "send": (["draft"], "signing"),
        "complete": (["signing"], "completed"),
        "decline": (["signing"], "declined"),
        "revoke": (["draft", "signing"], "revoked"),
        "expire": (["signing"], "expired"),
    }
    pgraph = {a: (sorted(src), dst) for a, (src, dst) in PARTICIPANT_MOVES.items()}
    assert pgraph == {
        "activate": (["waiting"], "to_sign"),
        "sign": (["to_sign"], "signed"),
        "decline": (["to_sign"], "declined"),
    }
    # Final states have no way out.
    for final in ("completed", "declined", "revoked", "expired"):
        assert not any(final in src for src, _ in CONTRACT_MOVES.values())
    for final in ("signed", "declined"):
        assert not any(final in src for src, _ in PARTICIPANT_MOVES.values())


@pytest.mark.parametrize(("state", "action"), CONTRACT_CASES)
def test_contract_move(world, state, action):
    from chop.contracts.models import Contract

    contract = make_draft(world["a"], world["a_owner"])
    Contract.objects.filter(pk=contract.pk).update(state=state)
    sources, target = CONTRACT_MOVES[action]
    if state in sources:
        assert states.allowed(Contract.objects.get(pk=contract.pk), action)
        result = move(contract, action, state_reason="因为")
        assert result.state == target
        row = Contract.objects.get(pk=contract.pk)
        assert (row.state, row.state_reason) == (target, "因为")
    else:
        assert not states.allowed(Contract.objects.get(pk=contract.pk), action)
        with translation.override("en"):
            with pytest.raises(TransitionError) as err:
                move(contract, action, state_reason="因为")
            assert str(ContractState(state).label) in str(err.value.message)
        assert err.value.code == f"contract.{action}.from_{state}"
        row = Contract.objects.get(pk=contract.pk)
        assert (row.state, row.state_reason) == (state, "")


@pytest.mark.parametrize(("state", "action"), PARTICIPANT_CASES)
def test_participant_move(world, state, action):
    from chop.contracts.models import Participant

    contract = three_party_draft(world)
    party = parties(contract)[1]
    Participant.objects.filter(pk=party.pk).update(state=state)
    sources, target = PARTICIPANT_MOVES[action]
    if state in sources:
        result = move(party, action, decline_reason="不同意")
        assert result.state == target
        row = Participant.objects.get(pk=party.pk)
        assert (row.state, row.decline_reason) == (target, "不同意")
    else:
        with translation.override("zh-hans"), pytest.raises(TransitionError) as err:
            move(party, action, decline_reason="不同意")
        assert err.value.code == f"participant.{action}.from_{state}"
        assert str(err.value.message)  # translated text, not empty
        with translation.override("zh-hans"):
            assert str(ParticipantState(state).label) in str(err.value.message)
        row = Participant.objects.get(pk=party.pk)
        assert (row.state, row.decline_reason) == (state, "")


def test_refusal_messages_are_translated(world):
    contract = make_draft(world["a"], world["a_owner"])
    move(contract, "revoke")
    with translation.override("zh-hans"):
        with pytest.raises(TransitionError) as err:
            move(contract, "send")
        message = str(err.value.message)
        revoked = str(ContractState.REVOKED.label)
    assert message.startswith("只有草稿"), message
    assert revoked in message and revoked != "Revoked", message


def test_unknown_action_is_refused(world):
    contract = make_draft(world["a"], world["a_owner"])
    with pytest.raises(TransitionError) as err:
        move(contract, "archive")
    assert err.value.code == "contract.unknown_action"
    with pytest.raises(TransitionError) as err:
        move(parties(three_party_draft(world))[0], "send")
    assert err.value.code == "participant.unknown_action"


def test_move_reads_the_state_now_not_the_stale_object(world):
    from chop.contracts.models import Contract

    contract = make_draft(world["a"], world["a_owner"])
    stale = Contract.objects.get(pk=contract.pk)
    move(contract, "send")
    with pytest.raises(TransitionError):
        move(stale, "send")  # the object still says draft; the row does not
