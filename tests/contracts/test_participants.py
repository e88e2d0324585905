"""Adding, finding, removing and reordering a draft's parties; the database's own rules."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from chop.contracts import participants
from chop.contracts.models import Participant
from chop.contracts.participants import ParticipantError
from chop.contracts.states import TransitionError, move

from .parties_support import USCC_B, USCC_C, make_draft, parties, three_party_draft

pytestmark = pytest.mark.django_db


def test_the_initiator_is_party_zero_with_its_stamper(world):
    contract = make_draft(world["a"], world["a_owner"])
    participants.add_person(contract, by=world["a_owner"], name="李四", contact="13900001111")
    party = participants.add_initiator(contract, by=world["a_owner"], stamper=world["a_keeper"])
    got = parties(contract)
    assert [p.pk for p in got] == [party.pk, got[1].pk]
    assert (got[0].position, got[0].kind, got[0].company, got[0].user) == (
        0,
        "company",
        world["a"],
        world["a_keeper"],
    )
    assert got[1].position == 1
    # Again: the same party, not a second one.
    assert participants.add_initiator(contract, by=world["a_owner"]).pk == party.pk
    assert contract.participants.count() == 2


def test_a_registered_company_is_found_by_name_and_uscc(world):
    contract = three_party_draft(world)
    b = parties(contract)[1]
    assert (b.kind, b.company, b.name, b.uscc, b.contact) == (
        "company",
        world["b"],
        "乙方贸易有限公司",
        USCC_B,
        "",
    )
    assert b.is_registered


def test_a_company_with_the_wrong_name_is_not_the_registered_one(world):
    contract = make_draft(world["a"], world["a_owner"])
    with pytest.raises(ParticipantError) as err:
        participants.add_company(contract, by=world["a_owner"], name="乙方贸易公司", uscc=USCC_B)
    assert err.value.code == "participant.unreachable"


def test_an_unregistered_company_keeps_its_contact(world):
    contract = make_draft(world["a"], world["a_owner"])
    c = participants.add_company(
        contract,
        by=world["a_owner"],
        name="丙方物流有限公司",
        uscc=USCC_C.lower(),
        contact=" 139 0000 2222 ",
    )
    assert (c.company, c.user, c.uscc, c.contact) == (None, None, USCC_C, "13900002222")
    assert not c.is_registered


def test_a_registered_company_operator_found_by_contact_must_be_its_member(world, make_user):
    from chop.orgs.models import Membership, Role

    clerk = make_user("乙方经办人", email="clerk@b.example.com")
    stranger = make_user("路人", email="stranger@example.com")
    Membership.objects.create(company=world["b"], user=clerk, role=Role.SEAL_USER)
    contract = make_draft(world["a"], world["a_owner"])
    b = participants.add_company(
        contract,
        by=world["a_owner"],
        name="乙方贸易有限公司",
        uscc=USCC_B,
        contact="Clerk@b.example.com",
    )
    assert b.user == clerk
    contract2 = make_draft(world["a"], world["a_owner"])
    b2 = participants.add_company(
        contract2, by=world["a_owner"], name="乙方贸易有限公司", uscc=USCC_B, contact=stranger.email
    )
    assert b2.user is None and b2.company == world["b"]


def test_a_person_is_found_by_email_or_phone_or_kept_for_an_invitation(world):
    contract = make_draft(world["a"], world["a_owner"])
    p = participants.add_person(
        contract, by=world["a_owner"], name="张三", contact="ZhangSan@Example.com"
    )
    assert p.user == world["person"]
    by_phone = participants.add_person(
        contract, by=world["a_owner"], name="老板", contact=world["b_owner"].phone
    )
    assert by_phone.user == world["b_owner"]
    q = participants.add_person(contract, by=world["a_owner"], name="王五", contact="13700003333")
    assert (q.user, q.contact) == (None, "13700003333")


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"name": "", "uscc": USCC_C, "contact": "13700003333"}, "participant.no_name"),
        ({"name": "丙方", "uscc": "123", "contact": "13700003333"}, "participant.bad_uscc"),
        ({"name": "丙方", "uscc": USCC_C, "contact": ""}, "participant.unreachable"),
        ({"name": "丙方", "uscc": USCC_C, "contact": "not a phone"}, "participant.bad_contact"),
    ],
)
def test_bad_company_data_is_refused_and_nothing_is_kept(world, kwargs, code):
    contract = make_draft(world["a"], world["a_owner"])
    with pytest.raises(ParticipantError) as err:
        participants.add_company(contract, by=world["a_owner"], **kwargs)
    assert err.value.code == code and str(err.value.message)
    assert not contract.participants.exists()


def test_bad_person_data_and_duplicates_are_refused(world):
    contract = three_party_draft(world)
    with pytest.raises(ParticipantError) as err:
        participants.add_person(contract, by=world["a_owner"], name="", contact="13700003333")
    assert err.value.code == "participant.no_name"
    with pytest.raises(ParticipantError) as err:
        participants.add_person(contract, by=world["a_owner"], name="王五", contact="")
    assert err.value.code == "participant.no_contact"
    with pytest.raises(ParticipantError) as err:
        participants.add_person(
            contract, by=world["a_owner"], name="张三", contact="zhangsan@example.com"
        )
    assert err.value.code == "participant.duplicate"
    with pytest.raises(ParticipantError) as err:
        participants.add_company(
            contract, by=world["a_owner"], name="乙方贸易有限公司", uscc=USCC_B
        )
    assert err.value.code == "participant.duplicate"
    assert contract.participants.count() == 3


def test_remove_closes_the_gap_and_reorder_sets_the_order(world):
    contract = three_party_draft(world)
    a, b, p = parties(contract)
    participants.reorder(contract, [p.pk, a.pk, b.pk], by=world["a_owner"])
    assert [x.pk for x in parties(contract)] == [p.pk, a.pk, b.pk]
    assert [x.position for x in parties(contract)] == [0, 1, 2]
    participants.remove(a, by=world["a_owner"])
    assert [(x.pk, x.position) for x in parties(contract)] == [(p.pk, 0), (b.pk, 1)]
    with pytest.raises(ParticipantError) as err:
        participants.reorder(contract, [p.pk], by=world["a_owner"])
    assert err.value.code == "participant.bad_order"
    with pytest.raises(ParticipantError):
        participants.reorder(contract, [p.pk, b.pk, b.pk], by=world["a_owner"])
    assert [x.pk for x in parties(contract)] == [p.pk, b.pk]


def test_parties_change_only_in_a_draft(world):
    contract = three_party_draft(world)
    move(contract, "send")
    a, b, p = parties(contract)
    for change in (
        lambda: participants.add_person(
            contract, by=world["a_owner"], name="王五", contact="13700003333"
        ),
        lambda: participants.remove(b, by=world["a_owner"]),
        lambda: participants.reorder(contract, [p.pk, b.pk, a.pk], by=world["a_owner"]),
    ):
        with pytest.raises(TransitionError) as err:
            change()
        assert err.value.code == "participant.not_draft"
    assert [x.pk for x in parties(contract)] == [a.pk, b.pk, p.pk]


def test_changes_are_audited(world):
    from chop.audit.models import AuditEvent

    contract = three_party_draft(world)
    actions = list(
        AuditEvent.objects.filter(
            action__startswith="contract.party", object_id=str(contract.pk)
        ).values_list("action", flat=True)
    )
    assert actions.count("contract.party_added") == 3
    event = AuditEvent.objects.filter(action="contract.party_added").last()
    assert event.company == world["a"] and event.actor == world["a_owner"]


def test_the_database_enforces_the_rules(world):
    contract = make_draft(world["a"], world["a_owner"])
    base = {"contract": contract, "name": "某某"}
    Participant.objects.create(position=0, kind="person", contact="13700003333", **base)
    bad = [
        {"position": 0, "kind": "person", "contact": "13700004444"},  # order taken
        {"position": 1, "kind": "robot", "contact": "13700004444"},  # unknown kind
        {"position": 1, "kind": "person", "contact": "x", "state": "lost"},  # unknown state
        {"position": 1, "kind": "person"},  # a person nobody can reach
        {"position": 1, "kind": "company", "contact": "13700004444"},  # company without USCC
    ]
    for fields in bad:
        with pytest.raises(IntegrityError), transaction.atomic():
            Participant.objects.create(**base, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.create(
            contract=contract, name="", position=1, kind="person", contact="x"
        )


def test_the_draft_page_lists_the_parties_in_order(world, login):
    contract = make_draft(world["a"], world["a_owner"])
    client = login(world["a_owner"], world["a"])
    empty = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert 'data-testid="no-parties"' in empty
    by = world["a_owner"]
    participants.add_person(contract, by=by, name="张三", contact="13700005555")
    participants.add_company(contract, by=by, name="乙方贸易有限公司", uscc=USCC_B)
    participants.add_initiator(contract, by=by, stamper=world["a_keeper"])
    html = client.get(f"/contracts/{contract.pk}/").content.decode()
    listed = html[html.index('data-testid="parties"') :]
    assert (
        listed.index("甲方科技有限公司") < listed.index("张三") < listed.index("乙方贸易有限公司")
    )
    assert world["a_keeper"].display_name in listed
