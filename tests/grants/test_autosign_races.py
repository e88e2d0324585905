"""Revoking an auto-sign authorisation twice at once: one revocation, one record, no error.

The requests race in threads, each with its own connection, against a real database: SQLite by
default, PostgreSQL with DATABASE_URL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chop.audit.models import AuditEvent
from chop.grants.models import AutoSignAuthorisation
from chop.orgs.models import Role
from tests.concurrency import at_once, errors
from tests.conftest import log_in
from tests.contracts.signing_support import official_seal
from tests.seals.conftest import verified_company  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db(transaction=True)

N = 6


def test_simultaneous_revocations_revoke_once(verified_company, make_user):  # noqa: F811
    owner, admin = make_user("甲方老板"), make_user("甲方管理员")
    company = verified_company("甲方科技有限公司", owner=owner, members={admin: Role.ADMIN})
    seal = official_seal(company)
    now = timezone.now()
    auth = AutoSignAuthorisation.objects.create(
        company=company,
        seal=seal,
        ends_at=now + dt.timedelta(days=30),
        daily_cap=10,
        confirmed_by=owner,
        confirmed_at=now,
        confirm_method="sms",
        letter="autosign-letters/x.pdf",
        letter_signed_at=now,
    )
    clients = [log_in(Client(), owner if i % 2 else admin, company) for i in range(N)]
    url = reverse("seal_autosign_revoke", args=[auth.pk])

    results = at_once(N, lambda i: clients[i].post(url))

    assert errors(results) == []
    assert [r.status_code for r in results] == [302] * N
    auth.refresh_from_db()
    assert auth.revoked_at is not None and auth.revoked_by in (owner, admin)
    events = AuditEvent.objects.filter(action="autosign.revoked", object_id=str(auth.pk))
    assert events.count() == 1
    assert events.get().actor == auth.revoked_by
