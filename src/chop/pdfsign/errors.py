"""Errors a user can read: every failure of signing or verifying is a ``PdfSignError``."""

from __future__ import annotations

__all__ = [
    "PdfSignError",
    "EncryptedPdfError",
    "MalformedPdfError",
    "MarkError",
    "KeywordNotFoundError",
    "SignerError",
]


class PdfSignError(ValueError):
    """Signing or verification could not be done; the message is meant for the person signing.

    It subclasses ``ValueError`` so callers that only know "bad input" still catch it.
    """


class EncryptedPdfError(PdfSignError):
    """The PDF is encrypted; an encrypted file cannot be stamped without its password."""


class MalformedPdfError(PdfSignError):
    """The PDF's structure (cross-reference table, page tree, objects) cannot be read."""


class MarkError(PdfSignError):
    """A mark does not fit the document: page out of range, seal off the page, bad range."""


class KeywordNotFoundError(MarkError):
    """A keyword position was asked for but the text is not in the document."""


class SignerError(PdfSignError):
    """The signing key or certificate cannot be used (wrong password, no certificate...)."""
