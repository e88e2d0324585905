"""The seal specification: what a user chooses, validated, with per-kind defaults from PRODUCT.md §2."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, fields, replace
from enum import StrEnum

from .errors import SealSpecError


class SealKind(StrEnum):
    OFFICIAL = "official"  # 公章
    CONTRACT = "contract"  # 合同专用章
    FINANCE = "finance"  # 财务专用章 (round)
    HR = "hr"  # 人事专用章
    FINANCE_SQUARE = "finance_square"  # 财务专用章 (square)
    INVOICE = "invoice"  # 发票专用章
    FOREIGN = "foreign"  # foreign-invested / English oval
    LEGAL_REP_SQUARE = "legal_rep_square"  # 法定代表人章 (square)
    LEGAL_REP_RECT = "legal_rep_rect"  # 法定代表人章 (20×10 rectangle)
    SIGNATURE = "signature"  # personal signature rendered from the name
    CUSTOM = "custom"


PURPOSE_TEXT = {
    SealKind.CONTRACT: "合同专用章",
    SealKind.FINANCE: "财务专用章",
    SealKind.HR: "人事专用章",
    SealKind.FINANCE_SQUARE: "财务专用章",
    SealKind.INVOICE: "发票专用章",
}

NAMED_COLORS = {
    "red": (224, 32, 27),
    "blue": (31, 78, 158),
    "black": (0, 0, 0),
    "purple": (112, 48, 160),
    "红": (224, 32, 27),
    "蓝": (31, 78, 158),
    "黑": (0, 0, 0),
}

_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def parse_color(value: str) -> tuple[int, int, int]:
    """ "red", "blue", "black", "#c00", "#cc0000" (or without #) -> (r, g, b)."""
    v = (value or "").strip().lower()
    if v in NAMED_COLORS:
        return NAMED_COLORS[v]
    m = _HEX.match(v)
    if not m:
        raise SealSpecError(
            f"颜色无效 / invalid colour {value!r}: use red, blue, black or a hex colour such as #e0201b",
            code="color",
            value=str(value),
        )
    h = m.group(1)
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))


@dataclass(frozen=True)
class SealSpec:
    """Everything that decides how a seal looks. Frozen and hashable: it is the render cache key.

    ``None`` means "the default for this kind" (see :func:`defaults_for`). Sizes are millimetres:
    ``size_mm`` is the diameter of round seals and the side of square ones; ovals and rectangles
    use ``width_mm``/``height_mm``; for signatures ``size_mm`` is the character height.
    """

    kind: SealKind = SealKind.OFFICIAL
    name: str = ""
    horizontal_text: str | None = None  # 横向文 (under the star); purpose text of special seals
    bottom_text: str | None = None  # 下弦文, e.g. the 13-digit anti-forgery code
    taxpayer_id: str | None = None  # invoice seals
    size_mm: float | None = None
    width_mm: float | None = None
    height_mm: float | None = None
    color: str | None = None  # None: red (black for signatures)
    border_mm: float | None = None
    star: bool | None = None
    star_mm: float | None = None  # point-to-point diameter of the star
    font: str | None = None  # "song", "kai", a fontconfig family or a font file path
    aged_seed: int | None = None  # 做旧: deterministic worn look from this seed
    opacity: float = 1.0
    text_height_mm: float | None = None
    text_gap_mm: float | None = None  # gap between the border and the arc text
    suffix: str | None = None  # legal-representative seals: "印", "之印" or ""

    def __post_init__(self) -> None:
        if not isinstance(self.kind, SealKind):
            try:
                object.__setattr__(self, "kind", SealKind(str(self.kind).strip().lower()))
            except ValueError:
                kinds = ", ".join(k.value for k in SealKind)
                raise SealSpecError(
                    f"未知印章类型 / unknown seal kind {self.kind!r}; one of: {kinds}",
                    code="kind",
                    value=str(self.kind),
                    kinds=kinds,
                ) from None

    def replace(self, **changes) -> SealSpec:
        return replace(self, **changes)

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


ROUND_KINDS = {SealKind.OFFICIAL, SealKind.CONTRACT, SealKind.FINANCE, SealKind.HR, SealKind.CUSTOM}


def official_seal_for(
    company_name: str, *, bottom_text: str | None = None, size_mm: float = 40
) -> SealSpec:
    """The free official seal generated when a company is verified (Ø40 LLC or Ø42 state-owned)."""
    return SealSpec(
        kind=SealKind.OFFICIAL, name=company_name.strip(), bottom_text=bottom_text, size_mm=size_mm
    )


