"""Subject names for Chinese companies and persons, and the identifiers that go into them.

Companies are identified by their 统一社会信用代码 (USCC, GB 32100-2015), which is public and goes
into the certificate as-is. Persons are identified by their resident ID number, which is personal
data: the certificate carries only a keyed hash of it (HMAC-SHA256 under a per-CA secret pepper),
enough to recognise the same person again without letting anyone who reads the certificate
recover or brute-force the number.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from cryptography import x509
from cryptography.x509.oid import NameOID

from .errors import PkiError

__all__ = [
    "USCC_ALPHABET",
    "company_name",
    "normalise_id_number",
    "person_id_hash",
    "person_name",
    "service_name",
    "uscc_check_char",
    "validate_uscc",
]

# GB 32100-2015: digits and capital letters without I, O, Z, S, V.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    """The check character GB 32100-2015 appends to the first 17 characters of a USCC."""
    if len(first17) != 17 or any(c not in USCC_ALPHABET for c in first17):
        raise PkiError(
            "a USCC body is 17 characters from " + USCC_ALPHABET,
            code="uscc_malformed",
            value=first17,
        )
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(uscc: str) -> str:
    """Normalise (strip, upper-case) and check a USCC, including its check character.

    A CA must not certify a company under a mistyped code, and the check character catches
    nearly all single typos, so this is strict.
    """
    code = uscc.strip().upper()
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        raise PkiError(
            f"{uscc!r} is not an 18-character 统一社会信用代码", code="uscc_malformed", value=uscc
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise PkiError(
            f"{uscc!r} fails the GB 32100 check (last character should be {expected})",
            code="uscc_check_failed",
            value=uscc,
            expected=expected,
        )
    return code


def _clean_name(name: str) -> str:
    cleaned = unicodedata.normalize("NFC", " ".join(name.split()))
    if not cleaned:
        raise PkiError("name is empty", code="name_empty")
    if len(cleaned) > 64:
        raise PkiError(
            "name is longer than the 64 characters X.520 allows for CN",
            code="name_too_long",
            limit=64,
        )
    return cleaned


def normalise_id_number(id_number: str) -> str:
    """ID numbers are compared without spaces and with an upper-case check letter ``X``."""
    cleaned = "".join(id_number.split()).upper()
    if not cleaned:
        raise PkiError("ID number is empty", code="id_number_empty")
    return cleaned


def person_id_hash(pepper: bytes, id_number: str) -> str:
    """``IDH-`` + 40 hex chars of HMAC-SHA256(pepper, normalised ID number)."""
    digest = hmac.new(pepper, b"chop/id/" + normalise_id_number(id_number).encode(), hashlib.sha256)
    return "IDH-" + digest.hexdigest()[:40]


def company_name(name: str, uscc: str) -> x509.Name:
    """C=CN, O=name, CN=name, organizationIdentifier=NTRCN-USCC (ETSI EN 319 412-1), serialNumber=USCC."""
    name = _clean_name(name)
    code = validate_uscc(uscc)
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"NTRCN-{code}"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, code),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )


def person_name(name: str, id_hash: str) -> x509.Name:
    """C=CN, CN=name, serialNumber=hashed ID (never the number itself)."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, id_hash),
            x509.NameAttribute(NameOID.COMMON_NAME, _clean_name(name)),
        ]
    )


def service_name(name: str, service: str, organization: str) -> x509.Name:
    """C=CN, O=organization, OU=service, CN=name: one of the platform's own services (it signs
    what the platform itself issues, such as evidence reports), never a company or a person."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _clean_name(organization)),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, _clean_name(service)),
            x509.NameAttribute(NameOID.COMMON_NAME, _clean_name(name)),
        ]
    )
