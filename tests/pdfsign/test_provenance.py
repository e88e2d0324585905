"""Provenance signed into the signature: a signed CMS attribute that verify reads back.

It is covered by the signer's signature (one changed byte breaks it in Chop's verifier, pyHanko
and poppler), it leaves every independent check as it was, and without it the CMS is exactly the
standard one.
"""

from __future__ import annotations

import json

import pytest
from asn1crypto import cms

from chop import pdfsign as ps
from chop.pdfsign import provenance
from tests.support.pdfsign_testing import demo_seal

from .conftest import pdfsig_trusted_count, pdfsig_valid_count

PROVENANCE = {
    "v": 1,
    "platform": "Chop",
    "seal": {"code": "CS-0001", "kind": "official", "image_sha256": "ab" * 32},
    "authorisation": {
        "kind": "approval",
        "id": 42,
        "by": [{"id": 7, "name": "王经理"}],
        "at": "2026-12-06T08:00:00+00:00",
    },
    "intent": {"method": "sms", "at": "2026-12-06T08:05:00+00:00"},
    "note": "甲方（盖章）：合同专用章",
}

STANDARD_ATTRS = {"content_type", "signing_certificate_v2", "message_digest"}


def _sign(src, dst, signer, seal, **opts):
    return ps.sign(
        src,
        dst,
        signer=signer,
        marks=[ps.SingleMark(seal, 1, 20, 20)],
        options=ps.SignOptions(**opts),
    )


def _signed_attrs(path):
    from pyhanko.pdf_utils.reader import PdfFileReader

    with open(path, "rb") as f:
        sigs = PdfFileReader(f, strict=False).embedded_signatures
        return [s.signer_info["signed_attrs"] for s in sigs]


def test_round_trip_with_chinese_text(contract, tmp_path, signer_a, seal, assert_signed_ok, nssdb):
    out = tmp_path / "p.pdf"
    _sign(contract, out, signer_a, seal, provenance=PROVENANCE)
    # pdfsig (valid and, with the root, trusted), qpdf --check and pyHanko with the platform root
    report = assert_signed_ok(out, 1)
    trusted, text = pdfsig_trusted_count(out, nssdb)
    assert trusted == 1, text
    sig = report.signatures[0]
    assert sig.provenance == PROVENANCE
    assert report.to_dict()["signatures"][0]["provenance"]["note"] == "甲方（盖章）：合同专用章"
    # the attribute is in signedAttrs, holding canonical JSON
    (attrs,) = _signed_attrs(out)
    ours = [a for a in attrs if a["type"].dotted == provenance.OID]
    assert len(ours) == 1
    assert ours[0]["values"][0].dump()[0] == 0x0C  # UTF8String
    hexed = provenance.canonical(PROVENANCE).hex().encode()
    assert hexed in out.read_bytes()  # inside /Contents, in the signed CMS
    assert {a["type"].native for a in attrs} - {provenance.OID} == STANDARD_ATTRS
    ders = [a.dump() for a in attrs]
    assert ders == sorted(ders)  # a DER SET OF, in canonical order


def test_the_cms_alone_carries_it(contract, tmp_path, signer_a, seal):
    """Taken out of the PDF (a .p7s), the CMS still names its provenance."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    out = tmp_path / "p.pdf"
    _sign(contract, out, signer_a, seal, provenance=PROVENANCE)
    with open(out, "rb") as f:
        (s,) = PdfFileReader(f, strict=False).embedded_signatures
        p7s = bytes(s.sig_object["/Contents"]).rstrip(b"\x00")  # the placeholder's zero padding
    info = cms.ContentInfo.load(p7s)
    attrs = info["content"]["signer_infos"][0]["signed_attrs"]
    assert provenance.decode(attrs) == PROVENANCE
    assert provenance.decode(attrs.dump()) == PROVENANCE


def test_without_provenance_the_cms_is_the_standard_one(contract, tmp_path, signer_a, seal, tsa):
    out = tmp_path / "plain.pdf"
    _sign(contract, out, signer_a, seal, timestamper=tsa)
    (attrs,) = _signed_attrs(out)
    assert {a["type"].native for a in attrs} == STANDARD_ATTRS
    report = ps.verify(out, [])
    assert report.signatures[0].provenance is None
    assert report.to_dict()["signatures"][0]["provenance"] is None
    # the /Contents placeholder is as large as before: nothing reserved for a provenance
    with_prov = tmp_path / "prov.pdf"
    _sign(contract, with_prov, signer_a, seal, timestamper=tsa, provenance=PROVENANCE)
    grown = with_prov.stat().st_size - out.stat().st_size
    der = len(provenance.encode(PROVENANCE))
    assert 2 * der <= grown <= 2 * (der + 8) + 16


def _stock_pyhanko(path, pki):
    """pyHanko's own validator and default difference policy, the platform root the only anchor."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from chop.pdfsign.verify import _load_roots

    with open(path, "rb") as f:
        (s,) = PdfFileReader(f, strict=False).embedded_signatures
        vc = ValidationContext(trust_roots=_load_roots([pki.root_certificate]))
        return validate_pdf_signature(
            s, signer_validation_context=vc, diff_policy=DEFAULT_DIFF_POLICY
        )


