"""Chop's PKI: platform CA, key custody, revocation (CRL/OCSP) and the RFC 3161 TSA.

Plain Python with no Django imports, so the CLI (``python -m chop.pki``), the tests and the web
app all drive the same code. Start with :class:`PlatformCA`.
"""

from .ca import (
    REVOCATION_REASONS,
    CertificateExpiredError,
    CertificateRevokedError,
    CertificateStatus,
    Credential,
    PlatformCA,
)
from .custody import KeyCustody
from .errors import CustodyError, KeyNotExportable, PkiError, WrongKEKError
from .file_custody import EncryptedFileCustody
from .pkcs11_custody import Pkcs11Custody

_LAZY = {"LocalTimeStamper", "TimeStampAuthority", "timestamper_for"}


def __getattr__(name: str) -> object:
    # pyHanko's signing stack takes about a second to import; the CLI's init/issue/revoke and
    # the web app's CRL view do not need it, so the TSA names load on first use.
    if name in _LAZY:
        from . import tsa

        return getattr(tsa, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "REVOCATION_REASONS",
    "CertificateExpiredError",
    "CertificateRevokedError",
    "CertificateStatus",
    "Credential",
    "CustodyError",
    "EncryptedFileCustody",
    "KeyCustody",
    "KeyNotExportable",
    "LocalTimeStamper",
    "PkiError",
    "Pkcs11Custody",
    "PlatformCA",
    "TimeStampAuthority",
    "WrongKEKError",
    "timestamper_for",
]
