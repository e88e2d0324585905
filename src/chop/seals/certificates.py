"""A stored certificate as the Seals page shows it: labelled fields and a checked chain.

The subject is kept in the database as an RFC 4514 string (``CN=…,2.5.4.5=…``) and pyHanko
explains a failed validation in English; neither belongs in front of a user. This module reads
the fields the page labels (name, USCC, serial, issuer, validity) from the certificate itself and
turns the validator's outcome into the chain's names and a reason in the active language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.x509.oid import NameOID
from django.utils.translation import gettext_lazy as _

from .models import Certificate


@dataclass(frozen=True)
class CertificateFacts:
    name: str
    uscc: str  # empty for a person's certificate
    identity_hash: str  # a person's keyed ID hash; empty for a company
    serial_hex: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    path: list[str] = field(default_factory=list)  # root first, holder last
    reason: str = ""  # translated, when not ok
    detail: str = ""  # the validator's own words, for logs and tests


def _attr(name: x509.Name, oid) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def _common_name(name) -> str:
    """CN of a cryptography or asn1crypto name (pyHanko's path holds asn1crypto certificates)."""
    if isinstance(name, x509.Name):
        return _attr(name, NameOID.COMMON_NAME) or name.rfc4514_string()
    native = name.native
    return native.get("common_name") or native.get("organization_name") or name.human_friendly


def describe(cert: Certificate) -> CertificateFacts:
    parsed = x509.load_pem_x509_certificate(cert.pem.encode())
    serial = _attr(parsed.subject, NameOID.SERIAL_NUMBER)
    is_company = bool(_attr(parsed.subject, NameOID.ORGANIZATION_IDENTIFIER))
    return CertificateFacts(
        name=_common_name(parsed.subject),
        uscc=serial if is_company else "",
        identity_hash="" if is_company else serial,
        serial_hex=cert.serial_hex,
        issuer=_common_name(parsed.issuer),
        not_before=cert.not_before,
        not_after=cert.not_after,
    )


def _reason(exc: Exception) -> str:
    from pyhanko_certvalidator import errors

    if isinstance(exc, errors.RevokedError):
        return str(_("the certificate has been revoked"))
    if isinstance(exc, errors.ExpiredError):
        return str(_("the certificate has expired"))
    if isinstance(exc, errors.NotYetValidError):
        return str(_("the certificate is not valid yet"))
    if isinstance(exc, errors.PathBuildingError):
        return str(_("it was not issued by the platform's certificate authority"))
    if isinstance(exc, errors.InsufficientRevinfoError):
        return str(_("its revocation status could not be checked"))
    return str(_("the certificate authority's check failed"))


def check_chain(cert: Certificate) -> ChainCheck:
    """Validate the chain against the platform root with pyHanko's validator (not our own code):
    the platform root as the only trust anchor, revocation answered by the CA in-process."""
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko_certvalidator import CertificateValidator

    from chop.asyncrun import run_sync

    from .issuance import platform_ca

    _, _, der = pem.unarmor(cert.pem.encode())
    validator = CertificateValidator(
        asn1_x509.Certificate.load(der), validation_context=platform_ca().validation_context()
    )
    try:
        path = run_sync(validator.async_validate_usage({"digital_signature", "non_repudiation"}))
    except Exception as exc:  # any failure is a refusal; the reason says which kind
        return ChainCheck(ok=False, reason=_reason(exc), detail=str(exc))
    return ChainCheck(ok=True, path=[_common_name(c.subject) for c in path])
