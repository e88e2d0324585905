"""The constraint migrations repair what the old races left, so they apply to a real database."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("orgs", "0002_invitation"), ("verification", "0002_sealed_envelopes")]
AFTER = [("orgs", "0003_one_owner"), ("verification", "0006_one_case_per_uscc")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_schema():
    apps = _migrate(BEFORE)
    try:
        yield apps
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_extra_owners_and_duplicate_cases_are_resolved(old_schema):
    apps = old_schema
    User = apps.get_model("accounts", "User")
    Company = apps.get_model("orgs", "Company")
    Membership = apps.get_model("orgs", "Membership")
    Case = apps.get_model("verification", "CompanyVerification")
    first, second, third = (User.objects.create(login=f"1390000000{i}") for i in range(3))
    company = Company.objects.create(name="两个老板公司")
    kept = Membership.objects.create(company=company, user=first, role="owner")
    extra = Membership.objects.create(company=company, user=second, role="owner")
    other = Company.objects.create(name="同码公司", status="pending")
    common = dict(applicant=third, uscc="9144030071526726XG", method="letter")
    approved = Case.objects.create(company=company, state="approved", **common)
    duplicate = Case.objects.create(company=other, state="pending_review", **common)

    _migrate(AFTER)

    kept.refresh_from_db()
    extra.refresh_from_db()
    assert (kept.role, extra.role) == ("owner", "admin")
    approved.refresh_from_db()
    duplicate.refresh_from_db()
    assert approved.state == "approved" and duplicate.state == "rejected" and duplicate.reason
    other.refresh_from_db()
    assert other.status == "rejected"
