"""Sending, signing progress, decline, revoke, expiry and reminders; notices only after commit."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.utils import timezone

from chop.contracts import notify, participants, sending
from chop.contracts.models import Contract, Participant
from chop.contracts.sending import SendError
from chop.contracts.states import TransitionError

from .parties_support import USCC_C, later, make_draft, parties, three_party_draft

pytestmark = pytest.mark.django_db


def states_of(contract):
    return [p.state for p in parties(contract)]


def addresses(outbox):
    return [to for to, _s, _b in outbox]


def test_sequential_send_activates_the_first_party_only_and_tells_it_after_commit(
    world, sent, django_capture_on_commit_callbacks
):
    contract = three_party_draft(world)
    with django_capture_on_commit_callbacks(execute=True):
        result = sending.send(contract, by=world["a_owner"])
        assert sent == []  # nothing leaves before the commit
    assert result.state == "signing" and result.sent_at is not None
    assert states_of(contract) == ["to_sign", "waiting", "waiting"]
    assert addresses(sent) == [world["a_keeper"].phone]
    assert "采购合同" in sent[0][2] and f"/contracts/{contract.pk}/" in sent[0][2]


def test_signing_in_order_activates_the_next_and_completes_at_the_end(
    world, sent, django_capture_on_commit_callbacks
):
    contract = three_party_draft(world)
    with django_capture_on_commit_callbacks(execute=True):
        sending.send(contract, by=world["a_owner"])
    a, b, p = parties(contract)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sending.mark_signed(a, by=world["a_keeper"])
    assert states_of(contract) == ["signed", "to_sign", "waiting"]
    assert addresses(sent) == [world["b_owner"].phone]  # B has no stamper: its owner is told
    with pytest.raises(TransitionError) as err:
        sending.mark_signed(p)  # not its turn
    assert err.value.code == "participant.sign.from_waiting"
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sending.mark_signed(b)
    assert addresses(sent) == [world["person"].phone]
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = sending.mark_signed(p)
    assert done.state == "completed" and done.finished_at is not None
    assert states_of(contract) == ["signed", "signed", "signed"]
    assert sorted(addresses(sent)) == sorted(
        [world["a_keeper"].phone, world["b_owner"].phone, world["person"].phone]
    )
    with pytest.raises(TransitionError):
        sending.revoke(contract, by=world["a_owner"], reason="晚了")


def test_parallel_send_activates_everyone(world, sent, django_capture_on_commit_callbacks):
    contract = three_party_draft(world, order="parallel")
    with django_capture_on_commit_callbacks(execute=True):
        sending.send(contract, by=world["a_owner"])
    assert states_of(contract) == ["to_sign"] * 3
    assert len(sent) == 3
    a, b, p = parties(contract)
    sending.mark_signed(p)
    sending.mark_signed(a)
    assert Contract.objects.get(pk=contract.pk).state == "signing"
    assert sending.mark_signed(b).state == "completed"


def test_an_unregistered_party_gets_an_invitation_link(
    world, sent, client, django_capture_on_commit_callbacks
):
    contract = make_draft(world["a"], world["a_owner"], order="parallel")
    participants.add_initiator(contract, by=world["a_owner"])
    c = participants.add_company(
        contract, by=world["a_owner"], name="丙方物流有限公司", uscc=USCC_C, contact="13900002222"
    )
    with django_capture_on_commit_callbacks(execute=True):
        sending.send(contract, by=world["a_owner"])
    (to, _subject, body) = next(m for m in sent if m[0] == "13900002222")
    link = notify.invite_url(c)
    assert link in body and "/contracts/invite/" in link
    page = client.get(urlsplit(link).path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "丙方物流有限公司" in html and "采购合同" in html and "/register/" in html
    assert client.get("/contracts/invite/forged-token/").status_code == 404


def test_send_lists_every_problem_and_changes_nothing(world, sent):
    contract = make_draft(
        world["a"],
        world["a_owner"],
        version=False,
        deadline=timezone.localdate() - datetime.timedelta(days=1),
    )
    participants.add_initiator(contract, by=world["a_owner"])
    with pytest.raises(SendError) as err:
        sending.send(contract, by=world["a_owner"])
    codes = [p.code for p in err.value.problems]
    assert codes == ["send.too_few_parties", "send.no_document", "send.deadline_past"]
    assert all(str(p.message) for p in err.value.problems)
    row = Contract.objects.get(pk=contract.pk)
    assert (row.state, row.sent_at) == ("draft", None)
    assert states_of(contract) == ["waiting"]
    assert sent == []


def test_send_refuses_an_unreachable_party(world, make_company, make_user):
    lonely = make_company("无人公司", owner=make_user("离职老板", is_active=False))
    lonely.uscc = USCC_C
    lonely.save(update_fields=["uscc"])
    contract = make_draft(world["a"], world["a_owner"])
    participants.add_initiator(contract, by=world["a_owner"])
    participants.add_company(contract, by=world["a_owner"], name="无人公司", uscc=USCC_C)
    with pytest.raises(SendError) as err:
        sending.send(contract, by=world["a_owner"])
    assert [p.code for p in err.value.problems] == ["send.unreachable"]
    assert "无人公司" in str(err.value.problems[0].message)


def test_a_deadline_today_is_still_sendable_and_a_sent_contract_cannot_be_sent_again(world):
    contract = three_party_draft(world)
    Contract.objects.filter(pk=contract.pk).update(deadline=timezone.localdate())
    sending.send(contract, by=world["a_owner"])
    with pytest.raises(SendError) as err:
        sending.send(contract, by=world["a_owner"])
    assert err.value.problems[0].code == "send.not_draft"


def test_nothing_is_sent_when_the_transaction_rolls_back(
    world, sent, django_capture_on_commit_callbacks
):
    contract = three_party_draft(world)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        sending.send(contract, by=world["a_owner"])
        raise RuntimeError("the caller failed after sending")
    assert callbacks == [] and sent == []
    assert Contract.objects.get(pk=contract.pk).state == "draft"
    assert states_of(contract) == ["waiting"] * 3


def test_decline_needs_a_reason_ends_the_contract_and_tells_the_others(
    world, sent, django_capture_on_commit_callbacks
):
    contract = three_party_draft(world)
    sending.send(contract, by=world["a_owner"])
    a, b, p = parties(contract)
    with pytest.raises(TransitionError) as err:
        sending.decline(a, by=world["a_keeper"], reason="  ")
    assert err.value.code == "decline.no_reason"
    with pytest.raises(TransitionError) as err:
        sending.decline(b, by=world["b_owner"], reason="不是我")  # not its turn
    assert err.value.code == "participant.decline.from_waiting"
    with django_capture_on_commit_callbacks(execute=True):
        result = sending.decline(a, by=world["a_keeper"], reason="价格有误")
    assert (result.state, result.state_reason) == ("declined", "价格有误")
    a = Participant.objects.get(pk=a.pk)
    assert (a.state, a.decline_reason) == ("declined", "价格有误") and a.acted_at
    assert sorted(addresses(sent)) == sorted([world["b_owner"].phone, world["person"].phone])
    assert all("价格有误" in body for _t, _s, body in sent)


def test_revoke_by_the_initiator_before_completion(world, sent, django_capture_on_commit_callbacks):
    from chop.orgs.permissions import can_revoke_contract

    contract = three_party_draft(world)
    sending.send(contract, by=world["a_owner"])
    owner_m = world["a"].memberships.get(user=world["a_owner"])
    keeper_m = world["a"].memberships.get(user=world["a_keeper"])
    contract.refresh_from_db()
    assert can_revoke_contract(owner_m, contract, world["a_owner"])
    assert not can_revoke_contract(keeper_m, contract, world["a_keeper"])
    assert not can_revoke_contract(None, contract, world["b_owner"])
    with pytest.raises(TransitionError) as err:
        sending.revoke(contract, by=world["a_owner"], reason="")
    assert err.value.code == "revoke.no_reason"
    with django_capture_on_commit_callbacks(execute=True):
        result = sending.revoke(contract, by=world["a_owner"], reason="条款要改")
    assert (result.state, result.state_reason) == ("revoked", "条款要改")
    assert len(sent) == 3 and all("条款要改" in b for _t, _s, b in sent)
    result.refresh_from_db()
    assert not can_revoke_contract(owner_m, result, world["a_owner"])


def test_expiry_comes_after_the_deadline_day(world, sent, django_capture_on_commit_callbacks):
    from chop.audit.models import AuditEvent

    contract = three_party_draft(world)
    sending.send(contract, by=world["a_owner"])
    deadline = Contract.objects.get(pk=contract.pk).deadline
    on_the_day = timezone.make_aware(datetime.datetime.combine(deadline, datetime.time(23, 0)))
    assert sending.expire_due(on_the_day) == 0
    assert Contract.objects.get(pk=contract.pk).state == "signing"
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert sending.expire_due(on_the_day + datetime.timedelta(hours=2)) == 1
    row = Contract.objects.get(pk=contract.pk)
    assert row.state == "expired" and row.finished_at == on_the_day + datetime.timedelta(hours=2)
    assert len(sent) == 3
    assert AuditEvent.objects.filter(action="contract.expired").count() == 1
    assert sending.expire_due(later(200)) == 0  # already expired: nothing twice
    with pytest.raises(TransitionError):
        sending.mark_signed(parties(contract)[0])


def test_drafts_and_finished_contracts_never_expire(world):
    draft = make_draft(
        world["a"], world["a_owner"], deadline=timezone.localdate() - datetime.timedelta(days=5)
    )
    assert sending.expire_due(later(1)) == 0
    assert Contract.objects.get(pk=draft.pk).state == "draft"


def test_manual_reminder_tells_whose_turn_it_is(world, sent, django_capture_on_commit_callbacks):
    contract = three_party_draft(world)
    with pytest.raises(TransitionError) as err:
        sending.remind(contract, by=world["a_owner"])
    assert err.value.code == "remind.not_signing"
    sending.send(contract, by=world["a_owner"])
    with django_capture_on_commit_callbacks(execute=True):
        assert sending.remind(contract, by=world["a_owner"]) == 1
    assert addresses(sent) == [world["a_keeper"].phone]
    assert sent[0][1].startswith(("Reminder", "提醒"))
    assert parties(contract)[0].last_reminded_at is not None


def test_automatic_reminders_every_three_days_until_the_deadline(
    world, sent, django_capture_on_commit_callbacks
):
    contract = three_party_draft(world)
    Contract.objects.filter(pk=contract.pk).update(
        deadline=timezone.localdate() + datetime.timedelta(days=10)
    )
    sent_at = timezone.now()
    sending.send(contract, by=world["a_owner"], now=sent_at)
    day = datetime.timedelta(days=1)
    assert sending.send_due_reminders(sent_at + 2 * day) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert sending.send_due_reminders(sent_at + 3 * day) == 1
    assert addresses(sent) == [world["a_keeper"].phone]
    assert sending.send_due_reminders(sent_at + 5 * day) == 0  # reminded 2 days ago
    assert sending.send_due_reminders(sent_at + 6 * day) == 1
    assert sending.send_due_reminders(sent_at + 20 * day) == 0  # past the deadline


def test_the_clock_command_expires_and_reminds(world, sent):
    from django.core.management import call_command

    contract = three_party_draft(world)
    sending.send(contract, by=world["a_owner"], now=later(-4))
    Contract.objects.filter(pk=contract.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    other = three_party_draft(world)
    Participant.objects.filter(contract=other).delete()
    call_command("expire_contracts")  # the test settings run tasks immediately
    assert Contract.objects.get(pk=contract.pk).state == "expired"


def test_steps_are_audited(world):
    from chop.audit.models import AuditEvent

    contract = three_party_draft(world)
    sending.send(contract, by=world["a_owner"])
    for p in parties(contract):
        sending.mark_signed(p)
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "contract.sent" in actions and "contract.completed" in actions
    assert actions.count("contract.party_signed") == 3
