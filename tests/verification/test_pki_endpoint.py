"""The platform CA's CRL, OCSP, certificates and TSA are served by the app at SITE_URL/pki/."""

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from chop.seals.issuance import platform_ca

pytestmark = pytest.mark.django_db


def test_ca_certificates_and_crl(client):
    root = client.get("/pki/root.cer")
    assert root.status_code == 200 and root["Content-Type"] == "application/pkix-cert"
    assert x509.load_der_x509_certificate(root.content) == platform_ca().root_certificate
    crl = x509.load_der_x509_crl(client.get("/pki/issuing.crl").content)
    assert crl.issuer == platform_ca().issuing_certificate.subject
    assert client.get("/pki/nothing").status_code == 404


def test_ocsp_answers_and_reflects_a_revocation(client):
    ca = platform_ca()
    cred = ca.issue_company("OCSP 测试有限公司", "91310115MA1K4C2L6B")
    req = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(cred.certificate, ca.issuing_certificate, hashes.SHA256())
        .build()
    )
    body = req.public_bytes(serialization.Encoding.DER)

    def status():
        r = client.post("/pki/ocsp", body, content_type="application/ocsp-request")
        assert r.status_code == 200
        return ocsp.load_der_ocsp_response(r.content).certificate_status

    assert status() == ocsp.OCSPCertStatus.GOOD
    ca.revoke(cred.serial, "key_compromise")
    assert status() == ocsp.OCSPCertStatus.REVOKED
    too_big = client.post("/pki/ocsp", b"0" * 70000, content_type="application/ocsp-request")
    assert too_big.status_code == 413
