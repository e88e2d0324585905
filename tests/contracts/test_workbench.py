"""The workbench on the contracts list: exact, scoped counts per tab (to sign, waiting for
others, completed, drafts, ended), search by title, number and party name, pages of 25, and
this month's statistics with a readable median."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from chop.contracts import participants, sending, workbench
from chop.contracts.models import Contract, Participant
from chop.orgs.models import Membership, Role

from .parties_support import make_draft, parties, three_party_draft

pytestmark = pytest.mark.django_db


def _counts(body: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-testid="count-(\w+)">(\d+)<', body)}


def _titles(body: str) -> list[str]:
    return re.findall(r'<a href="/contracts/\d+/">([^<]+)</a>', body)


@pytest.fixture
def desk(world, make_user, sent):
    """A's contracts in every state, B a party on the sent ones, and A's plain member."""
    plain = make_user("甲方员工")
    Membership.objects.create(company=world["a"], user=plain, role=Role.MEMBER)
    by = world["a_owner"]
    make_draft(world["a"], by, title="草稿合同", number="HT-001")
    a_turn = three_party_draft(world)
    Contract.objects.filter(pk=a_turn.pk).update(title="甲方待签合同", number="HT-002")
    sending.send(a_turn, by=by)
    b_turn = three_party_draft(world)
    Contract.objects.filter(pk=b_turn.pk).update(title="乙方待签合同")
    sending.send(b_turn, by=by)
    sending.mark_signed(parties(b_turn)[0], by=world["a_keeper"])
    done = three_party_draft(world)
    Contract.objects.filter(pk=done.pk).update(title="已完成合同")
    sending.send(done, by=by)
    for p in parties(done):
        sending.mark_signed(p)
    revoked_draft = make_draft(world["a"], by, title="撤回的草稿")
    participants.add_company(revoked_draft, by=by, name="乙方贸易有限公司", uscc=world["b"].uscc)
    sending.revoke(revoked_draft, by=by, reason="不要了")
    declined = three_party_draft(world)
    Contract.objects.filter(pk=declined.pk).update(title="被拒合同")
    sending.send(declined, by=by)
    sending.decline(parties(declined)[0], by=world["a_keeper"], reason="不签")
    return {**world, "plain": plain}


def test_counts_are_exact_for_each_side(desk, login):
    a_owner = login(desk["a_owner"], desk["a"]).get(reverse("contracts")).content.decode()
    assert _counts(a_owner) == {
        "all": 6,
        "to_sign": 1,
        "waiting": 1,
        "completed": 1,
        "drafts": 1,
        "ended": 2,
    }
    # a plain member of A may not stamp: nothing for them to sign
    plain = login(desk["plain"], desk["a"]).get(reverse("contracts")).content.decode()
    assert _counts(plain)["to_sign"] == 0 and _counts(plain)["waiting"] == 2
    # B sees the contracts sent to it, never A's drafts (nor the draft revoked before sending)
    b = login(desk["b_owner"], desk["b"]).get(reverse("contracts")).content.decode()
    assert _counts(b) == {
        "all": 4,
        "to_sign": 1,
        "waiting": 1,
        "completed": 1,
        "drafts": 0,
        "ended": 1,
    }
    # the person, in the personal space
    person = login(desk["person"]).get(reverse("contracts")).content.decode()
    assert _counts(person) == {
        "all": 4,
        "to_sign": 0,
        "waiting": 2,
        "completed": 1,
        "drafts": 0,
        "ended": 1,
    }


def _home_to_sign(client) -> int:
    body = client.get(reverse("workbench")).content.decode()
    return int(re.search(r'data-testid="stat-to-sign"><span class="num">(\d+)<', body).group(1))


def test_the_home_workbench_counts_what_waits_for_my_signature(desk, login):
    """The home page's "Contracts to sign" is the contracts tab's count, in every space."""
    assert _home_to_sign(login(desk["a_owner"], desk["a"])) == 1
    assert _home_to_sign(login(desk["b_owner"], desk["b"])) == 1
    assert _home_to_sign(login(desk["plain"], desk["a"])) == 0  # may not stamp
    assert _home_to_sign(login(desk["person"])) == 0  # personal space, not their turn yet
    body = login(desk["person"]).get(reverse("workbench")).content.decode()
    assert 'data-testid="my-signing-password"' in body and "Coming" not in body


def test_tabs_list_their_contracts_with_a_sign_link(desk, login):
    b = login(desk["b_owner"], desk["b"])
    body = b.get(reverse("contracts"), {"tab": "to_sign"}).content.decode()
    assert _titles(body) == ["乙方待签合同"]
    assert 'data-testid="sign-link"' in body
    waiting = b.get(reverse("contracts"), {"tab": "waiting"}).content.decode()
    assert _titles(waiting) == ["甲方待签合同"] and 'data-testid="sign-link"' not in waiting
    keeper = login(desk["a_keeper"], desk["a"])
    assert _titles(keeper.get(reverse("contracts"), {"tab": "to_sign"}).content.decode()) == [
        "甲方待签合同"
    ]
    a = login(desk["a_owner"], desk["a"])
    assert _titles(a.get(reverse("contracts"), {"tab": "drafts"}).content.decode()) == ["草稿合同"]
    ended = a.get(reverse("contracts"), {"tab": "ended"}).content.decode()
    assert sorted(_titles(ended)) == sorted(["撤回的草稿", "被拒合同"])
    unknown = a.get(reverse("contracts"), {"tab": "<script>"})
    assert unknown.status_code == 200 and len(_titles(unknown.content.decode())) == 6


def test_empty_tabs_say_what_to_do(desk, login):
    person = login(desk["person"])
    body = person.get(reverse("contracts"), {"tab": "to_sign"}, HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-testid="empty-to-sign"' in body.content.decode()
    assert "Nothing to sign" in body.content.decode()


def test_search_by_title_number_and_party_name(desk, login, make_company, make_user):
    a = login(desk["a_owner"], desk["a"])
    by_title = a.get(reverse("contracts"), {"q": "待签"}).content.decode()
    assert sorted(_titles(by_title)) == ["乙方待签合同", "甲方待签合同"]
    assert _counts(by_title)["all"] == 2 and _counts(by_title)["to_sign"] == 1
    assert _titles(a.get(reverse("contracts"), {"q": "ht-002"}).content.decode()) == [
        "甲方待签合同"
    ]
    by_party = a.get(reverse("contracts"), {"q": "张三"}).content.decode()
    assert _counts(by_party)["all"] == 4  # every contract where the person is a party
    nothing = a.get(reverse("contracts"), {"q": "不存在"}, HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-testid="empty-search"' in nothing.content.decode()
    # search never reaches outside the space
    other = make_company("丁方公司", owner=make_user("丁方老板"))
    make_draft(other, other.created_by, title="丁方待签合同")
    assert "丁方待签合同" not in a.get(reverse("contracts"), {"q": "丁方"}).content.decode()


def test_pages_of_25(world, login):
    for i in range(27):
        make_draft(world["a"], world["a_owner"], title=f"合同{i:02d}", version=False)
    client = login(world["a_owner"], world["a"])
    first = client.get(reverse("contracts")).content.decode()
    assert len(_titles(first)) == 25 and 'data-testid="pager"' in first
    second = client.get(reverse("contracts"), {"page": 2}).content.decode()
    assert len(_titles(second)) == 2
    assert set(_titles(first)).isdisjoint(_titles(second))
    assert client.get(reverse("contracts"), {"page": "x"}).status_code == 200


def _completed(world, *, sent_at, finished_at, company=None):
    contract = make_draft(company or world["a"], world["a_owner"])
    Contract.objects.filter(pk=contract.pk).update(
        state="completed", sent_at=sent_at, finished_at=finished_at
    )
    return contract


def test_month_statistics_and_the_median(world, make_company, make_user):
    now = workbench.month_start(timezone.now()) + datetime.timedelta(days=10, hours=12)
    start = workbench.month_start(now)
    h = datetime.timedelta(hours=1)
    for duration in (h, 51 * h, 120 * h):  # 1 h, 2 d 3 h, 5 d: the median is 2 d 3 h
        _completed(world, sent_at=now - duration - h, finished_at=now - h)
    _completed(world, sent_at=start - 100 * h, finished_at=start - h)  # last month
    outsider = make_company("别家公司", owner=make_user("别人"))
    _completed(world, sent_at=now - 2 * h, finished_at=now - h, company=outsider)
    signing = make_draft(world["a"], world["a_owner"])
    Contract.objects.filter(pk=signing.pk).update(state="signing", sent_at=now - h)
    space = workbench.Space(user=world["a_owner"], company=world["a"])
    stats = workbench.month_stats(workbench.contracts(space), now=now)
    assert stats.sent == 4 and stats.completed == 3
    assert stats.median == 51 * h
    with translation.override("en"):
        assert workbench.readable_duration(stats.median) == "2 d 3 h"
    with translation.override("zh-hans"):
        assert workbench.readable_duration(stats.median) == "2天3小时"
    empty = workbench.month_stats(workbench.contracts(workbench.Space(user=world["person"])))
    assert (empty.sent, empty.completed, empty.median) == (0, 0, None)


def test_a_contract_sent_to_a_company_is_not_counted_as_sent_by_it(world, login):
    """B's "Sent this month" counts what B sent, not the contract A sent to B."""
    contract = make_draft(world["a"], world["a_owner"])
    Participant.objects.create(
        contract=contract, position=0, kind="company", company=world["b"], name=world["b"].name
    )
    Contract.objects.filter(pk=contract.pk).update(state="signing", sent_at=timezone.now())
    b_space = workbench.Space(user=world["b_owner"], company=world["b"])
    a_space = workbench.Space(user=world["a_owner"], company=world["a"])
    assert workbench.contracts(b_space).filter(pk=contract.pk).exists()
    b_stats = workbench.month_stats(workbench.contracts(b_space), started=b_space.started())
    a_stats = workbench.month_stats(workbench.contracts(a_space), started=a_space.started())
    assert (b_stats.sent, a_stats.sent) == (0, 1)
    body = login(world["b_owner"], world["b"]).get(reverse("contracts")).content.decode()
    assert re.search(r'data-testid="stat-sent">0<', body)
    assert 'data-testid="count-all">1<' in body


def test_readable_durations():
    with translation.override("en"):
        assert workbench.readable_duration(datetime.timedelta(minutes=125)) == "2 h 5 min"
        assert workbench.readable_duration(datetime.timedelta(seconds=20)) == "1 min"
        assert workbench.readable_duration(None) == "—"


def test_the_page_shows_this_months_statistics(world, login):
    now = timezone.now()
    start = workbench.month_start(now)
    _completed(world, sent_at=start + datetime.timedelta(seconds=1), finished_at=now)
    body = (
        login(world["a_owner"], world["a"])
        .get(reverse("contracts"), HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert re.search(r'data-testid="stat-sent">1<', body)
    assert re.search(r'data-testid="stat-completed">1<', body)
    with translation.override("en"):
        expected = workbench.readable_duration(now - start - datetime.timedelta(seconds=1))
    assert f'data-testid="stat-median">{expected}<' in body
