# ruff: noqa: F811  (pytest fixtures imported for use by name)
"""The evidence report (出证报告): asked for on the contract page, made by the background task,
an A4 PDF signed by the platform at PAdES B-T with its data attached as JSON; who may ask and
download; one pending report at a time; a failure shown and retryable; and the evidence summary
opened by the contract's verification code."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess

import pytest
from django.urls import reverse

from tests.concurrency import at_once
from tests.contracts.conftest import _commit_work_per_request  # noqa: F401
from tests.contracts.signing_support import (  # noqa: F401
    PERSON_ID,
    root_pem,
    signing_world,
    upload,
)
from tests.seals.conftest import verified_company  # noqa: F401
from tests.support.storage import on_both_storages

from .report_support import FULL_PHONE, completed  # noqa: F401

pytestmark = pytest.mark.django_db


def _ask(client, contract):
    return client.post(reverse("contract_evidence", args=[contract.pk]), follow=True)


def _ready(client, contract):
    from chop.evidence.models import EvidenceReport

    response = _ask(client, contract)
    assert response.status_code == 200
    report = EvidenceReport.objects.filter(contract=contract).first()
    assert report is not None and report.state == "ready", report and report.error
    return report


def _pdf(report) -> bytes:
    with report.file.open("rb") as fh:
        return fh.read()


def _attachment(data: bytes) -> dict:
    """evidence.json as pyHanko's reader finds it in /EmbeddedFiles."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(data))
    names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    files = {str(names[i]): names[i + 1].get_object() for i in range(0, len(names), 2)}
    spec = files["evidence.json"]
    return json.loads(spec["/EF"]["/F"].get_object().data.decode("utf-8"))


def _text(data: bytes) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


