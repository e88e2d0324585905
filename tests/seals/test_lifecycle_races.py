"""Two clicks at once, for real: threads with their own database connections (SQLite by default,
PostgreSQL with DATABASE_URL). The database decides; nobody gets a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chop.audit.models import AuditEvent
from chop.orgs.models import Role
from chop.seals import lifecycle
from chop.seals.models import Certificate, Seal
from tests.concurrency import at_once, errors

pytestmark = pytest.mark.django_db(transaction=True)

N = 8


def test_simultaneous_regenerations_make_one_official_seal(verified_company, make_user, login):
    owner, keeper = make_user("老板"), make_user("管理员")
    company = verified_company(owner=owner, members={keeper: Role.SEAL_KEEPER})
    old = Seal.objects.get(company=company, kind="official")
    lifecycle.change_state(old, "revoke", by=owner, reason="遗失")
    certificates = Certificate.objects.count()
    clients = [login(owner if i % 2 else keeper, company) for i in range(N)]

    results = at_once(N, lambda i: clients[i].post(reverse("seal_official_regenerate")))

    assert errors(results) == []
    assert {r.status_code for r in results} == {302}
    (new,) = Seal.objects.filter(company=company, kind="official", status="active")
    assert {r["Location"] for r in results} == {f"/seals/{new.pk}/"}
    assert Seal.objects.filter(company=company, kind="official").count() == 2  # old + one new
    assert Certificate.objects.count() == certificates  # the company certificate, reused
    assert AuditEvent.objects.filter(action="seal.created", object_id=str(new.pk)).count() == 1


def test_simultaneous_disables_change_the_seal_once(verified_company, make_user, login):
    owner = make_user("老板")
    company = verified_company(owner=owner)
    seal = Seal.objects.get(company=company, kind="official")
    clients = [login(owner, company) for _ in range(N)]
    url = reverse("seal_change_state", args=[seal.pk])

    results = at_once(N, lambda i: clients[i].post(url, {"action": "disable"}).status_code)

    assert errors(results) == [] and set(results) == {302}
    seal.refresh_from_db()
    assert seal.status == "disabled"
    assert AuditEvent.objects.filter(action="seal.disabled").count() == 1
