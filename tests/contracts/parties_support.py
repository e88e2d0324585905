"""Shared set-up for the states, participants and sending tests: a draft with a document, two
verified-looking companies, a registered person, and a capture of every message sent."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

USCC_B = "91310000MA1FL8XQ3K"
USCC_C = "91440300MA5G2PLX9T"


def make_draft(company, creator, *, title="采购合同", order="sequential", version=True, **kw):
    from chop.contracts.models import Contract, DocumentVersion

    contract = Contract.objects.create(
        company=company, created_by=creator, title=title, order=order, **kw
    )
    if version:
        DocumentVersion.objects.create(
            contract=contract,
            number=1,
            file=f"contracts/{contract.pk}/test.pdf",
            sha256="0" * 64,
            size=1,
            page_count=1,
        )
    return contract


@pytest.fixture
def sent(monkeypatch):
    """Every message handed to the senders: (address, subject, body)."""
    from chop.accounts import senders

    outbox: list[tuple[str, str, str]] = []

    def fake(target, subject, body):
        outbox.append((target, subject, body))
        return "sms"

    monkeypatch.setattr(senders, "send_message", fake)
    return outbox


@pytest.fixture
def world(make_company, make_user):
    """Company A (initiator, with owner and a stamping keeper), company B (registered, USCC_B)
    with an owner, and a registered person P."""
    from chop.orgs.models import Role

    a_owner = make_user("甲方老板")
    a_keeper = make_user("甲方印章管理员")
    a = make_company("甲方科技有限公司", owner=a_owner, members={a_keeper: Role.SEAL_KEEPER})
    a.uscc = "91110000600037341L"
    a.save(update_fields=["uscc"])
    b_owner = make_user("乙方老板")
    b = make_company("乙方贸易有限公司", owner=b_owner)
    b.uscc = USCC_B
    b.save(update_fields=["uscc"])
    person = make_user("张三", email="zhangsan@example.com")
    return {
        "a": a,
        "a_owner": a_owner,
        "a_keeper": a_keeper,
        "b": b,
        "b_owner": b_owner,
        "person": person,
    }


def three_party_draft(world, *, order="sequential"):
    """A draft of A with parties A (keeper stamps), B (registered) and the person."""
    from chop.contracts import participants

    contract = make_draft(world["a"], world["a_owner"], order=order)
    by = world["a_owner"]
    participants.add_initiator(contract, by=by, stamper=world["a_keeper"])
    participants.add_company(contract, by=by, name="乙方贸易有限公司", uscc=USCC_B)
    participants.add_person(contract, by=by, name="张三", contact="zhangsan@example.com")
    return contract


def parties(contract):
    return list(contract.participants.order_by("position"))


def later(days: int) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)
