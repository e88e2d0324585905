"""End to end with the platform CA (chop.pki): its signers, its TSA, its root as trust anchor.

Also the long-term levels: B-LT embeds the CA's CRL/OCSP answers in the DSS, B-LTA adds a
document timestamp, and a later signing act leaves both earlier signatures valid.
"""

from __future__ import annotations

import pytest

from chop import pdfsign as ps
from tests.support.pdfsign_testing import demo_seal

from .conftest import pdfsig_valid_count, qpdf_check

KEK = "pdfsign test kek"


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    from chop.pki import PlatformCA

    return PlatformCA.init(
        tmp_path_factory.mktemp("pdfsign-ca") / "ca", KEK, site_url="https://chop.test/"
    )


@pytest.fixture(scope="module")
def creds(ca):
    a = ca.issue_company("甲方科技有限公司", "9144030071526726XG")
    b = ca.issue_company("乙方贸易有限公司", "91110000600037341L")
    p = ca.issue_person("张三", "11010519491231002X")
    return a, b, p


def _check(path, ca, n):
    count, text = pdfsig_valid_count(path)
    assert count == n, text
    qpdf_check(path)
    report = ps.verify(path, [ca.root_certificate])
    assert report.verdict == "valid", report.to_dict()
    return report


def test_three_acts_with_platform_ca(contract, tmp_path, ca, creds, seal):
    a, b, p = creds
    ts = ca.timestamper()
    a1, a2, a3 = tmp_path / "a1.pdf", tmp_path / "a2.pdf", tmp_path / "a3.pdf"
    ps.sign(
        contract,
        a1,
        signer=ca.signer(a.serial),
        marks=[ps.KeywordMark(seal, "甲方（盖章）"), ps.RidingMark(seal)],
        options=ps.SignOptions(timestamper=ts),
    )
    ps.sign(
        a1,
        a2,
        signer=ca.signer(b.serial),
        marks=[ps.SingleMark(demo_seal(38), 1, 130, 220), ps.RidingMark(demo_seal(38), "left")],
        options=ps.SignOptions(timestamper=ts),
    )
    ps.sign(
        a2,
        a3,
        signer=ca.signer(p.serial),
        marks=[ps.SingleMark(demo_seal(18), 4, 150, 240, date=ps.DateText())],
        options=ps.SignOptions(timestamper=ts),
    )
    report = _check(a3, ca, 3)
    assert [s.certificate_serial for s in report.signatures] == [
        format(c.serial, "x") for c in (a, b, p)
    ]
    assert all(s.pades_level == "B-T" and s.timestamp.trusted for s in report.signatures)
    assert [s.modification_level for s in report.signatures] == [
        "form-filling",
        "form-filling",
        "none",
    ]


@pytest.mark.parametrize("level", ["B-LT", "B-LTA"])
def test_long_term_levels(contract, tmp_path, ca, creds, seal, level):
    a, b, _ = creds
    out = tmp_path / "lt.pdf"
    res = ps.sign(
        contract,
        out,
        signer=ca.signer(a.serial),
        marks=[ps.SingleMark(seal, 1, 20, 20)],
        options=ps.SignOptions(
            timestamper=ca.timestamper(), validation_context=ca.validation_context(), level=level
        ),
    )
    assert res.level == level
    report = _check(out, ca, 1)
    sig = report.signatures[0]
    assert sig.pades_level == level
    if level == "B-LTA":
        assert report.signatures[-1].kind == "document-timestamp"
    # a later signer's act keeps the long-term signature valid
    out2 = tmp_path / "lt2.pdf"
    ps.sign(
        out,
        out2,
        signer=ca.signer(b.serial),
        marks=[ps.SingleMark(demo_seal(38), 2, 20, 20), ps.RidingMark(demo_seal(38))],
        options=ps.SignOptions(timestamper=ca.timestamper()),
    )
    report2 = _check(out2, ca, 2)
    assert report2.signatures[0].pades_level == level


def test_ecdsa_platform_ca(contract, tmp_path, seal, tmp_path_factory):
    from chop.pki import PlatformCA

    ec_ca = PlatformCA.init(tmp_path_factory.mktemp("pdfsign-ec") / "ca", KEK, key_type="p256")
    cred = ec_ca.issue_company("甲方科技有限公司", "9144030071526726XG")
    out = tmp_path / "ec.pdf"
    ps.sign(
        contract,
        out,
        signer=ec_ca.signer(cred.serial),
        marks=[ps.SingleMark(seal, 1, 20, 20)],
        options=ps.SignOptions(timestamper=ec_ca.timestamper()),
    )
    _check(out, ec_ca, 1)


def test_revoked_certificate_is_reported(contract, tmp_path, ca, seal):
    cred = ca.issue_company("丙方有限公司", "91310000MA1FL0EB8A")
    out = tmp_path / "r.pdf"
    ps.sign(contract, out, signer=ca.signer(cred.serial), marks=[ps.SingleMark(seal, 1, 20, 20)])
    before = ps.verify(out, validation_context=ca.validation_context())
    assert before.signatures[0].chain_status == "trusted" and before.verdict == "valid"
    ca.revoke(cred.serial, "key_compromise")
    after = ps.verify(out, validation_context=ca.validation_context())
    sig = after.signatures[0]
    assert sig.intact and sig.chain_status == "revoked" and not sig.trusted
    assert after.verdict == "invalid" and "revoked" in sig.problems[0]
