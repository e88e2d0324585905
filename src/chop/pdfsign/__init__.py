"""Chop's PDF engine: seal marks that are PAdES signatures every PDF reader can check.

Plain Python (no Django): ``sign`` stamps marks and signs once per act as one incremental update;
``verify`` reports every signature; ``python -m chop.pdfsign`` is the command line.
"""

from __future__ import annotations

from .errors import (
    EncryptedPdfError,
    KeywordNotFoundError,
    MalformedPdfError,
    MarkError,
    PdfSignError,
    SignerError,
)
from .keyword import KeywordHit, find_keyword
from .marks import (
    DateText,
    KeywordMark,
    MultiPageMark,
    RidingMark,
    SealAppearance,
    SingleMark,
    parse_page_ranges,
)
from .signing import LEVELS, SignResult, sign
from .verify import SignatureReport, TimestampReport, VerificationReport, verify

__all__ = [
    "sign",
    "verify",
    "VerificationReport",
    "SignatureReport",
    "TimestampReport",
    "SignResult",
    "LEVELS",
    "SealAppearance",
    "SingleMark",
    "MultiPageMark",
    "RidingMark",
    "KeywordMark",
    "DateText",
    "parse_page_ranges",
    "find_keyword",
    "KeywordHit",
    "PdfSignError",
    "EncryptedPdfError",
    "MalformedPdfError",
    "MarkError",
    "KeywordNotFoundError",
    "SignerError",
]
