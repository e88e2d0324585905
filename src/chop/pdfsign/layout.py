"""Turning marks into placements: a user-space /Rect on a page plus the appearance content.

Every placement's appearance is drawn in the page's *displayed* orientation (x right, y up as the
reader shows it) and given a /Matrix that undoes the page's /Rotate, so a seal on a page with
/Rotate 90 still stands upright on screen. Riding-seal strips draw the whole seal form XObject
through a clipping rectangle, so the strips of one group are cut from one drawing.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from .document import InputDocument, PageInfo
from .errors import KeywordNotFoundError, MarkError
from .marks import (
    MM,
    DateText,
    KeywordMark,
    Mark,
    MultiPageMark,
    RidingMark,
    SealAppearance,
    SingleMark,
    parse_page_ranges,
)

__all__ = ["Placement", "layout_marks", "riding_groups"]

# Helvetica advance widths (1/1000 em) for the characters a date uses.
_HELV = {c: 556 for c in "0123456789"} | {"-": 333, ".": 278, "/": 278, " ": 278, ":": 278}
_TOLERANCE = 1.0  # pt a seal may stick out of the page before we call it an error


@dataclass
class Placement:
    page: PageInfo
    rect: list[float]  # user space
    width: float  # appearance BBox, display orientation, pt
    height: float
    seal: SealAppearance
    ops: bytes  # appearance content; /S0 is the seal form, /F0 Helvetica
    uses_font: bool
    kind: str

    @property
    def matrix(self) -> list[float] | None:
        r = self.page.rotate
        if r == 0:
            return None
        c = round(math.cos(math.radians(r)))
        s = round(math.sin(math.radians(r)))
        return [c, s, -s, c, 0, 0]


def _fmt(v: float) -> bytes:
    s = f"{v:.4f}".rstrip("0").rstrip(".")
    return (s if s not in ("-0", "") else "0").encode()


def _date_text(date: DateText, when: dt.datetime) -> str:
    if date.text is not None:
        return date.text
    if date.style == "cn":
        return f"{when.year}年{when.month}月{when.day}日"
    return when.strftime("%Y-%m-%d")


def _date_ops(date: DateText, width: float, when: dt.datetime) -> tuple[bytes, float, bool]:
    """(appearance ops, height taken below the seal, whether /F0 Helvetica is used)."""
    text = _date_text(date, when)
    size = date.size_mm * MM
    ty = size * 0.22  # baseline above the descender
    if any(ch not in _HELV for ch in text):
        # CJK (or other) characters: drawn as outlines from a system font
        from .textpath import text_path_ops

        drawn = text_path_ops(text, size)
        if drawn is not None:
            path, tw = drawn
            ops = b"q 0 g 1 0 0 1 %s %s cm %s Q" % (_fmt((width - tw) / 2), _fmt(ty), path)
            return ops, size + date.gap_mm * MM, False
        text = "".join(ch for ch in text if ch in _HELV) or when.strftime("%Y-%m-%d")
        if not any(ch.isdigit() for ch in text):
            text = when.strftime("%Y-%m-%d")
    tw = sum(_HELV[ch] for ch in text) / 1000 * size
    tx = (width - tw) / 2
    ops = b"BT /F0 %s Tf 0 g %s %s Td (%s) Tj ET" % (
        _fmt(size),
        _fmt(tx),
        _fmt(ty),
        text.encode("ascii"),
    )
    return ops, size + date.gap_mm * MM, True


def _seal_size(seal: SealAppearance, size_mm: float | None) -> tuple[float, float, float]:
    """(width_pt, height_pt, scale from the seal form's native size)."""
    if size_mm is None:
        return seal.width_pt, seal.height_pt, 1.0
    if size_mm <= 0:
        raise MarkError(
            "seal size must be positive", code="seal_size_not_positive", size_mm=size_mm
        )
    s = size_mm / seal.width_mm
    return seal.width_pt * s, seal.height_pt * s, s


def _check_on_page(page: PageInfo, u0: float, v0: float, u1: float, v1: float) -> None:
    w, h = page.display_size
    if u0 < -_TOLERANCE or v0 < -_TOLERANCE or u1 > w + _TOLERANCE or v1 > h + _TOLERANCE:
        raise MarkError(
            f"the seal on page {page.index + 1} would lie outside the page "
            f"({w / MM:.0f}×{h / MM:.0f} mm)",
            code="seal_off_page",
            page=page.index + 1,
            width_mm=round(w / MM),
            height_mm=round(h / MM),
        )


def _full_seal(
    page: PageInfo,
    seal: SealAppearance,
    u0: float,
    v0: float,
    size_mm: float | None,
    date: DateText | None,
    when: dt.datetime,
    kind: str,
) -> Placement:
    sw, sh, s = _seal_size(seal, size_mm)
    ops = []
    date_h = 0.0
    uses_font = False
    if date is not None:
        dops, date_h, uses_font = _date_ops(date, sw, when)
        ops.append(dops)
    ops.insert(0, b"q %s 0 0 %s 0 %s cm /S0 Do Q" % (_fmt(s), _fmt(s), _fmt(date_h)))
    h = sh + date_h
    _check_on_page(page, u0, v0, u0 + sw, v0 + h)
    return Placement(
        page=page,
        rect=page.rect_to_user(u0, v0, u0 + sw, v0 + h),
        width=sw,
        height=h,
        seal=seal,
        ops=b"\n".join(ops),
        uses_font=uses_font,
        kind=kind,
    )


def riding_groups(pages: list[int], seal_extent_mm: float, min_strip_mm: float) -> list[list[int]]:
    """Split ``pages`` into consecutive groups so each strip is ≥ ``min_strip_mm`` wide.

    Groups are balanced (sizes differ by at most one) so no group ends up with a lone page.
    """
    n = len(pages)
    if n < 2:
        raise MarkError("a riding seal needs at least two pages", code="riding_needs_two_pages")
    max_per = int(seal_extent_mm // max(min_strip_mm, 0.1))
    if max_per < 2:
        raise MarkError(
            "the seal is too small to be cut into strips of the minimum width",
            code="riding_seal_too_small",
            seal_extent_mm=seal_extent_mm,
            min_strip_mm=min_strip_mm,
        )
    n_groups = math.ceil(n / max_per)
    base, extra = divmod(n, n_groups)
    groups, i = [], 0
    for g in range(n_groups):
        size = base + (1 if g < extra else 0)
        groups.append(pages[i : i + size])
        i += size
    return groups


def _riding(doc: InputDocument, mark: RidingMark) -> list[Placement]:
    seal = mark.seal
    sw, sh, s = _seal_size(seal, mark.size_mm)
    vertical = mark.edge in ("right", "left")
    if mark.edge not in ("right", "left", "top", "bottom"):
        raise MarkError(
            f"unknown riding-seal edge {mark.edge!r}", code="unknown_riding_edge", edge=mark.edge
        )
    extent_mm = (sw if vertical else sh) / MM
    pages = parse_page_ranges(mark.pages, doc.page_count)
    out: list[Placement] = []
    for group in riding_groups(pages, extent_mm, mark.min_strip_mm):
        n = len(group)
        for k, pno in enumerate(group):
            page = doc.pages[pno - 1]
            pw, ph = page.display_size
            if vertical:
                strip = sw / n
                centre = mark.position_mm * MM if mark.position_mm is not None else ph / 2
                v0 = centre - sh / 2
                if mark.edge == "right":
                    u0, idx = pw - strip, k
                else:
                    u0, idx = 0.0, n - 1 - k
                u1, v1 = u0 + strip, v0 + sh
                bw, bh = strip, sh
                ops = b"q 0 0 %s %s re W n %s 0 0 %s %s 0 cm /S0 Do Q" % (
                    _fmt(strip),
                    _fmt(sh),
                    _fmt(s),
                    _fmt(s),
                    _fmt(-idx * strip),
                )
            else:
                strip = sh / n
                centre = mark.position_mm * MM if mark.position_mm is not None else pw / 2
                u0 = centre - sw / 2
                # band index counted from the seal's bottom (PDF y grows upwards)
                if mark.edge == "top":
                    v0, idx = 0.0, k
                else:
                    v0, idx = ph - strip, n - 1 - k
                u1, v1 = u0 + sw, v0 + strip
                bw, bh = sw, strip
                ops = b"q 0 0 %s %s re W n %s 0 0 %s 0 %s cm /S0 Do Q" % (
                    _fmt(sw),
                    _fmt(strip),
                    _fmt(s),
                    _fmt(s),
                    _fmt(-idx * strip),
                )
            _check_on_page(page, u0, v0, u1, v1)
            out.append(
                Placement(
                    page=page,
                    rect=page.rect_to_user(u0, v0, u1, v1),
                    width=bw,
                    height=bh,
                    seal=seal,
                    ops=ops,
                    uses_font=False,
                    kind="riding",
                )
            )
    return out


def layout_marks(
    doc: InputDocument,
    marks: list[Mark],
    when: dt.datetime,
    keyword_source=None,
) -> list[Placement]:
    """All placements for a signing act, in mark order. Keyword marks search ``keyword_source``."""
    out: list[Placement] = []
    for mark in marks:
        if isinstance(mark, SingleMark):
            if not 1 <= mark.page <= doc.page_count:
                raise MarkError(
                    f"page {mark.page} does not exist (the PDF has {doc.page_count})",
                    code="page_out_of_range",
                    page=mark.page,
                    page_count=doc.page_count,
                )
            page = doc.pages[mark.page - 1]
            out.append(
                _full_seal(
                    page,
                    mark.seal,
                    mark.x_mm * MM,
                    mark.y_mm * MM,
                    mark.size_mm,
                    mark.date,
                    when,
                    "single",
                )
            )
        elif isinstance(mark, MultiPageMark):
            for pno in parse_page_ranges(mark.pages, doc.page_count):
                out.append(
                    _full_seal(
                        doc.pages[pno - 1],
                        mark.seal,
                        mark.x_mm * MM,
                        mark.y_mm * MM,
                        mark.size_mm,
                        mark.date,
                        when,
                        "multi",
                    )
                )
        elif isinstance(mark, RidingMark):
            out.extend(_riding(doc, mark))
        elif isinstance(mark, KeywordMark):
            from .keyword import find_keyword

            hits = find_keyword(keyword_source, mark.keyword)
            if not hits:
                raise KeywordNotFoundError(
                    f"the text {mark.keyword!r} is not in the document",
                    code="keyword_not_found",
                    keyword=mark.keyword,
                )
            if mark.occurrence == "first":
                hits = hits[:1]
            elif mark.occurrence == "last":
                hits = hits[-1:]
            sw, sh, _ = _seal_size(mark.seal, mark.size_mm)
            for hit in hits:
                page = doc.pages[hit.page - 1]
                cu, cv = page.to_display(
                    (hit.rect[0] + hit.rect[2]) / 2, (hit.rect[1] + hit.rect[3]) / 2
                )
                u0 = cu - sw / 2 + mark.dx_mm * MM
                v0 = cv - sh / 2 + mark.dy_mm * MM
                # keep a seal near the page edge on the page rather than refusing it
                pw, ph = page.display_size
                u0 = min(max(u0, 0.0), max(pw - sw, 0.0))
                v0 = min(max(v0, 0.0), max(ph - sh, 0.0))
                out.append(
                    _full_seal(page, mark.seal, u0, v0, mark.size_mm, mark.date, when, "keyword")
                )
        else:
            raise MarkError(
                f"unknown mark type {type(mark).__name__}",
                code="unknown_mark_type",
                type=type(mark).__name__,
            )
    return out
