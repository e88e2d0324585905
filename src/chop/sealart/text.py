"""Text that goes on a seal: one normalisation and one check, shared by the engine's callers.

Forms validate names with :func:`check_seal_text` so that whatever they accept, the engine can
draw later: the check *is* the engine's layout run on the text, not a second copy of its rules.
"""

from __future__ import annotations

import functools
import unicodedata

from .errors import SealSpecError
from .layout import build
from .spec import (
    MAX_NAME_WIDE,
    MIDDLE_DOT,
    SealKind,
    SealSpec,
    TextPart,
    is_wide,
    official_seal_for,
)

# Dots people type instead of the ID card's U+00B7 (bullet, hyphenation point, katakana middle
# dot and its half-width form, operators): one spelling, so a name matches its ID card.
_DOT_VARIANTS = "\u2022\u2027\u30fb\uff65\u2219\u22c5\u0387"
_SAMPLE_CODE = "0" * 13  # the official seal's 13-digit code runs along the bottom arc

_SAMPLE_TAXPAYER_ID = "0" * 18  # the invoice seal's id line: a USCC is 18 characters

KINDS = (
    "official",
    "contract",
    "finance",
    "hr",
    "invoice",
    "foreign",
    "custom",
    "legal_rep",
    "name",
)
# kinds whose name runs along an arc, so its length is limited by the seal's size
ARC_KINDS = ("official", "contract", "finance", "hr", "invoice", "foreign", "custom")

# purpose texts only one kind may carry (a contract seal cannot say 财务专用章), and the
# official seal's words, which no other seal may imitate (PRODUCT.md §2)
RESERVED_PURPOSES = {
    "合同专用章": "contract",
    "财务专用章": "finance",
    "人事专用章": "hr",
    "发票专用章": "invoice",
    "法定代表人章": "legal_rep",
    "法人章": "legal_rep",
}
_OFFICIAL_WORDS = ("公章", "公司章", "公司印章", "行政章")


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


def spec_for(
    kind: str,
    text: str,
    *,
    purpose: str | None = None,
    size_mm: float | None = None,
    width_mm: float | None = None,
    height_mm: float | None = None,
) -> SealSpec:
    """The spec the platform draws ``text`` with: ``official`` (a company's free official seal),
    a special seal (``contract``, ``finance``, ``hr``, ``invoice``, ``foreign``, ``custom``, with
    ``purpose`` as its horizontal text), ``legal_rep`` (the legal representative's square seal) or
    ``name`` (a personal signature). Sizes default to the kind's own (PRODUCT.md §2)."""
    if kind == "official":
        return official_seal_for(text, bottom_text=_SAMPLE_CODE, size_mm=size_mm or 40)
    if kind in ("contract", "finance", "hr", "custom"):
        return SealSpec(kind=SealKind(kind), name=text, horizontal_text=purpose, size_mm=size_mm)
    if kind == "invoice":
        return SealSpec(
            kind=SealKind.INVOICE,
            name=text,
            taxpayer_id=_SAMPLE_TAXPAYER_ID,
            width_mm=width_mm,
            height_mm=height_mm,
        )
    if kind == "foreign":
        return SealSpec(
            kind=SealKind.FOREIGN,
            name=text,
            horizontal_text=purpose,
            width_mm=width_mm,
            height_mm=height_mm,
        )
    if kind == "legal_rep":
        return SealSpec(kind=SealKind.LEGAL_REP_SQUARE, name=text, suffix="印")
    if kind == "name":
        return SealSpec(kind=SealKind.SIGNATURE, name=text)
    raise ValueError(f"unknown seal text kind {kind!r}; one of {', '.join(KINDS)}")


