"""Role changes under concurrency: the database keeps one owner, and nobody gets a 500.

Twenty real requests race in threads (each with its own connection) against a real database:
SQLite by default, PostgreSQL with DATABASE_URL.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from chop.audit.models import AuditEvent
from chop.orgs.models import Membership, Role
from tests.concurrency import at_once, errors

pytestmark = pytest.mark.django_db(transaction=True)

N = 20


def owners(company) -> list[Membership]:
    return list(Membership.objects.filter(company=company, role=Role.OWNER))


def test_database_refuses_a_second_owner(make_user, make_company):
    company = make_company()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(company=company, user=make_user("第二位"), role=Role.OWNER)


def test_simultaneous_transfers_leave_exactly_one_owner(make_user, make_company, login):
    owner = make_user("老板")
    people = [make_user(f"管理员{i}") for i in range(N)]
    company = make_company(owner=owner, members={u: Role.ADMIN for u in people})
    targets = [Membership.objects.get(company=company, user=u).pk for u in people]
    clients = [login(owner, company) for _ in range(N)]

    def transfer(i):
        url = f"/companies/{company.pk}/members/{targets[i]}/transfer/"
        return clients[i].post(url, {"confirm": "yes"}).status_code

    results = at_once(N, transfer)

    assert errors(results) == []
    assert all(code in (302, 403) for code in results), results
    assert AuditEvent.objects.filter(action="company.ownership_transferred").count() == 1
    (new_owner,) = owners(company)
    assert new_owner.user in people
    assert Membership.objects.get(company=company, user=owner).role == Role.ADMIN


def test_transfer_racing_removal_never_leaves_the_company_ownerless(make_user, make_company, login):
    owner, heir = make_user("老板"), make_user("继任者")
    company = make_company(owner=owner, members={heir: Role.ADMIN})
    heir_m = Membership.objects.get(company=company, user=heir)
    owner_clients = [login(owner, company) for _ in range(N // 2 + N // 4)]
    heir_clients = [login(heir, company) for _ in range(N - len(owner_clients))]
    base = f"/companies/{company.pk}/members/{heir_m.pk}"

    def act(i):
        if i < N // 2:  # the owner hands the company to the heir
            return owner_clients[i].post(f"{base}/transfer/", {"confirm": "yes"}).status_code
        if i < len(owner_clients):  # ...and, in other tabs, removes the heir
            return owner_clients[i].post(f"{base}/remove/").status_code
        return heir_clients[i - len(owner_clients)].post(f"{base}/remove/").status_code  # leaves

    results = at_once(N, act)

    assert errors(results) == []
    assert all(code in (302, 403, 404) for code in results), results
    assert len(owners(company)) == 1
    transferred = AuditEvent.objects.filter(action="company.ownership_transferred").count()
    removed = AuditEvent.objects.filter(action="member.removed").count()
    # Exactly one of the two happened, once.
    assert transferred + removed == 1
    if transferred:
        assert owners(company)[0].user == heir
    else:
        assert owners(company)[0].user == owner
        assert not Membership.objects.filter(pk=heir_m.pk).exists()


def test_simultaneous_role_changes_and_transfer_keep_one_owner(make_user, make_company, login):
    """The owner demotes an administrator while handing them the company: one wins, one owner."""
    owner, heir = make_user("老板"), make_user("继任者")
    company = make_company(owner=owner, members={heir: Role.ADMIN})
    heir_m = Membership.objects.get(company=company, user=heir)
    clients = [login(owner, company) for _ in range(N)]
    base = f"/companies/{company.pk}/members/{heir_m.pk}"

    def act(i):
        if i % 2:
            return clients[i].post(f"{base}/transfer/", {"confirm": "yes"}).status_code
        return clients[i].post(f"{base}/role/", {"role": Role.MEMBER}).status_code

    results = at_once(N, act)

    assert errors(results) == []
    assert all(code in (302, 403) for code in results), results
    assert len(owners(company)) == 1
    assert AuditEvent.objects.filter(action="company.ownership_transferred").count() <= 1


def test_a_stale_page_cannot_act_on_roles_that_changed(make_user, make_company):
    """Decisions are taken on the rows as they are now, not as the caller last read them."""
    from chop.orgs import services

    owner, a, b = make_user("老板"), make_user("甲"), make_user("乙")
    company = make_company(owner=owner, members={a: Role.ADMIN, b: Role.MEMBER})
    stale_owner = Membership.objects.get(company=company, user=owner)
    ma = Membership.objects.get(company=company, user=a)
    mb = Membership.objects.get(company=company, user=b)
    stale_a = Membership.objects.get(pk=ma.pk)
    services.transfer_ownership(Membership.objects.get(pk=stale_owner.pk), ma)
    # the old owner's page still says "owner"
    with pytest.raises(services.MembershipChanged):
        services.transfer_ownership(stale_owner, mb)
    with pytest.raises(services.MembershipChanged):
        services.change_role(stale_owner, stale_a, Role.MEMBER)  # still says "admin"
    assert [m.user for m in owners(company)] == [a]
    # what was never allowed stays a plain refusal, not "changed in the meantime"
    with pytest.raises(PermissionDenied) as refused:
        services.change_role(Membership.objects.get(pk=mb.pk), stale_a, Role.MEMBER)
    assert not isinstance(refused.value, services.MembershipChanged)