def test_one_changed_byte_of_the_provenance_breaks_the_signature(
    contract, tmp_path, signer_a, seal, pki, assert_signed_ok
):
    out = tmp_path / "p.pdf"
    _sign(contract, out, signer_a, seal, provenance=PROVENANCE)
    assert_signed_ok(out, 1)
    status = _stock_pyhanko(out, pki)
    assert status.intact and status.valid and status.trusted and status.bottom_line
    data = out.read_bytes()
    needle = b'"id":42'.hex().encode()
    assert data.count(needle) == 1
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(data.replace(needle, b'"id":43'.hex().encode()))
    assert len(bad.read_bytes()) == len(data)

    report = ps.verify(bad, [pki.root_certificate])
    sig = report.signatures[0]
    assert report.verdict == "invalid"
    assert not sig.valid and sig.problems
    assert sig.provenance["authorisation"]["id"] == 43  # what it claims, reported as invalid
    status = _stock_pyhanko(bad, pki)
    assert not status.valid and not status.bottom_line
    count, text = pdfsig_valid_count(bad)
    assert count == 0, text


def test_too_large_is_refused_with_nothing_written(contract, tmp_path, signer_a, seal):
    out = tmp_path / "big.pdf"
    big = {"note": "章" * provenance.MAX_BYTES}
    with pytest.raises(ps.PdfSignError) as info:
        _sign(contract, out, signer_a, seal, provenance=big)
    assert info.value.code == "provenance_too_large"
    assert info.value.params["limit"] == provenance.MAX_BYTES
    assert not out.exists() and list(tmp_path.iterdir()) == [contract]
    with pytest.raises(ps.PdfSignError) as info:
        _sign(contract, out, signer_a, seal, provenance={"when": object()})
    assert info.value.code == "provenance_not_json"
    assert not out.exists()


def test_largest_accepted_provenance_fits(contract, tmp_path, signer_a, seal, tsa, pki):
    payload = {"note": ""}
    payload["note"] = "x" * (provenance.MAX_BYTES - len(provenance.canonical(payload)))
    assert len(provenance.canonical(payload)) == provenance.MAX_BYTES
    out = tmp_path / "max.pdf"
    _sign(contract, out, signer_a, seal, timestamper=tsa, provenance=payload)
    report = ps.verify(out, [pki.root_certificate])
    assert report.verdict == "valid" and report.signatures[0].provenance == payload


def test_two_acts_each_read_their_own(
    contract, tmp_path, signer_a, signer_b, seal, tsa, assert_signed_ok
):
    first = {**PROVENANCE, "seal": {**PROVENANCE["seal"], "code": "甲-001"}}
    second = {"v": 1, "seal": {"code": "乙-002"}, "authorisation": {"kind": "grant", "id": 9}}
    a1, a2 = tmp_path / "a1.pdf", tmp_path / "a2.pdf"
    _sign(contract, a1, signer_a, seal, timestamper=tsa, provenance=first)
    ps.sign(
        a1,
        a2,
        signer=signer_b,
        marks=[ps.SingleMark(demo_seal(38), 2, 30, 30)],
        options=ps.SignOptions(timestamper=tsa, provenance=second),
    )
    report = assert_signed_ok(a2, 2)
    assert [s.provenance for s in report.signatures] == [first, second]


@pytest.mark.parametrize("level", ["B-LT", "B-LTA"])
def test_long_term_levels_keep_it(contract, tmp_path, seal, pki, level):
    ca = pki.ca
    out = tmp_path / "lt.pdf"
    _sign(
        contract,
        out,
        pki.issue_company("丙方有限公司", "91310000MA1FL0EB8A").signer(),
        seal,
        timestamper=ca.timestamper(),
        validation_context=ca.validation_context(),
        level=level,
        provenance=PROVENANCE,
    )
    report = ps.verify(out, validation_context=ca.validation_context())
    assert report.verdict == "valid", report.summary
    sig = report.signatures[0]
    assert sig.pades_level == level and sig.provenance == PROVENANCE


def test_decode():
    attr = cms.CMSAttribute.load(provenance.encode({"b": 1, "a": "é"}))
    attrs = cms.CMSAttributes([attr])
    assert provenance.decode(attrs) == {"a": "é", "b": 1}
    assert provenance.decode(None) is None
    assert provenance.decode(cms.CMSAttributes([])) is None
    # canonical: sorted keys, no spaces, non-ASCII kept
    assert provenance.canonical({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
    not_an_object = cms.CMSAttribute.load(
        provenance._tlv(
            0x30,
            provenance._OID_DER + provenance._tlv(0x31, provenance._tlv(0x0C, b"[1,2]")),
        )
    )
    with pytest.raises(ValueError):
        provenance.decode(cms.CMSAttributes([not_an_object]))


def test_cli_signs_and_prints_it(contract, tmp_path, company_a, pki):
    from chop.pdfsign.cli import main

    p12 = tmp_path / "a.p12"
    p12.write_bytes(company_a.pkcs12(b"secret"))
    root = tmp_path / "root.pem"
    root.write_bytes(pki.root_pem())
    prov = tmp_path / "prov.json"
    prov.write_text(json.dumps(PROVENANCE, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out.pdf"
    args = ["sign", str(contract), "-o", str(out), "--p12", str(p12), "--p12-password", "secret"]
    assert main([*args, "--level", "B-B", "--provenance", str(prov)]) == 0
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["verify", str(out), "--trust", str(root)]) == 0
    assert "provenance: " in buf.getvalue() and "王经理" in buf.getvalue()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["verify", str(out), "--trust", str(root), "--json"]) == 0
    assert json.loads(buf.getvalue())["signatures"][0]["provenance"] == PROVENANCE
    # a file that is not one JSON object: exit 2, nothing written
    prov.write_text("[1, 2]", encoding="utf-8")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main([*args[:3], str(tmp_path / "x.pdf"), *args[4:], "--provenance", str(prov)]) == 2
    assert "JSON object" in err.getvalue() and not (tmp_path / "x.pdf").exists()
