"""Verification under concurrency: one case per USCC, one approval per case, no 500.

Twenty real requests race in threads (each with its own connection) against a real database:
SQLite by default, PostgreSQL with DATABASE_URL.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from chop.accounts.models import User
from chop.orgs.models import Company, Membership, Role
from chop.seals.models import Certificate, Seal
from chop.verification.models import CompanyVerification, Evidence
from chop.verification.states import State
from tests.concurrency import at_once, errors
from tests.conftest import log_in

from .conftest import USCC
from .test_flows import post_company

pytestmark = pytest.mark.django_db(transaction=True)

N = 20


def owner_with_company(i: int) -> tuple[User, Company]:
    user = User.objects.create_user(f"139100{i:05d}", "s3cret-pass-1", name=f"申请人{i}")
    company = Company.objects.create(name=f"公司{i}", created_by=user)
    Membership.objects.create(company=company, user=user, role=Role.OWNER)
    return user, company


def test_database_refuses_a_second_live_case_for_a_uscc(applicant, company):
    _, other = owner_with_company(1)
    fields = dict(applicant=applicant, uscc=USCC, state=State.PENDING_REVIEW, method="letter")
    CompanyVerification.objects.create(company=company, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        CompanyVerification.objects.create(company=other, **fields)
    # a closed case does not count
    CompanyVerification.objects.create(company=other, **{**fields, "state": State.REJECTED})


def test_simultaneous_submissions_of_one_uscc_accept_exactly_one(settings):
    clients = []
    for i in range(N):
        user, company = owner_with_company(i)
        clients.append(log_in(Client(), user, company))

    results = at_once(N, lambda i: post_company(clients[i], method="letter"))

    assert errors(results) == []
    assert [r.status_code for r in results].count(302) == 1
    refused = [r for r in results if r.status_code == 200]
    assert len(refused) == N - 1
    for r in refused:  # the friendly message, not a database error
        assert "统一社会信用代码" in r.content.decode()
    assert CompanyVerification.objects.filter(uscc=USCC).count() == 1
    assert Company.objects.filter(status=Company.Status.PENDING).count() == 1
    # the losers' uploads were not kept (a licence is personal data of nobody's case)
    from pathlib import Path

    licences = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    assert len(licences) == 2  # the winner's licence and letter


def test_simultaneous_approvals_approve_once(client, applicant, company, operator):
    log_in(client, applicant, company)
    assert post_company(client, method="letter").status_code == 302
    case = CompanyVerification.objects.get(company=company)
    assert case.state == State.PENDING_REVIEW
    operators = [log_in(Client(), operator) for _ in range(N)]
    url = reverse("verification:case", args=["company", case.pk])

    results = at_once(N, lambda i: operators[i].post(url, {"decision": "approve", "reason": ""}))

    assert errors(results) == []
    codes = [r.status_code for r in results]
    assert codes.count(302) == 1, codes  # "Decision recorded", back to the queue
    assert codes.count(200) == N - 1, codes  # the case page again, saying why not
    for r in results:
        if r.status_code == 200:
            assert "不能变更为" in r.content.decode() or "cannot become" in r.content.decode()
    case.refresh_from_db()
    assert case.state == State.APPROVED
    assert Evidence.objects.filter(case_type="company", step="review").count() == 1
    assert Certificate.objects.filter(company=company).count() == 1
    assert Seal.objects.filter(company=company, kind=Seal.Kind.OFFICIAL).count() == 1


def test_simultaneous_person_approvals_approve_once(client, applicant, operator):
    from chop.verification.models import PersonVerification

    from .test_flows import post_person

    log_in(client, applicant)
    assert post_person(client).status_code == 302
    case = PersonVerification.objects.get(applicant=applicant)
    assert case.state == State.PENDING_REVIEW
    operators = [log_in(Client(), operator) for _ in range(N)]
    url = reverse("verification:case", args=["person", case.pk])

    results = at_once(N, lambda i: operators[i].post(url, {"decision": "approve", "reason": ""}))

    assert errors(results) == []
    codes = [r.status_code for r in results]
    assert codes.count(302) == 1 and codes.count(200) == N - 1, codes
    assert Evidence.objects.filter(case_type="person", step="review").count() == 1