def check_purpose(kind: str, text: str, purpose: str | None = None) -> SealSpecError | None:
    """Refuse seal text that imitates the official seal or another kind's purpose text.

    Only the official seal (generated on verification, at most one active) may read as a 公章:
    a custom seal whose name or purpose text ends in 公章/公司章 (spaces and full-width forms
    ignored) would pass for one (``imitates_official``). A purpose text reserved for another
    kind (合同专用章 on a custom or finance seal) is refused too (``reserved_purpose``), so each
    special seal is made as its own kind, with its own permissions and register entry.
    """
    parts: list[tuple[TextPart, str]] = []
    if kind == "custom":
        parts.append((TextPart.NAME, text))
    if purpose is not None:
        parts.append((TextPart.HORIZONTAL, purpose))
    for part, value in parts:
        bare = "".join(normalise_seal_text(value).split())
        if kind != "official" and any(bare.endswith(w) for w in _OFFICIAL_WORDS):
            return SealSpecError(
                f"印章文字不得仿冒公章 / the seal text must not imitate the official seal: {bare}",
                code="imitates_official",
                part=part.value,
                text=bare,
            )
        owner = RESERVED_PURPOSES.get(bare)
        if part is TextPart.HORIZONTAL and owner is not None and owner != kind:
            return SealSpecError(
                f"“{bare}”是{owner}印章的专用文字 / “{bare}” is reserved for {owner} seals",
                code="reserved_purpose",
                part=part.value,
                text=bare,
                kind=owner,
            )
    return None


@functools.lru_cache(maxsize=64)
def max_name_chars(
    kind: str,
    *,
    size_mm: float | None = None,
    width_mm: float | None = None,
    height_mm: float | None = None,
) -> int:
    """The most Chinese characters the name on the arc of a ``kind`` seal of this size can have.

    Found with the real layout (bisection over names of "国", which fills its box like any
    ideograph), so the live preview's "at most N characters" is the limit approval enforces.
    Cached per kind and size: the first call for a size costs a few layouts (about 0.1 s).
    """
    if kind not in ARC_KINDS:
        raise ValueError(f"{kind!r} has no name on an arc; one of {', '.join(ARC_KINDS)}")

    def fits(n: int) -> bool:
        spec = spec_for(kind, "国" * n, size_mm=size_mm, width_mm=width_mm, height_mm=height_mm)
        try:
            build(spec)
        except SealSpecError as exc:
            # on an invoice seal a long name can also crowd out the id line: still the name's limit
            if exc.code in ("does_not_fit", "too_long"):
                return False
            raise
        return True

    # A name that does not fit is refused after one layout attempt, one that fits costs a full
    # layout: so gallop down from the longest name (cheap refusals) to the first that fits, then
    # bisect the bracket. Limits sit near the top of the range for the sizes people choose.
    hi, step = MAX_NAME_WIDE, 1  # find the largest n <= hi that fits
    if fits(hi):
        return hi
    while True:
        n = max(hi - step, 1)
        if fits(n):
            lo = n
            break
        hi = n
        if n == 1:
            return 0
        step *= 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid
    return lo


def check_seal_text(
    kind: str,
    text: str,
    *,
    purpose: str | None = None,
    size_mm: float | None = None,
    width_mm: float | None = None,
    height_mm: float | None = None,
    with_limit: bool = False,
) -> SealSpecError | None:
    """None if the engine can draw ``text`` as ``kind``, else the engine's own error, whose
    ``code`` (empty, control, too_long, glyph, does_not_fit, legal_rep_name, imitates_official,
    reserved_purpose, ...) callers translate.

    It runs the real layout (cached glyphs: a few milliseconds), so a name the form accepts is a
    name approval can draw. With ``with_limit``, when the name on the arc is too long for the
    size, the error's ``params["max_chars"]`` says how many Chinese characters fit, for the live
    preview. It is opt-in because finding the limit costs several layouts the first time for a
    size (about 0.1 s), which a form that only needs yes or no need not pay.
    """
    problem = check_purpose(kind, text, purpose)
    if problem is not None:
        return problem
    sizes = {"size_mm": size_mm, "width_mm": width_mm, "height_mm": height_mm}
    try:
        build(spec_for(kind, text, purpose=purpose, **sizes))
    except SealSpecError as exc:
        on_name = exc.params.get("part", TextPart.NAME.value) == TextPart.NAME.value
        too_long = exc.code in ("too_long", "does_not_fit") and on_name
        if with_limit and kind in ARC_KINDS and too_long:
            exc.params["max_chars"] = max_name_chars(kind, **sizes)
        return exc
    return None
