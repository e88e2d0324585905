"""Fixtures for the authorisation tests: a verified company whose official seal is active (with
its default grant), a person in every role and a contract being signed (``granting_world``); and
the signing world of the contracts tests (verified companies with their seals and certificates, a
person with a person certificate), with on-commit work run at the end of each test-client request
as production would."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.contracts.conftest import _commit_work_per_request  # noqa: F401
from tests.contracts.signing_support import signing_world  # noqa: F401
from tests.seals.conftest import verified_company  # noqa: F401


@pytest.fixture
def granting_world(verified_company, make_user):  # noqa: F811
    """``w["company"]``, ``w["seal"]`` (the official seal), ``w["users"][role]``,
    ``w["m"][role]`` and ``w["contract"]`` (type 采购合同, being signed)."""
    from chop.contracts.models import Contract
    from chop.orgs.models import Membership, Role
    from chop.seals.issuance import active_official_seal

    owner = make_user("王老板")
    people = {
        Role.ADMIN: make_user("李管理"),
        Role.SEAL_KEEPER: make_user("赵保管"),
        Role.SEAL_APPROVER: make_user("钱审批"),
        Role.SEAL_USER: make_user("孙用印"),
        Role.MEMBER: make_user("周员工"),
    }
    company = verified_company(owner=owner, members={u: r for r, u in people.items()})
    people[Role.OWNER] = owner
    contract = Contract.objects.create(
        company=company,
        created_by=owner,
        title="采购合同一号",
        contract_type="采购合同",
        state="signing",
        sent_at=timezone.now(),
        deadline=timezone.localdate() + dt.timedelta(days=10),
    )
    return {
        "company": company,
        "seal": active_official_seal(company),
        "users": people,
        "m": {r: Membership.objects.get(company=company, user=u) for r, u in people.items()},
        "contract": contract,
    }
