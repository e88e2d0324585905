"""What the CA puts into certificates, and that the chain validates against the root."""

from __future__ import annotations

import asyncio
import json
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtendedKeyUsageOID,
    ExtensionOID,
    NameOID,
)
from pyhanko_certvalidator import CertificateValidator, ValidationContext

from chop.pki import PlatformCA
from chop.pki.names import normalise_id_number, validate_uscc
from chop.pki.profiles import EKU_DOCUMENT_SIGNING

from .conftest import COMPANY, ID_NUMBER, KEK, PERSON, SITE, USCC, to_asn1


def attrs(name: x509.Name, oid) -> list[str]:
    return [a.value for a in name.get_attributes_for_oid(oid)]


def check_end_entity_extensions(cert: x509.Certificate, ca: PlatformCA) -> None:
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical
    assert ku.value.digital_signature and ku.value.content_commitment
    assert not ku.value.key_cert_sign and not ku.value.key_encipherment
    bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca is False
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert EKU_DOCUMENT_SIGNING in eku.value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku.value  # NSS/pdfsig require it
    assert not eku.critical
    assert ExtendedKeyUsageOID.TIME_STAMPING not in eku.value

    dp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert [n.value for p in dp for n in p.full_name] == [f"{SITE}/pki/issuing.crl"]
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    by_method = {d.access_method: d.access_location.value for d in aia}
    assert by_method[AuthorityInformationAccessOID.OCSP] == f"{SITE}/pki/ocsp"
    assert by_method[AuthorityInformationAccessOID.CA_ISSUERS] == f"{SITE}/pki/issuing.cer"

    assert cert.issuer == ca.issuing_certificate.subject
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = ca.issuing_certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert aki.key_identifier == ski.value.digest
    # the issuing CA's key really signed it
    cert.verify_directly_issued_by(ca.issuing_certificate)


def test_company_certificate_fields(ca, company):
    cert = company.certificate
    assert attrs(cert.subject, NameOID.COUNTRY_NAME) == ["CN"]
    assert attrs(cert.subject, NameOID.ORGANIZATION_NAME) == [COMPANY]
    assert attrs(cert.subject, NameOID.COMMON_NAME) == [COMPANY]
    assert attrs(cert.subject, NameOID.SERIAL_NUMBER) == [USCC]
    assert attrs(cert.subject, NameOID.ORGANIZATION_IDENTIFIER) == [f"NTRCN-{USCC}"]
    assert isinstance(cert.public_key(), rsa.RSAPublicKey)
    assert cert.public_key().key_size == 2048
    check_end_entity_extensions(cert, ca)
    assert company.serial == cert.serial_number
    assert company.chain == [ca.issuing_certificate, ca.root_certificate]
    assert company.key_ref.startswith("enc:")


def test_person_certificate_fields_and_no_raw_id(ca, person, ca_dir):
    cert = person.certificate
    assert attrs(cert.subject, NameOID.COMMON_NAME) == [PERSON]
    assert attrs(cert.subject, NameOID.COUNTRY_NAME) == ["CN"]
    (serial_number,) = attrs(cert.subject, NameOID.SERIAL_NUMBER)
    assert serial_number.startswith("IDH-") and len(serial_number) == 44
    assert serial_number == ca.person_id_hash(ID_NUMBER)
    assert attrs(cert.subject, NameOID.ORGANIZATION_NAME) == []
    check_end_entity_extensions(cert, ca)

    # The raw ID number (and its 17-digit body, and the birth date part) appears nowhere: not in
    # the DER, not in openssl's rendering, not in the CA directory (index, blobs, config).
    der = cert.public_bytes(serialization.Encoding.DER)
    text = subprocess.run(
        ["openssl", "x509", "-inform", "DER", "-noout", "-text"],
        input=der,
        capture_output=True,
        check=True,
    ).stdout
    for needle in (ID_NUMBER, ID_NUMBER[:17], ID_NUMBER[6:14]):
        for encoding in ("ascii", "utf-16-be"):
            assert needle.encode(encoding) not in der
        assert needle.encode() not in text
        for path in ca_dir.rglob("*"):
            if path.is_file():
                assert needle.encode() not in path.read_bytes(), path
    assert serial_number.encode() in text


def test_person_id_hash_is_stable_normalised_and_per_ca(ca, p256_ca):
    h = ca.person_id_hash(ID_NUMBER)
    assert ca.person_id_hash(" 110105 19491231002x ") == h
    assert normalise_id_number("11010519491231002x") == ID_NUMBER
    assert ca.person_id_hash("110105194912310037") != h
    # a different CA has a different secret pepper: hashes are not linkable across platforms
    assert p256_ca.person_id_hash(ID_NUMBER) != h


def test_ca_certificates(ca):
    root, issuing, tsa = ca.root_certificate, ca.issuing_certificate, ca.tsa_certificate
    assert attrs(root.subject, NameOID.COMMON_NAME) == ["Chop Root CA"]
    assert root.subject == root.issuer
    root.verify_directly_issued_by(root)
    issuing.verify_directly_issued_by(root)
    assert attrs(issuing.subject, NameOID.COMMON_NAME) == ["Chop Issuing CA"]
    for cert, pathlen in ((root, 1), (issuing, 0)):
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
        assert bc.critical and bc.value.ca and bc.value.path_length == pathlen
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
        assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign
    dp = issuing.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert dp[0].full_name[0].value == f"{SITE}/pki/root.crl"

    tsa.verify_directly_issued_by(issuing)
    eku = tsa.extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]


