"""Text that goes on a seal: one normalisation and one check, shared by the engine's callers.

Forms validate names with :func:`check_seal_text` so that whatever they accept, the engine can
draw later: the check *is* the engine's layout run on the text, not a second copy of its rules.
"""

from __future__ import annotations

import unicodedata

from .errors import SealSpecError
from .layout import build
from .spec import MIDDLE_DOT, SealKind, SealSpec, is_wide, official_seal_for

# Dots people type instead of the ID card's U+00B7 (bullet, hyphenation point, katakana middle
# dot and its half-width form, operators): one spelling, so a name matches its ID card.
_DOT_VARIANTS = "\u2022\u2027\u30fb\uff65\u2219\u22c5\u0387"
_SAMPLE_CODE = "0" * 13  # the official seal's 13-digit code runs along the bottom arc

KINDS = ("official", "legal_rep", "name")


def normalise_seal_text(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII), whitespace collapsed to single spaces,
    control and format characters (Cc, Cf: e.g. U+202E right-to-left override, zero-width joiner)
    removed, middle-dot variants unified, and in Chinese names the brackets kept full-width
    （）, as names are registered."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf")
    )
    for dot in _DOT_VARIANTS:
        text = text.replace(dot, MIDDLE_DOT)
    text = " ".join(text.split())
    text = text.replace(f" {MIDDLE_DOT}", MIDDLE_DOT).replace(f"{MIDDLE_DOT} ", MIDDLE_DOT)
    if any(is_wide(ch) for ch in text):
        text = text.replace("(", "（").replace(")", "）")
    return text


def spec_for(kind: str, text: str) -> SealSpec:
    """The spec the platform draws ``text`` with: ``official`` (a company's free official seal),
    ``legal_rep`` (the legal representative's square seal) or ``name`` (a personal signature)."""
    if kind == "official":
        return official_seal_for(text, bottom_text=_SAMPLE_CODE)
    if kind == "legal_rep":
        return SealSpec(kind=SealKind.LEGAL_REP_SQUARE, name=text, suffix="印")
    if kind == "name":
        return SealSpec(kind=SealKind.SIGNATURE, name=text)
    raise ValueError(f"unknown seal text kind {kind!r}; one of {', '.join(KINDS)}")


def check_seal_text(kind: str, text: str) -> SealSpecError | None:
    """None if the engine can draw ``text`` as ``kind``, else the engine's own error, whose
    ``code`` (empty, control, too_long, glyph, does_not_fit, legal_rep_name) callers translate.

    It runs the real layout (cached glyphs: a few milliseconds), so a name the form accepts is a
    name approval can draw.
    """
    try:
        build(spec_for(kind, text))
    except SealSpecError as exc:
        return exc
    return None
