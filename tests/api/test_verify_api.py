# ruff: noqa: F811  (pytest fixtures imported for use by name)
"""POST /api/v1/verify: the public verification page's report as JSON."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.contracts.signing_support import latest_file
from tests.evidence.report_support import completed  # noqa: F401

from .misc_support import (  # noqa: F401
    _commit_work_per_request,
    body,
    problem,
    signing_world,
    verified_company,
)

pytestmark = pytest.mark.django_db


def _pdf(data: bytes, name: str = "signed.pdf"):
    return {"file": SimpleUploadedFile(name, data, content_type="application/pdf")}


@pytest.fixture
def signed(completed, tmp_path, make_key, api_client, verified_company, make_user):
    w, contract = completed
    data = latest_file(contract, tmp_path).read_bytes()
    _k, raw = make_key(w["a"], w["a_owner"])
    c_owner = make_user("丙方老板")
    c = verified_company("丙方咨询有限公司", owner=c_owner)
    _k, c_raw = make_key(c, c_owner)
    return {
        "w": w,
        "contract": contract,
        "data": data,
        "api": api_client(raw),
        "c": api_client(c_raw),
    }


def test_a_pdf_signed_on_chop_is_valid_and_known(signed):
    contract = signed["contract"]
    doc = body(signed["api"].post("/api/v1/verify", files=_pdf(signed["data"])))
    assert doc["verdict"] == "valid", doc
    assert doc["verdict_label"].startswith("有效")
    sigs = [s for s in doc["signatures"] if not s["is_timestamp"]]
    assert len(sigs) == 2 and len(doc["signatures"]) == 2  # no document timestamps here
    assert all(s["intact"] and s["valid"] and s["trusted"] and s["ok"] for s in sigs)
    assert {s["company"] for s in sigs} == {"甲方科技有限公司", "乙方贸易有限公司"}
    assert all(s["tsa_time"] and s["pades"] for s in sigs)
    assert sigs[0]["provenance"]["seal_code"]
    version = contract.current_version()
    assert doc["known"] == {"version": version.number, "contract_id": contract.pk}
    assert doc["sha256"] == version.sha256


def test_another_company_learns_the_version_but_not_the_contract(signed):
    doc = body(signed["c"].post("/api/v1/verify", files=_pdf(signed["data"])))
    assert doc["verdict"] == "valid"
    assert doc["known"]["contract_id"] is None and doc["known"]["version"] >= 1


def test_a_tampered_copy_is_invalid(signed):
    data = signed["data"]
    # one letter of the contract's own text, inside every signature's byte range: the file
    # stays readable (a flipped byte in a compressed stream would make it unreadable instead)
    at = data.index(b") Tj") - 1
    tampered = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]
    doc = body(signed["api"].post("/api/v1/verify", files=_pdf(tampered)), 200)
    assert doc["verdict"] == "invalid", doc["verdict"]
    assert doc["known"] is None


def test_unsigned_not_a_pdf_too_big_and_missing(signed, settings):
    from tests.contracts.conftest import pdf_pages

    api = signed["api"]
    assert body(api.post("/api/v1/verify", files=_pdf(pdf_pages(1))))["verdict"] == "unsigned"
    doc = problem(
        api.post("/api/v1/verify", files=_pdf(b"PK\x03\x04 not a pdf", "x.pdf")),
        415,
        "upload.type",
    )
    assert doc["detail"]
    settings.CHOP_CONTRACT_MAX_BYTES = 1000
    problem(api.post("/api/v1/verify", files=_pdf(signed["data"])), 413, "upload.too_big")
    doc = problem(api.post("/api/v1/verify", data={"other": "x"}), 422, "invalid")
    assert doc["errors"][0]["field"] == "file"


def test_records_scope_is_needed(signed, make_key, api_client):
    w = signed["w"]
    _k, raw = make_key(w["a"], w["a_owner"], scopes=["read"])
    problem(
        api_client(raw).post("/api/v1/verify", files=_pdf(signed["data"])), 403, "scope_missing"
    )
