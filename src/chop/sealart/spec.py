"""The seal specification: what a user chooses, validated, with per-kind defaults from PRODUCT.md §2."""

from __future__ import annotations

import re
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
            f"颜色无效 / invalid colour {value!r}: use red, blue, black or a hex colour such as #e0201b"
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
                    f"未知印章类型 / unknown seal kind {self.kind!r}; one of: {kinds}"
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
