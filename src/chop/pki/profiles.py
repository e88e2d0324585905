"""Certificate profiles: what each kind of certificate the platform issues contains.

One place for the extensions, key usages and validity of the root, the issuing CA, the TSA and
the company/person signing certificates, so the platform CA and the throw-away test PKI build the
same shapes::

    Chop Root CA            (self-signed, 20 years, signs only the issuing CA and the root CRL)
    └── Chop Issuing CA     (10 years, pathLen 0)
        ├── Chop Time Stamping Authority   (timeStamping EKU, critical)
        ├── company certificates           (O = name, serialNumber = USCC)
        └── person certificates            (CN = name, serialNumber = hashed ID number)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtendedKeyUsageOID,
    ObjectIdentifier,
)

from .custody import PrivateKey, PublicKey
from .errors import PkiError

__all__ = [
    "END_ENTITY_DAYS",
    "EKU_DOCUMENT_SIGNING",
    "EKU_MS_DOCUMENT_SIGNING",
    "ISSUING_DAYS",
    "ROOT_DAYS",
    "SIGNING_EKUS",
    "TSA_DAYS",
    "TSA_EKUS",
    "authority_key_identifier",
    "ca_key_usage",
    "crl_distribution_points",
    "end_entity_certificate",
    "iso_utc",
    "issuing_certificate",
    "root_certificate",
    "signature_hash",
    "signing_key_usage",
    "utc_now",
]

# RFC 9336 id-kp-documentSigning and Microsoft Document Signing (what Acrobat looks for).
EKU_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
EKU_MS_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")
# emailProtection too: NSS (poppler's pdfsig, Firefox's PDF viewer) verifies PDF signers as
# e-mail signers and rejects a certificate whose EKU lacks it ("Unknown issue with Certificate").
SIGNING_EKUS = [ExtendedKeyUsageOID.EMAIL_PROTECTION, EKU_DOCUMENT_SIGNING, EKU_MS_DOCUMENT_SIGNING]
TSA_EKUS = [ExtendedKeyUsageOID.TIME_STAMPING]

ROOT_DAYS = 20 * 365
ISSUING_DAYS = 10 * 365
TSA_DAYS = 5 * 365
END_ENTITY_DAYS = 2 * 365
# Certificates start a little in the past, so a relying party whose clock lags still accepts them.
BACKDATE = timedelta(minutes=5)


def utc_now() -> datetime:
    """Now in UTC to the second (certificate times carry no fractions)."""
    return datetime.now(UTC).replace(microsecond=0)


def iso_utc(moment: datetime) -> str:
    """How the CA index records a time (ISO 8601 in UTC)."""
    return moment.astimezone(UTC).isoformat()


def signature_hash(key: PrivateKey) -> hashes.SHA256:
    """The digest every platform signature (certificates, CRLs, OCSP) uses."""
    return hashes.SHA256()


def ca_key_usage() -> x509.KeyUsage:
    """keyCertSign + cRLSign: what the root and the issuing CA may do, and nothing else."""
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def signing_key_usage(*, non_repudiation: bool = True) -> x509.KeyUsage:
    """digitalSignature (+ nonRepudiation, a.k.a. contentCommitment): a document signer's key."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=non_repudiation,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def authority_key_identifier(issuer: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def crl_distribution_points(url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints(
        [
            x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(url)],
                relative_name=None,
                reasons=None,
                crl_issuer=None,
            )
        ]
    )


def root_certificate(
    subject: x509.Name, public_key: PublicKey, key: PrivateKey, *, now: datetime
) -> x509.Certificate:
    """The self-signed root: CA with pathLen 1 (only the issuing CA below it)."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + timedelta(days=ROOT_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(ca_key_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(key, signature_hash(key))
    )


def issuing_certificate(
    subject: x509.Name,
    public_key: PublicKey,
    *,
    root: x509.Certificate,
    root_key: PrivateKey,
    site_url: str,
    now: datetime,
) -> x509.Certificate:
    """The issuing CA under the root (pathLen 0), pointing at the root's CRL and certificate."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + timedelta(days=ISSUING_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(ca_key_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(authority_key_identifier(root), critical=False)
        .add_extension(crl_distribution_points(f"{site_url}/pki/root.crl"), critical=False)
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(f"{site_url}/pki/root.cer"),
                    )
                ]
            ),
            critical=False,
        )
        .sign(root_key, signature_hash(root_key))
    )


def end_entity_certificate(
    subject: x509.Name,
    public_key: PublicKey,
    *,
    issuing: x509.Certificate,
    issuing_key: PrivateKey,
    site_url: str,
    valid_days: int,
    eku: list[ObjectIdentifier],
    eku_critical: bool,
) -> x509.Certificate:
    """A signing certificate from the issuing CA: digitalSignature + nonRepudiation, CRL DP and
    OCSP/caIssuers AIA pointing at the platform, never outliving the issuing CA."""
    if valid_days <= 0:
        raise PkiError(
            "valid_days must be positive", code="validity_not_positive", valid_days=valid_days
        )
    now = utc_now()
    not_after = min(now + timedelta(days=valid_days), issuing.not_valid_after_utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuing.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(signing_key_usage(), critical=True)
        .add_extension(x509.ExtendedKeyUsage(eku), critical=eku_critical)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(authority_key_identifier(issuing), critical=False)
        .add_extension(crl_distribution_points(f"{site_url}/pki/issuing.crl"), critical=False)
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(f"{site_url}/pki/ocsp"),
                    ),
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(f"{site_url}/pki/issuing.cer"),
                    ),
                ]
            ),
            critical=False,
        )
        .sign(issuing_key, signature_hash(issuing_key))
    )