# ---------------------------------------------------------------------------------- validation
class TextPart(StrEnum):
    """Which text of a seal a problem is about. The value is the spec field (and the ``part``
    parameter of errors); the labels are only for the engine's own messages."""

    NAME = "name"
    HORIZONTAL = "horizontal_text"
    BOTTOM = "bottom_text"
    TAXPAYER_ID = "taxpayer_id"

    @property
    def label_zh(self) -> str:
        return _TEXT_PART_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _TEXT_PART_LABELS[self][1]


_TEXT_PART_LABELS = {
    TextPart.NAME: ("名称", "name"),
    TextPart.HORIZONTAL: ("横向文", "horizontal text"),
    TextPart.BOTTOM: ("下弦文", "bottom text"),
    TextPart.TAXPAYER_ID: ("税号", "taxpayer id"),
}


class Measure(StrEnum):
    """A dimension of the spec that has limits (millimetres)."""

    SIZE = "size"
    WIDTH = "width"
    HEIGHT = "height"
    BORDER = "border"
    STAR = "star_size"
    TEXT_HEIGHT = "text_height"

    @property
    def label_zh(self) -> str:
        return _MEASURE_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _MEASURE_LABELS[self][1]


_MEASURE_LABELS = {
    Measure.SIZE: ("尺寸", "size"),
    Measure.WIDTH: ("宽度", "width"),
    Measure.HEIGHT: ("高度", "height"),
    Measure.BORDER: ("边框", "border"),
    Measure.STAR: ("五角星", "star size"),
    Measure.TEXT_HEIGHT: ("字高", "text height"),
}


def is_wide(ch: str) -> bool:
    """A full-width character (an ideograph or a full-width form): one square cell on a seal."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def limit(value: float, lo: float, hi: float, what: Measure) -> float:
    """``value`` as a float if it is a finite number within ``lo``–``hi`` mm, else refuse it."""
    if not (isinstance(value, int | float) and math.isfinite(value)) or not (lo <= value <= hi):
        raise SealSpecError(
            f"{what.label_zh}超出范围 / {what.label_en} out of range: {value!r} "
            f"(allowed {lo:g}–{hi:g} mm)",
            code="out_of_range",
            measure=what.value,
            value=value,
            lo=f"{lo:g}",
            hi=f"{hi:g}",
        )
    return float(value)


def check_look(spec: SealSpec) -> None:
    """Refuse an opacity outside 0.05–1 or an aged-look seed that is not an integer."""
    op = spec.opacity
    if not isinstance(op, int | float) or not (0.05 <= op <= 1):
        raise SealSpecError(
            f"不透明度应在 0.05–1 之间 / opacity must be between 0.05 and 1, got {op!r}",
            code="opacity",
            value=op,
        )
    if spec.aged_seed is not None and not isinstance(spec.aged_seed, int):
        raise SealSpecError(
            "做旧种子应为整数 / the aged-look seed must be an integer", code="aged_seed"
        )


MIDDLE_DOT = "\u00b7"  # the separator of transcribed names on ID cards: 买买提·艾力
MAX_DOTTED_NAME = 10
MAX_NAME_WIDE = 48  # characters of a Chinese name on the largest round seal
MAX_NAME_LATIN = 80


def legal_rep_name_ok(name: str) -> bool:
    """A legal-representative seal carries 2–4 Chinese characters, or a transcribed name whose
    parts (Chinese characters) are joined by single middle dots, at most 10 characters in all."""
    if MIDDLE_DOT not in name:
        return 2 <= len(name) <= 4 and all(is_wide(c) for c in name)
    parts = name.split(MIDDLE_DOT)
    return (
        len(name) <= MAX_DOTTED_NAME
        and len(parts) >= 2
        and all(p and all(is_wide(c) for c in p) for p in parts)
    )


def checked_name(spec: SealSpec) -> str:
    """The spec's name with whitespace collapsed; refuses an empty name, control characters and
    names longer than any seal can carry."""
    name = " ".join((spec.name or "").split())
    if not name:
        raise SealSpecError("名称不能为空 / the name must not be empty", code="empty")
    bad = [ch for ch in name if unicodedata.category(ch).startswith("C")]
    if bad:
        raise SealSpecError(
            "名称含有控制字符 / the name contains control characters", code="control"
        )
    most = MAX_NAME_WIDE if any(is_wide(ch) for ch in name) else MAX_NAME_LATIN
    if len(name) > most:
        raise SealSpecError(
            f"名称过长（{len(name)} 字，最多 {most}）/ the name is too long "
            f"({len(name)} characters, at most {most})",
            code="too_long",
            length=len(name),
            limit=most,
        )
    return name
