"""Chop's PKI: platform CA, key custody, revocation (CRL/OCSP) and the RFC 3161 TSA.

Plain Python with no Django imports, so the CLI (``python -m chop.pki``), the tests and the web
app all drive the same code. Start with :class:`PlatformCA`.
"""

from .ca import (
    REVOCATION_REASONS,
    CertificateRevokedError,
    CertificateStatus,
    Credential,
    PlatformCA,
)
from .custody import (
    CustodyError,
    EncryptedFileCustody,
    KeyCustody,
    KeyNotExportable,
    Pkcs11Custody,
    WrongKEKError,
)
from .tsa import LocalTimeStamper, TimeStampAuthority, timestamper_for

__all__ = [
    "REVOCATION_REASONS",
    "CertificateRevokedError",
    "CertificateStatus",
    "Credential",
    "CustodyError",
    "EncryptedFileCustody",
    "KeyCustody",
    "KeyNotExportable",
    "LocalTimeStamper",
    "Pkcs11Custody",
    "PlatformCA",
    "TimeStampAuthority",
    "WrongKEKError",
    "timestamper_for",
]
