"""Errors a user can read: every failure of signing or verifying is a ``PdfSignError``.

They are :class:`chop.errors.ChopError` refusals in the ``pdfsign`` namespace: each raise site
passes a stable ``code`` and the facts as ``params`` (rendered in zh/en by
``chop.explain.pdfsign``), while ``str(error)`` stays the plain English message the command
line prints.
"""

from __future__ import annotations

from chop.errors import ChopError

__all__ = [
    "PdfSignError",
    "EncryptedPdfError",
    "MalformedPdfError",
    "MarkError",
    "KeywordNotFoundError",
    "SignerError",
]


class PdfSignError(ChopError):
    """Signing or verification could not be done; the message is meant for the person signing.

    It is a ``ValueError`` (through ``ChopError``) so callers that only know "bad input" still
    catch it.
    """

    namespace = "pdfsign"
    code = "invalid"


class EncryptedPdfError(PdfSignError):
    """The PDF is encrypted; an encrypted file cannot be stamped without its password."""

    code = "encrypted_pdf"


class MalformedPdfError(PdfSignError):
    """The PDF's structure (cross-reference table, page tree, objects) cannot be read."""

    code = "malformed_pdf"


class MarkError(PdfSignError):
    """A mark does not fit the document: page out of range, seal off the page, bad range."""

    code = "bad_mark"


class KeywordNotFoundError(MarkError):
    """A keyword position was asked for but the text is not in the document."""

    code = "keyword_not_found"


class SignerError(PdfSignError):
    """The signing key or certificate cannot be used (wrong password, no certificate...)."""

    code = "signer_unusable"
