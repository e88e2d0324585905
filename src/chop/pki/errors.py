"""The PKI's refusals, on the shared :class:`chop.errors.ChopError` shape.

Every error carries ``namespace = "pki"``, a stable ``code`` and the ``params`` its message
needs, so the web app renders it in the reader's language (``chop.explain.pki``) while the CLI
prints the plain English ``str()``. They are ``ValueError`` subclasses through ``ChopError``.
"""

from __future__ import annotations

from chop.errors import ChopError

__all__ = [
    "CertificateExpiredError",
    "CertificateRevokedError",
    "CustodyError",
    "DuplicateSerialError",
    "KeyNotExportable",
    "PkiError",
    "WrongKEKError",
]


class PkiError(ChopError):
    """Input the PKI refuses (an invalid USCC, an unknown key type, an empty password...)."""

    namespace = "pki"
    code = "invalid"


class DuplicateSerialError(PkiError):
    """The CA's registry already holds a certificate with this serial (the issuer draws again)."""

    code = "duplicate_serial"


class CustodyError(PkiError):
    """A key could not be created, found, unwrapped or used."""

    code = "custody_failed"


class WrongKEKError(CustodyError):
    """The key-encryption key given is not the one the key material was encrypted with."""

    code = "wrong_kek"


class KeyNotExportable(CustodyError):
    """The key lives in hardware and cannot be exported."""

    code = "key_not_exportable"


class CertificateRevokedError(CustodyError):
    """Refusing to hand out a signer for a revoked certificate."""

    code = "certificate_revoked"


class CertificateExpiredError(CustodyError):
    """Refusing to hand out a signer for an expired certificate (its signatures would not verify)."""

    code = "certificate_expired"
