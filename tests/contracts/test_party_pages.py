"""The parties card and what follows sending, through the pages: add the initiator with who
stamps, another company (USCC checked, or found by its operator) and a person; remove and move;
send with its problems listed, or send and tell the first signer after commit; revoke with a
confirm step; remind at most once an hour; decline by the party whose turn it is."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from chop.audit.models import AuditEvent
from chop.contracts import participants, sending
from chop.contracts.models import Contract, Participant, Position
from chop.orgs.models import Role

from .parties_support import make_draft, parties, three_party_draft

pytestmark = pytest.mark.django_db

VALID_USCC_B = "91310000MA1FL8XQ11"
VALID_USCC_C = "91440300MA5G2PLX38"


def _detail(contract) -> str:
    return reverse("contract_detail", args=[contract.pk])


def _url(name, contract, *args) -> str:
    return reverse(name, args=[contract.pk, *args])


@pytest.fixture
def b_valid(world):
    """Company B with a USCC whose check characters are right (the form checks them)."""
    world["b"].uscc = VALID_USCC_B
    world["b"].save(update_fields=["uscc"])
    return world["b"]


def test_empty_parties_say_what_to_do_and_offer_the_forms(world, login):
    contract = make_draft(world["a"], world["a_owner"])
    body = (
        login(world["a_owner"], world["a"])
        .get(_detail(contract), HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert 'data-testid="no-parties"' in body and "Start with your company" in body
    for form in ("initiator-form", "company-form", "person-form"):
        assert f'data-testid="{form}"' in body
    # the stamper select offers the members who may stamp: the owner and the keeper
    assert world["a_keeper"].display_name in body
    assert 'data-testid="send-problems"' in body and "Add at least one other party" in body


def test_stamper_choices_are_every_active_member(world, make_user):
    """Any member may be named to stamp: which seal they may use is may_stamp's decision when
    they sign (a plain member asks for approval there). A deactivated account is not offered."""
    from chop.contracts.party_forms import InitiatorForm
    from chop.orgs.models import Membership

    plain = make_user("甲方员工")
    Membership.objects.create(company=world["a"], user=plain, role=Role.MEMBER)
    gone = make_user("甲方离职员工")
    Membership.objects.create(company=world["a"], user=gone, role=Role.SEAL_USER)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    form = InitiatorForm(company=world["a"])
    offered = {pk for pk, _label in form.fields["stamper"].choices}
    assert offered == {world["a_owner"].pk, world["a_keeper"].pk, plain.pk}
    assert InitiatorForm({"stamper": plain.pk}, company=world["a"]).is_valid()
    refused = InitiatorForm({"stamper": gone.pk}, company=world["a"])
    assert not refused.is_valid() and "stamper" in refused.errors


def test_add_the_initiator_with_its_stamper(world, login):
    contract = make_draft(world["a"], world["a_owner"])
    client = login(world["a_owner"], world["a"])
    resp = client.post(
        _url("contract_party_initiator", contract), {"stamper": world["a_keeper"].pk}
    )
    assert resp.status_code == 302 and resp["Location"].startswith(_detail(contract))
    (party,) = parties(contract)
    assert party.company == world["a"] and party.user == world["a_keeper"] and party.position == 0
    # a second post changes who stamps, it does not add the company twice
    client.post(_url("contract_party_initiator", contract), {"stamper": world["a_owner"].pk})
    (party,) = parties(contract)
    assert party.user == world["a_owner"]


def test_add_a_registered_company_by_name_and_uscc(world, b_valid, login):
    contract = make_draft(world["a"], world["a_owner"])
    resp = login(world["a_owner"], world["a"]).post(
        _url("contract_party_company", contract),
        {"name": "乙方贸易有限公司", "uscc": VALID_USCC_B.lower(), "contact": ""},
    )
    assert resp.status_code == 302
    (party,) = parties(contract)
    assert party.company == b_valid and party.uscc == VALID_USCC_B


def test_a_bad_uscc_gets_its_precise_reason(world, login):
    contract = make_draft(world["a"], world["a_owner"])
    client = login(world["a_owner"], world["a"])
    bad = VALID_USCC_B[:-1] + ("2" if VALID_USCC_B[-1] != "2" else "3")
    resp = client.post(
        _url("contract_party_company", contract),
        {"name": "乙方贸易有限公司", "uscc": bad, "contact": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert resp.status_code == 400
    body = resp.content.decode()
    assert "the last character should be 1" in body  # the check character it should have
    short = client.post(
        _url("contract_party_company", contract),
        {"name": "乙方贸易有限公司", "uscc": "9131000", "contact": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert short.status_code == 400 and "has 7" in short.content.decode()
    assert not contract.participants.exists()


def test_a_company_is_found_by_its_operators_contact(world, b_valid, login):
    contract = make_draft(world["a"], world["a_owner"])
    b_owner = world["b_owner"]
    resp = login(world["a_owner"], world["a"]).post(
        _url("contract_party_company", contract),
        {"name": "乙方贸易有限公司", "uscc": "", "contact": b_owner.phone},
    )
    assert resp.status_code == 302
    (party,) = parties(contract)
    assert party.company == b_valid and party.user == b_owner


def test_an_unknown_operator_or_missing_code_is_explained(world, login):
    contract = make_draft(world["a"], world["a_owner"])
    client = login(world["a_owner"], world["a"])
    resp = client.post(
        _url("contract_party_company", contract),
        {"name": "乙方贸易有限公司", "uscc": "", "contact": "13911112222"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert (
        resp.status_code == 400 and "enter the company&#x27;s credit code" in resp.content.decode()
    )
    resp = client.post(
        _url("contract_party_company", contract),
        {"name": "乙方贸易有限公司", "uscc": "", "contact": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert resp.status_code == 400 and "Enter the company&#x27;s credit code, or" in (
        resp.content.decode()
    )
    assert not contract.participants.exists()


def test_an_unregistered_company_needs_a_contact_and_is_invited(world, login):
    contract = make_draft(world["a"], world["a_owner"])
    client = login(world["a_owner"], world["a"])
    url = _url("contract_party_company", contract)
    resp = client.post(
        url,
        {"name": "丙方物流有限公司", "uscc": VALID_USCC_C, "contact": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert resp.status_code == 400 and "not registered on Chop" in resp.content.decode()
    resp = client.post(
        url, {"name": "丙方物流有限公司", "uscc": VALID_USCC_C, "contact": "13912345678"}
    )
    assert resp.status_code == 302
    (party,) = parties(contract)
    assert party.company is None and party.contact == "13912345678"
    page = client.get(_detail(contract), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Not registered yet" in page and "13912345678" in page  # the initiator sees it whole


def test_add_a_person_and_refuse_a_duplicate(world, login):
    contract = make_draft(world["a"], world["a_owner"])
    client = login(world["a_owner"], world["a"])
    url = _url("contract_party_person", contract)
    assert client.post(url, {"name": "张三", "contact": "ZhangSan@Example.com"}).status_code == 302
    (party,) = parties(contract)
    assert party.user == world["person"]
    again = client.post(
        url, {"name": "张三", "contact": "zhangsan@example.com"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert again.status_code == 400 and "already a party" in again.content.decode()
    bad = client.post(url, {"name": "李四", "contact": "12345"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400 and len(parties(contract)) == 1


def test_remove_and_move_parties_without_script(world, login):
    contract = three_party_draft(world)
    a, b, p = parties(contract)
    client = login(world["a_owner"], world["a"])
    client.post(_url("contract_party_move", contract, p.pk), {"direction": "up"})
    assert [x.pk for x in parties(contract)] == [a.pk, p.pk, b.pk]
    client.post(_url("contract_party_move", contract, a.pk), {"direction": "up"})  # already first
    assert [x.pk for x in parties(contract)] == [a.pk, p.pk, b.pk]
    client.post(_url("contract_party_move", contract, a.pk), {"direction": "down"})
    assert [x.pk for x in parties(contract)] == [p.pk, a.pk, b.pk]
    placed = Position.objects.create(participant=a, form="single", page=1, x_mm=20, y_mm=30)
    client.post(_url("contract_party_remove", contract, a.pk))
    assert [(x.pk, x.position) for x in parties(contract)] == [(p.pk, 0), (b.pk, 1)]
    [event] = AuditEvent.objects.filter(action="contract.party_removed")
    # its positions went with it, and the record says which
    assert not Position.objects.filter(pk=placed.pk).exists()
    assert [(d["id"], d["page"], d["x_mm"]) for d in event.data["positions"]] == [
        (placed.pk, 1, 20)
    ]
    # a GET changes nothing
    client.get(_url("contract_party_remove", contract, b.pk))
    assert len(parties(contract)) == 2


def test_members_who_may_not_edit_the_draft_cannot_change_parties(world, login, make_user):
    from chop.orgs.models import Membership

    contract = three_party_draft(world)
    keeper = login(world["a_keeper"], world["a"])  # not the creator, not owner/admin
    first = parties(contract)[0]
    assert keeper.post(_url("contract_party_remove", contract, first.pk)).status_code == 403
    assert keeper.post(_url("contract_send", contract)).status_code == 403
    body = keeper.get(_detail(contract)).content.decode()
    assert 'data-testid="company-form"' not in body and 'data-testid="send"' not in body
    plain = make_user("甲方员工")
    Membership.objects.create(company=world["a"], user=plain, role=Role.MEMBER)
    assert (
        login(plain, world["a"])
        .post(_url("contract_party_person", contract), {"name": "王五", "contact": "13912340000"})
        .status_code
        == 403
    )
    assert len(parties(contract)) == 3


def test_send_with_problems_lists_them_and_sends_nothing(world, login, sent):
    contract = make_draft(world["a"], world["a_owner"])
    participants.add_initiator(contract, by=world["a_owner"], stamper=world["a_keeper"])
    Contract.objects.filter(pk=contract.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    client = login(world["a_owner"], world["a"])
    page = client.get(_detail(contract), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Add at least one other party" in page and "deadline has passed" in page
    resp = client.post(_url("contract_send", contract), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    body = resp.content.decode()
    assert "Add at least one other party" in body and "deadline has passed" in body
    contract.refresh_from_db()
    assert contract.state == "draft" and sent == []


def test_send_moves_the_contract_and_tells_the_first_signer_after_commit(world, login, sent):
    contract = three_party_draft(world)
    client = login(world["a_owner"], world["a"])
    resp = client.post(_url("contract_send", contract))
    assert resp.status_code == 302
    contract.refresh_from_db()
    assert contract.state == "signing" and contract.sent_at is not None
    assert [p.state for p in parties(contract)] == ["to_sign", "waiting", "waiting"]
    keeper = world["a_keeper"]
    assert [to for to, _s, _b in sent] == [keeper.phone]  # only the first signer, in order
    body = client.get(_detail(contract), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="company-form"' not in body and 'data-testid="remind"' in body
    assert 'data-testid="revoke-link"' in body


def test_revoke_asks_for_a_reason_then_revokes(world, login, sent):
    contract = three_party_draft(world)
    sending.send(contract, by=world["a_owner"])
    sent.clear()
    client = login(world["a_owner"], world["a"])
    url = _url("contract_revoke", contract)
    confirm = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert confirm.status_code == 200 and "every party is told" in confirm.content.decode()
    contract.refresh_from_db()
    assert contract.state == "signing"  # the GET only asks
    empty = client.post(url, {"reason": "  "}, HTTP_ACCEPT_LANGUAGE="en")
    assert empty.status_code == 400 and "Give a reason" in empty.content.decode()
    assert client.post(url, {"reason": "价格变了"}).status_code == 302
    contract.refresh_from_db()
    assert contract.state == "revoked" and contract.state_reason == "价格变了"
    assert len(sent) == 3 and all("价格变了" in body for _to, _s, body in sent)
    # a member who is not the creator, owner or administrator may not revoke
    assert login(world["a_keeper"], world["a"]).get(url).status_code == 403


def test_remind_refuses_within_the_hour_and_shows_when(world, login, sent):
    contract = three_party_draft(world)
    sending.send(contract, by=world["a_owner"])
    sent.clear()
    client = login(world["a_keeper"], world["a"])  # any member of the initiator may remind
    url = _url("contract_remind", contract)
    client.post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert len(sent) == 1 and sent[0][1].startswith("提醒")  # in the recipient's language
    page = client.get(_detail(contract), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Last reminded" in page
    again = client.post(url, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "You can remind them again from" in again.content.decode()
    assert len(sent) == 1
    # an hour later it goes again
    Participant.objects.filter(contract=contract).update(
        last_reminded_at=timezone.now() - datetime.timedelta(minutes=61)
    )
    client.post(url)
    assert len(sent) == 2
    assert AuditEvent.objects.filter(action="contract.reminded").count() == 2


def test_the_service_limit_spares_automatic_reminders(world, sent):
    from chop.contracts.states import TransitionError

    contract = three_party_draft(world)
    sending.send(contract, by=world["a_owner"])
    sending.remind(contract, by=world["a_owner"])
    with pytest.raises(TransitionError) as exc:
        sending.remind(contract, by=world["a_owner"])
    assert exc.value.code == "remind.too_soon"
    assert sending.remind(contract) == 1  # the automatic task is not limited by manual ones


def test_decline_by_the_party_whose_turn_it_is(world, login, sent):
    contract = three_party_draft(world)
    sending.send(contract, by=world["a_owner"])
    a, b, _p = parties(contract)
    sending.mark_signed(a, by=world["a_keeper"])
    sent.clear()
    url = reverse("contract_decline", args=[contract.pk])
    assert url == f"/contracts/{contract.pk}/decline/"
    # the person, whose turn has not come, cannot decline
    person = login(world["person"])
    resp = person.get(url)
    assert resp.status_code == 302
    b_owner = login(world["b_owner"], world["b"])
    form = b_owner.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert form.status_code == 200 and 'data-testid="decline-form"' in form.content.decode()
    assert b_owner.post(url, {"reason": ""}).status_code == 400
    assert b_owner.post(url, {"reason": "条款不符"}).status_code == 302
    contract.refresh_from_db()
    b.refresh_from_db()
    assert contract.state == "declined" and b.state == "declined" and b.decline_reason == "条款不符"
    # everybody but the decliner is told
    told = {to for to, _s, _b in sent}
    assert world["b_owner"].phone not in told and world["a_keeper"].phone in told
    assert person.post(url, {"reason": "x"}).status_code == 302
    contract.refresh_from_db()
    assert contract.state == "declined"
