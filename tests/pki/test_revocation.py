"""Revocation: the CRL and OCSP answers reflect it, in-process, over HTTP and to openssl."""

from __future__ import annotations

import asyncio
import base64
import subprocess
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509 import ocsp
from pyhanko_certvalidator import CertificateValidator
from pyhanko_certvalidator.errors import RevokedError

from chop.pki import CertificateRevokedError, PlatformCA

from .conftest import COMPANY, ID_NUMBER, KEK, PERSON, USCC, to_asn1


def ocsp_request(cert, issuer, algorithm=None, nonce: bytes | None = None) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, algorithm or hashes.SHA1())
    if nonce:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def test_revocation_shows_in_crl_and_ocsp(ca):
    good = ca.issue_company(COMPANY, USCC)
    bad = ca.issue_person(PERSON, ID_NUMBER)
    before = x509.load_der_x509_crl(ca.crl())
    assert before.get_revoked_certificate_by_serial_number(bad.serial) is None

    status = ca.revoke(bad.serial, "key_compromise")
    assert status.is_revoked and status.reason == "key_compromise"
    assert abs(status.revoked_at - datetime.now(UTC)) < timedelta(seconds=30)
    # idempotent: a second revoke keeps the original time and reason
    again = ca.revoke(bad.serial, "superseded")
    assert again.revoked_at == status.revoked_at and again.reason == "key_compromise"
    assert ca.status(good.serial).status == "good"
    assert ca.status(123).status == "unknown"

    crl = x509.load_der_x509_crl(ca.crl())
    assert crl.is_signature_valid(ca.issuing_certificate.public_key())
    assert crl.issuer == ca.issuing_certificate.subject
    entry = crl.get_revoked_certificate_by_serial_number(bad.serial)
    assert entry is not None
    assert entry.revocation_date_utc == status.revoked_at
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
        x509.ReasonFlags.key_compromise
    )
    assert crl.get_revoked_certificate_by_serial_number(good.serial) is None
    number = lambda c: c.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number  # noqa: E731
    assert number(crl) > number(before)
    assert crl.next_update_utc > datetime.now(UTC)

    nonce = b"0123456789abcdef"
    for cred, expected in ((bad, ocsp.OCSPCertStatus.REVOKED), (good, ocsp.OCSPCertStatus.GOOD)):
        for algorithm in (hashes.SHA1(), hashes.SHA256()):
            req = ocsp_request(cred.certificate, ca.issuing_certificate, algorithm, nonce)
            resp = ocsp.load_der_ocsp_response(ca.ocsp_respond(req))
            assert resp.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
            assert resp.certificate_status == expected
            assert resp.serial_number == cred.serial
            assert resp.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce
            ca.issuing_certificate.public_key().verify(
                resp.signature,
                resp.tbs_response_bytes,
                padding.PKCS1v15(),
                resp.signature_hash_algorithm,
            )
            if expected == ocsp.OCSPCertStatus.REVOKED:
                assert resp.revocation_time_utc == status.revoked_at
                assert resp.revocation_reason == x509.ReasonFlags.key_compromise

    # the revoked certificate no longer signs, and no longer validates
    with pytest.raises(CertificateRevokedError):
        ca.signer(bad.serial)
    ca.signer(good.serial)
    with pytest.raises(RevokedError):
        ca.validate_chain(bad.serial)
    ca.validate_chain(good.serial)


