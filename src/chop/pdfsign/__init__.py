"""Chop's PDF engine: seal marks that are PAdES signatures every PDF reader can check.

Plain Python (no Django): ``sign`` stamps marks and signs once per act as one incremental update;
``verify`` reports every signature; ``python -m chop.pdfsign`` is the command line.

    >>> seal = SealAppearance.from_drawing(chop.sealart.render(spec))
    >>> install_fast_reader()  # once per process, see fastparse
    >>> sign("in.pdf", "out.pdf", signer=ca.signer(serial),
    ...      marks=[KeywordMark(seal, "甲方（盖章）"), RidingMark(seal, "right")],
    ...      options=SignOptions(timestamper=ca.timestamper()))
    >>> verify("out.pdf", [ca.root_certificate]).verdict
    'valid'

How marks are stored, and why: the first mark of an act is the appearance of the act's signature
field widget; every further mark (multi-page copies, riding-seal strips) is a locked /Stamp
annotation named ``chop-seal:<field>:<n>``. Page content streams are never edited, so earlier
signatures stay intact in every validator; poppler only shows signature fields whose dictionary
is the widget, hence not a multi-widget field. pyHanko's default difference policy treats new
stamps after a signature as suspicious, so ``verify`` uses ``policy.CHOP_DIFF_POLICY``, which
accepts exactly a later act's signature field and its own locked seal stamps (reported as form
filling) and still flags any other change.
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
from .fastparse import install_fast_reader
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
from .protocols import Signer, TimeStamper
from .signing import LEVELS, SignOptions, SignResult, sign
from .verify import SignatureReport, TimestampReport, VerificationReport, verify

__all__ = [
    "sign",
    "SignOptions",
    "Signer",
    "TimeStamper",
    "install_fast_reader",
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