def test_names_are_configurable_and_p256_option(p256_ca, tmp_path):
    assert isinstance(p256_ca.root_certificate.public_key(), ec.EllipticCurvePublicKey)
    cred = p256_ca.issue_company(COMPANY, USCC)
    key = cred.certificate.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    cred.certificate.verify_directly_issued_by(p256_ca.issuing_certificate)
    # an RSA end-entity key from an ECDSA CA, on request
    rsa_cred = p256_ca.issue_person(PERSON, ID_NUMBER, key_type="rsa2048", valid_days=30)
    assert isinstance(rsa_cred.certificate.public_key(), rsa.RSAPublicKey)
    lifetime = rsa_cred.certificate.not_valid_after_utc - rsa_cred.certificate.not_valid_before_utc
    assert 29 < lifetime.days <= 30


def test_custom_ca_names(tmp_path):
    ca = PlatformCA.init(
        tmp_path / "ca",
        KEK,
        root_name="某某根CA",
        issuing_name="某某签发CA",
        key_type="p256",
        site_url="http://sign.example.cn:8080",
    )
    assert attrs(ca.root_certificate.subject, NameOID.COMMON_NAME) == ["某某根CA"]
    assert attrs(ca.issuing_certificate.subject, NameOID.COMMON_NAME) == ["某某签发CA"]
    cred = ca.issue_company(COMPANY, USCC)
    aia = cred.certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
    assert aia.value[0].access_location.value == "http://sign.example.cn:8080/pki/ocsp"
    with pytest.raises(FileExistsError):
        PlatformCA.init(tmp_path / "ca", KEK)
    assert PlatformCA.open_or_init(tmp_path / "ca", KEK).root_certificate == ca.root_certificate


def test_uscc_is_validated(ca):
    assert validate_uscc(USCC.lower()) == USCC
    wrong_check = USCC[:17] + ("0" if USCC[17] != "0" else "1")
    for bad in (wrong_check, USCC[:17], USCC + "0", USCC[:16] + "I" + USCC[17]):
        with pytest.raises(ValueError):
            ca.issue_company(COMPANY, bad)
    # the real, published USCC of a well-known company passes (checks the weights table)
    assert validate_uscc("91350100M000100Y43") == "91350100M000100Y43"


def test_chain_validates_against_root_with_certvalidator(ca, company, person):
    """Independent path building: only the root is trusted, the issuing CA is an extra cert."""
    for cred in (company, person):
        ctx = ValidationContext(
            trust_roots=[to_asn1(ca.root_certificate)],
            other_certs=[to_asn1(ca.issuing_certificate)],
            revocation_mode="soft-fail",
        )
        validator = CertificateValidator(to_asn1(cred.certificate), validation_context=ctx)
        path = asyncio.run(validator.async_validate_usage({"digital_signature", "non_repudiation"}))
        assert [c.subject.native["common_name"] for c in path] == [
            "Chop Root CA",
            "Chop Issuing CA",
            attrs(cred.certificate.subject, NameOID.COMMON_NAME)[0],
        ]
        # and with hard-fail revocation checking answered in-process by the CA
        ca.validate_chain(cred.serial)


def test_chain_does_not_validate_against_another_root(ca, p256_ca, company):
    from pyhanko_certvalidator.errors import PathBuildingError

    ctx = ValidationContext(
        trust_roots=[to_asn1(p256_ca.root_certificate)],
        other_certs=[to_asn1(ca.issuing_certificate)],
    )
    validator = CertificateValidator(to_asn1(company.certificate), validation_context=ctx)
    with pytest.raises(PathBuildingError):
        asyncio.run(validator.async_validate_path())


def test_index_records_issued_certificates(ca, company, person, ca_dir):
    index = json.loads((ca_dir / "index.json").read_text())
    entry = index[format(company.serial, "x")]
    assert entry["kind"] == "company" and entry["status"] == "good" and entry["uscc"] == USCC
    assert entry["subject"] == company.certificate.subject.rfc4514_string()
    assert index[format(person.serial, "x")]["kind"] == "person"
    kinds = {e["kind"] for e in ca.issued()}
    assert {"root", "issuing", "tsa", "company", "person"} <= kinds
    # the loaded credential matches
    again = ca.credential(company.serial)
    assert again.certificate == company.certificate and again.key_ref == company.key_ref


def test_concurrent_issuance_from_two_instances_loses_nothing(tmp_path):
    """Two PlatformCA objects on one directory (think web worker + CLI) issuing at once."""
    import threading

    first = PlatformCA.init(tmp_path / "ca", KEK, key_type="p256")
    second = PlatformCA.load(tmp_path / "ca", KEK)
    serials: list[int] = []
    lock = threading.Lock()

    def work(ca: PlatformCA) -> None:
        for _ in range(5):
            cred = ca.issue_company(COMPANY, USCC)
            with lock:
                serials.append(cred.serial)

    threads = [threading.Thread(target=work, args=(ca,)) for ca in (first, second) * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    index = json.loads((tmp_path / "ca" / "index.json").read_text())
    assert len(serials) == 20
    assert {format(s, "x") for s in serials} <= set(index)
    assert len(index) == 23  # + root, issuing, TSA