def test_crl_listed_by_openssl(ca, tmp_path):
    cred = ca.issue_company(COMPANY, USCC)
    ca.revoke(cred.serial, "cessation_of_operation")
    text = subprocess.run(
        ["openssl", "crl", "-inform", "DER", "-noout", "-text"],
        input=ca.crl(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    hex_serial = f"{cred.serial:X}"
    hex_serial = "0" * (len(hex_serial) % 2) + hex_serial  # openssl prints whole bytes
    assert f"Serial Number: {hex_serial}" in text
    assert "Cessation Of Operation" in text
    assert "Chop Issuing CA" in text


def test_ocsp_edge_cases(ca, p256_ca):
    other = p256_ca.issue_company(COMPANY, USCC)
    # a certificate from another CA: not our issuer -> unauthorized
    resp = ocsp.load_der_ocsp_response(
        ca.ocsp_respond(ocsp_request(other.certificate, p256_ca.issuing_certificate))
    )
    assert resp.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED
    # garbage -> malformed
    resp = ocsp.load_der_ocsp_response(ca.ocsp_respond(b"\x30\x00"))
    assert resp.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    # our issuer, serial we never issued -> unknown
    fake = (
        x509.CertificateBuilder()
        .subject_name(other.certificate.subject)
        .issuer_name(ca.issuing_certificate.subject)
        .public_key(other.certificate.public_key())
        .serial_number(424242)
        .not_valid_before(datetime.now(UTC))
        .not_valid_after(datetime.now(UTC) + timedelta(days=1))
        .sign(p256_ca.file_custody.private_key(other.key_ref), hashes.SHA256())
    )
    resp = ocsp.load_der_ocsp_response(ca.ocsp_respond(ocsp_request(fake, ca.issuing_certificate)))
    assert resp.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert resp.certificate_status == ocsp.OCSPCertStatus.UNKNOWN
    # the root answers for the issuing CA
    resp = ocsp.load_der_ocsp_response(
        ca.ocsp_respond(ocsp_request(ca.issuing_certificate, ca.root_certificate))
    )
    assert resp.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert (
        resp.responder_key_hash
        == x509.SubjectKeyIdentifier.from_public_key(ca.root_certificate.public_key()).digest
    )


def test_ocsp_and_crl_over_http_and_openssl_ocsp_client(ca, server, tmp_path):
    good = ca.issue_company(COMPANY, USCC)
    bad = ca.issue_company(COMPANY, USCC)
    ca.revoke(bad.serial)
    pem = serialization.Encoding.PEM
    (tmp_path / "root.pem").write_bytes(ca.root_certificate.public_bytes(pem))
    (tmp_path / "issuing.pem").write_bytes(ca.issuing_certificate.public_bytes(pem))

    for cred, word in ((good, "good"), (bad, "revoked")):
        (tmp_path / "leaf.pem").write_bytes(cred.certificate.public_bytes(pem))
        out = subprocess.run(
            ["openssl", "ocsp", "-issuer", tmp_path / "issuing.pem", "-cert", tmp_path / "leaf.pem"]
            + ["-url", f"{server}/pki/ocsp", "-CAfile", tmp_path / "root.pem", "-resp_text"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert out.returncode == 0, out.stderr
        assert "Response verify OK" in out.stderr + out.stdout
        assert f"leaf.pem: {word}" in out.stdout

    # RFC 6960 GET form, and POST with requests
    req = ocsp_request(bad.certificate, ca.issuing_certificate)
    got = requests.get(
        f"{server}/pki/ocsp/{quote(base64.b64encode(req).decode(), safe='')}", timeout=10
    )
    posted = requests.post(
        f"{server}/pki/ocsp",
        data=req,
        headers={"Content-Type": "application/ocsp-request"},
        timeout=10,
    )
    for reply in (got, posted):
        assert reply.headers["Content-Type"] == "application/ocsp-response"
        assert ocsp.load_der_ocsp_response(reply.content).certificate_status == (
            ocsp.OCSPCertStatus.REVOKED
        )

    crl = requests.get(f"{server}/pki/issuing.crl", timeout=10)
    assert crl.headers["Content-Type"] == "application/pkix-crl"
    parsed = x509.load_der_x509_crl(crl.content)
    assert parsed.get_revoked_certificate_by_serial_number(bad.serial) is not None
    root = requests.get(f"{server}/pki/root.cer", timeout=10)
    assert x509.load_der_x509_certificate(root.content) == ca.root_certificate
    assert requests.get(f"{server}/pki/nothing", timeout=10).status_code == 404
    huge = requests.post(f"{server}/pki/ocsp", data=b"x" * (65 * 1024), timeout=10)
    assert huge.status_code == 413


def test_revocation_seen_by_other_instances_and_after_reload(ca, ca_dir):
    cred = ca.issue_company(COMPANY, USCC)
    first = ca.crl()  # cached in this instance
    other = PlatformCA.load(ca_dir, KEK)  # e.g. the CLI in another process
    other.revoke(cred.serial, "affiliation_changed")
    assert first != ca.crl()
    listed = x509.load_der_x509_crl(ca.crl())
    assert listed.get_revoked_certificate_by_serial_number(cred.serial) is not None
    assert PlatformCA.load(ca_dir, KEK).status(cred.serial).reason == "affiliation_changed"


def test_revoking_the_issuing_ca_lands_on_the_root_crl(tmp_path):
    small = PlatformCA.init(tmp_path / "ca", KEK, key_type="p256")
    leaf = small.issue_company(COMPANY, USCC)
    small.validate_chain(leaf.serial)
    small.revoke(small.issuing_certificate.serial_number, "ca_compromise")
    root_crl = x509.load_der_x509_crl(small.crl("root"))
    assert root_crl.is_signature_valid(small.root_certificate.public_key())
    assert root_crl.get_revoked_certificate_by_serial_number(
        small.issuing_certificate.serial_number
    )
    with pytest.raises(RevokedError):
        small.validate_chain(leaf.serial)
    with pytest.raises(ValueError):
        small.revoke(small.root_certificate.serial_number)
    with pytest.raises(ValueError):
        small.revoke(leaf.serial, "because")


def test_validation_context_without_fetching_uses_supplied_crls(ca):
    cred = ca.issue_company(COMPANY, USCC)
    ca.revoke(cred.serial)
    vc = ca.validation_context(in_process=False)
    validator = CertificateValidator(to_asn1(cred.certificate), validation_context=vc)
    with pytest.raises(RevokedError):
        asyncio.run(validator.async_validate_path())
