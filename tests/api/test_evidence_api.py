# ruff: noqa: F811  (pytest fixtures imported for use by name)
"""Evidence reports over the API: request one for a sent contract (202), follow its state, download
the signed PDF; drafts, a report already being made, other companies, scopes."""

from __future__ import annotations

import hashlib

import pytest

from tests.evidence.report_support import completed  # noqa: F401

from .misc_support import (  # noqa: F401
    _commit_work_per_request,
    body,
    problem,
    signing_world,
    verified_company,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def keys(completed, make_key, api_client, verified_company, make_user):
    w, contract = completed
    out = {"w": w, "contract": contract}
    for name, company, user in (("a", w["a"], w["a_owner"]), ("b", w["b"], w["b_owner"])):
        _k, raw = make_key(company, user)
        out[name] = api_client(raw)
    c_owner = make_user("丙方老板")
    c = verified_company("丙方咨询有限公司", owner=c_owner)
    _k, raw = make_key(c, c_owner)
    out["c"] = api_client(raw)
    return out


def test_request_follow_and_download_a_report(keys):
    from chop.evidence.models import EvidenceReport, VerificationCode

    contract = keys["contract"]
    api = keys["a"]
    doc = body(api.post(f"/api/v1/contracts/{contract.pk}/evidence"), 202)
    assert doc["state"] == "pending" and doc["contract_id"] == contract.pk
    assert doc["file_url"] is None and doc["ready_at"] is None
    code = VerificationCode.objects.get(contract=contract).code
    assert doc["code"] == code
    report = EvidenceReport.objects.get(pk=doc["id"])
    assert report.requested_by == keys["w"]["a_owner"]
    # the background task ran when the request committed
    doc = body(api.get(f"/api/v1/evidence/{report.pk}"))
    assert doc["state"] == "ready", doc
    assert doc["file_url"] == f"/api/v1/evidence/{report.pk}/file"
    assert doc["ready_at"] and len(doc["sha256"]) == 64
    response = api.get(doc["file_url"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert hashlib.sha256(response.content).hexdigest() == doc["sha256"]
    # the other party's company sees the same report of the contract it signed
    assert body(keys["b"].get(f"/api/v1/evidence/{report.pk}"))["sha256"] == doc["sha256"]


def test_a_report_being_made_and_a_draft_are_409(keys, make_key, api_client):
    from chop.evidence.models import EvidenceReport
    from tests.contracts.signing_support import upload

    contract = keys["contract"]
    w = keys["w"]
    pending = EvidenceReport.objects.create(contract=contract, requested_by=w["a_owner"])
    problem(keys["a"].post(f"/api/v1/contracts/{contract.pk}/evidence"), 409, "evidence_refused")
    problem(keys["a"].get(f"/api/v1/evidence/{pending.pk}/file"), 409, "report_not_ready")
    draft = upload(w["a"], w["a_owner"])
    problem(keys["a"].post(f"/api/v1/contracts/{draft.pk}/evidence"), 409, "contract_draft")
    # another company's draft is not even there
    problem(keys["b"].post(f"/api/v1/contracts/{draft.pk}/evidence"), 404, "not_found")


def test_a_company_not_in_the_contract_gets_404(keys):
    from chop.evidence.models import EvidenceReport

    contract = keys["contract"]
    report = EvidenceReport.objects.create(
        contract=contract,
        requested_by=keys["w"]["a_owner"],
        state="ready",
        sha256="1" * 64,
        file="evidence/x.pdf",
    )
    c = keys["c"]
    problem(c.post(f"/api/v1/contracts/{contract.pk}/evidence"), 404, "not_found")
    problem(c.get(f"/api/v1/evidence/{report.pk}"), 404, "not_found")
    problem(c.get(f"/api/v1/evidence/{report.pk}/file"), 404, "not_found")
    assert EvidenceReport.objects.filter(contract=contract).count() == 1


def test_records_scope_is_needed(keys, make_key, api_client):
    w = keys["w"]
    _k, raw = make_key(w["a"], w["a_owner"], scopes=["read", "contracts", "stamping"])
    api = api_client(raw)
    problem(api.post(f"/api/v1/contracts/{keys['contract'].pk}/evidence"), 403, "scope_missing")
    problem(api.get("/api/v1/evidence/1"), 403, "scope_missing")