@on_both_storages
def test_a_completed_contract_gets_a_signed_evidence_report(completed, login, tmp_path, nss_db):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from chop.evidence.models import VerificationCode
    from chop.pki.ca import asn1_certificate
    from chop.seals.issuance import platform_ca

    w, contract = completed
    client = login(w["a_owner"])
    report = _ready(client, contract)
    data = _pdf(report)
    assert hashlib.sha256(data).hexdigest() == report.sha256

    # pyHanko, independently of Chop's verifier: intact, valid and trusted with the platform root
    ca = platform_ca()
    reader = PdfFileReader(io.BytesIO(data))
    (sig,) = reader.embedded_signatures
    status = validate_pdf_signature(
        sig, ValidationContext(trust_roots=[asn1_certificate(ca.root_certificate)])
    )
    assert status.intact and status.valid and status.trusted
    assert status.coverage.name == "ENTIRE_FILE"
    assert "evidence" in sig.signer_cert.subject.human_friendly
    assert status.timestamp_validity is not None and status.timestamp_validity.intact  # B-T

    # Chop's verifier agrees, and names the level
    from chop import pdfsign as ps

    checked = ps.verify(data, [ca.root_certificate])
    assert checked.signatures[0].ok and checked.signatures[0].pades_level == "B-T"

    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    out = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert out.returncode == 0 and "No syntax or stream encoding errors found" in out.stdout
    out = subprocess.run(
        ["pdfsig", "-nssdir", nss_db(root_pem()), "-no-ocsp", str(path)],
        capture_output=True,
        text=True,
    )
    sig_out = out.stdout + out.stderr
    assert "Signature Validation: Signature is Valid." in sig_out, sig_out
    assert "Certificate Validation: Certificate is Trusted." in sig_out, sig_out
    assert "Total document signed" in sig_out

    # the attached JSON is the row's data, under the signature
    attached = _attachment(data)
    assert attached == report.data
    code = VerificationCode.for_contract(contract).code
    assert attached["contract"]["verification_code"] == code
    assert attached["contract"]["verify_url"].endswith(f"/verify-pdf/?code={code}")
    versions = list(contract.versions.order_by("number"))
    assert [v["sha256"] for v in attached["versions"]] == [v.sha256 for v in versions]
    acts = attached["acts"]
    assert [a["seal"]["code"] for a in acts] == [a.seal.code for a in contract.acts.order_by("pk")]
    assert acts[0]["base_sha256"] == versions[0].sha256
    assert acts[1]["signed_sha256"] == versions[-1].sha256
    assert all(a["authorisation"]["kind"] == "grant" and a["intent"]["method"] for a in acts)
    assert [s["revocation"] for s in attached["signatures"]] == ["good", "good"]
    assert all(s["tsa_time"] and s["pades_level"] == "B-T" for s in attached["signatures"])
    assert {"contract.sent", "contract.signed", "contract.completed"} <= {
        e["action"] for e in attached["events"]
    }
    # the report published a log head first: each record carries its inclusion proof, which
    # the ledger's own verifier accepts against that head's root
    assert [r["status"] for r in attached["ledger"]] == ["included", "included"]
    from chop.ledger import merkle

    for r in attached["ledger"]:
        p = r["proof"]
        assert merkle.verify_inclusion(
            p["leaf_index"],
            p["tree_size"],
            bytes.fromhex(p["leaf_hash"]),
            [bytes.fromhex(h) for h in p["audit_path"]],
            bytes.fromhex(p["root_hash"]),
        )
    assert attached["contract"]["created_at"].endswith("+08:00")  # Beijing time

    # what a reader sees: the number, every fingerprint, every seal; the ID masked only
    text = _text(data)
    assert "HT-2026-001" in text and "电子签约出证报告" in text and code in text
    for v in versions:
        assert v.sha256 in text
    for a in contract.acts.all():
        assert a.seal.code in text
    assert "110***********002X" in text
    compact = text.replace(" ", "")
    assert PERSON_ID not in compact and FULL_PHONE not in compact
    assert PERSON_ID not in json.dumps(attached) and FULL_PHONE not in json.dumps(attached)

    # the download is an attachment of the same bytes
    response = client.get(reverse("contract_evidence_download", args=[contract.pk, report.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert hashlib.sha256(response.content).hexdigest() == report.sha256


def test_the_platform_signs_with_one_evidence_certificate(completed):
    from chop.evidence.platform_signer import evidence_serial
    from chop.seals.issuance import platform_ca

    ca = platform_ca()
    first = evidence_serial(ca)
    assert evidence_serial(ca) == first
    cert = ca.certificate(first)
    assert "evidence" in cert.subject.rfc4514_string()
    ca.revoke(first)
    assert evidence_serial(ca) != first  # a revoked one is replaced


def test_who_may_ask_and_download(completed, client, login, make_user, make_company):
    from chop.evidence.models import EvidenceReport

    w, contract = completed
    owner = login(w["a_owner"])
    report = _ready(owner, contract)
    urls = [
        reverse("contract_evidence", args=[contract.pk]),
        reverse("contract_evidence_download", args=[contract.pk, report.pk]),
    ]
    # the other party's company sees the list and downloads
    party = login(w["b_owner"], w["b"])
    assert all(party.get(u).status_code == 200 for u in urls)
    # a stranger and a member of an unrelated company: 404, and asking makes nothing
    stranger = make_user("陌生人")
    other_owner = make_user("丙方老板")
    make_company("丙方有限公司", owner=other_owner)
    for user in (stranger, other_owner):
        other = login(user)
        assert all(other.get(u).status_code == 404 for u in urls)
        assert other.post(urls[0]).status_code == 404
    assert EvidenceReport.objects.filter(contract=contract).count() == 1
    # not logged in: sent to log in
    assert client.get(urls[0]).status_code == 302


def test_a_draft_has_no_evidence(signing_world, login):
    w = signing_world
    draft = upload(w["a"], w["a_owner"])
    client = login(w["a_owner"])
    assert client.get(reverse("contract_evidence", args=[draft.pk])).status_code == 404
    page = client.get(reverse("contract_detail", args=[draft.pk])).content.decode()
    assert 'data-testid="evidence-block"' not in page


def test_the_contract_page_shows_the_code_and_the_block(completed, login):
    from chop.evidence.models import VerificationCode

    w, contract = completed
    client = login(w["a_owner"])
    page = client.get(reverse("contract_detail", args=[contract.pk])).content.decode()
    assert 'data-testid="evidence-block"' in page
    assert VerificationCode.for_contract(contract).code in page


def test_one_pending_report_at_a_time(completed, login):
    from chop.evidence.models import EvidenceReport

    w, contract = completed
    EvidenceReport.objects.create(contract=contract, requested_by=w["a_owner"])
    client = login(w["a_owner"])
    page = _ask(client, contract).content.decode()
    assert "being prepared" in page.lower() or "正在" in page
    assert EvidenceReport.objects.filter(contract=contract).count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_requests_make_one_pending_report(completed, monkeypatch):
    from chop.evidence import reports
    from chop.evidence.models import EvidenceReport

    monkeypatch.setattr(reports, "_enqueue", lambda report_id: None)
    w, contract = completed

    def ask(i):
        return reports.request_report(contract, w["a_owner"])

    results = at_once(4, ask)
    made = [r for r in results if isinstance(r, EvidenceReport)]
    refused = [r for r in results if isinstance(r, reports.RequestRefused)]
    assert len(made) == 1 and len(refused) == 3, results
    assert EvidenceReport.objects.filter(contract=contract, state="pending").count() == 1


def test_a_failure_is_shown_and_a_new_report_can_be_asked_for(completed, login, monkeypatch):
    from chop import office
    from chop.evidence.models import EvidenceReport

    w, contract = completed
    client = login(w["a_owner"])
    real = office.to_pdf
    broken = {"on": True}

    def to_pdf(*args, **kwargs):
        if broken["on"]:
            raise office.OfficeError("timeout")
        return real(*args, **kwargs)

    monkeypatch.setattr(office, "to_pdf", to_pdf)
    page = _ask(client, contract).content.decode()
    failed = EvidenceReport.objects.get(contract=contract)
    assert failed.state == "failed" and failed.error == "office.timeout" and not failed.file
    assert 'data-testid="evidence-error"' in page
    broken["on"] = False
    _ask(client, contract)
    assert EvidenceReport.objects.filter(contract=contract, state="ready").count() == 1


def test_the_summary_opens_with_the_code_and_shows_nothing_personal(completed, client, login):
    from chop.evidence.models import VerificationCode

    w, contract = completed
    report = _ready(login(w["a_owner"]), contract)
    code = VerificationCode.for_contract(contract).code
    response = client.get(reverse("evidence_summary", args=[code]))
    assert response.status_code == 200
    page = response.content.decode()
    assert contract.title in page and "甲方科技有限公司" in page and "乙方贸易有限公司" in page
    for v in contract.versions.all():
        assert v.sha256 in page
    for a in contract.acts.all():
        assert a.seal.code in page
    assert report.sha256 in page
    # nothing personal: no signer names, masked IDs or numbers
    assert w["a_keeper"].display_name not in page and "002X" not in page
    assert "HT-2026-001" not in page  # not even the contract number: the code opens only this


def test_a_wrong_code_is_a_plain_404_and_tries_are_limited(completed, client, settings):
    from chop.evidence import report_views

    for i in range(report_views.SUMMARY_PER_IP_PER_MINUTE):
        assert (
            client.get(reverse("evidence_summary", args=[f"WRONGCODE{i:03d}"])).status_code == 404
        )
    assert client.get(reverse("evidence_summary", args=["WRONGCODE999"])).status_code == 429
