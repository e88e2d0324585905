"""What a signing act puts on the page: seal appearances and the marks that place them.

All positions are in millimetres measured from the top-left corner of the page *as the reader
displays it* (after /CropBox and /Rotate), because that is what a person sees when dragging a seal
onto a page preview. ``chop.pdfsign.geometry`` maps them to PDF user space.
"""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass, field
from typing import Literal, Protocol

from .errors import MarkError

__all__ = [
    "SealAppearance",
    "SingleMark",
    "MultiPageMark",
    "RidingMark",
    "KeywordMark",
    "Mark",
    "parse_page_ranges",
    "MM",
]

MM = 72.0 / 25.4  # points per millimetre


class _Drawing(Protocol):
    width_mm: float
    height_mm: float

    def pdf_content(self) -> bytes: ...


@dataclass(eq=False)
class SealAppearance:
    """A seal (or handwritten signature) as it is drawn on the page.

    Either ``content`` — a self-contained PDF content stream drawing the seal inside
    (0,0)-(width_pt,height_pt), path operators only, optionally using ``/GS0`` for opacity — or a
    PNG (RGBA; the alpha channel becomes a soft mask). Vector content is preferred: it stays sharp
    at any zoom, is a few hundred bytes, and can be embedded as one form XObject shared by every
    mark of a signing act, which is what makes multi-page and riding seals cheap.

    Instances are meant to be reused across signing acts (the compressed image is cached).
    """

    width_mm: float
    height_mm: float
    content: bytes | None = None
    png: bytes | None = None
    opacity: float = 1.0
    _image_cache: tuple[int, int, bytes, bytes | None] | None = field(
        default=None, repr=False, compare=False
    )
    _content_cache: bytes | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if (self.content is None) == (self.png is None):
            raise MarkError(
                "a seal appearance needs either vector content or a PNG image",
                code="seal_without_content",
            )
        if not (self.width_mm > 0 and self.height_mm > 0):
            raise MarkError(
                "a seal appearance needs a positive width and height",
                code="seal_size_not_positive",
                width_mm=self.width_mm,
                height_mm=self.height_mm,
            )

    @classmethod
    def from_drawing(cls, drawing: _Drawing, *, opacity: float | None = None) -> SealAppearance:
        """From a ``chop.sealart`` drawing (anything with width_mm, height_mm, pdf_content())."""
        op = opacity if opacity is not None else float(getattr(drawing, "opacity", 1.0) or 1.0)
        content = drawing.pdf_content()
        if op < 1 and b"/GS0" not in content:
            # sealart leaves opacity to the caller: /GS0 is registered in the seal's form XObject
            content = b"q /GS0 gs\n" + content + b"\nQ"
        return cls(
            width_mm=float(drawing.width_mm),
            height_mm=float(drawing.height_mm),
            content=content,
            opacity=op,
        )

    @classmethod
    def from_png(cls, png: bytes, width_mm: float, height_mm: float) -> SealAppearance:
        return cls(width_mm=float(width_mm), height_mm=float(height_mm), png=bytes(png))

    @classmethod
    def from_pdf(cls, pdf: bytes, page: int = 0) -> SealAppearance:
        """The first page of a one-page PDF (e.g. a seal exported as PDF) as a vector appearance.

        Only the page's content stream is used, so the PDF must draw with path operators only
        (no fonts or images), which is what seal exports do.
        """
        from pyhanko.pdf_utils.reader import PdfFileReader

        r = PdfFileReader(io.BytesIO(pdf), strict=False)
        pg = r.root["/Pages"]["/Kids"][page].get_object()
        box = [float(v) for v in pg["/MediaBox"]]
        contents = pg["/Contents"]
        contents = contents.get_object()
        if isinstance(contents, list):
            data = b"\n".join(c.get_object().data for c in contents)
        else:
            data = contents.data
        if box[0] or box[1]:
            data = b"1 0 0 1 %g %g cm\n" % (-box[0], -box[1]) + data
        opacity = 1.0
        try:
            gs = pg["/Resources"]["/ExtGState"]["/GS0"]
            opacity = float(gs.get("/ca", gs.get("/CA", 1.0)))
        except (KeyError, TypeError, ValueError):
            pass
        return cls(
            width_mm=(box[2] - box[0]) / MM,
            height_mm=(box[3] - box[1]) / MM,
            content=b"q\n" + data + b"\nQ",
            opacity=opacity,
        )

    @property
    def width_pt(self) -> float:
        return self.width_mm * MM

    @property
    def height_pt(self) -> float:
        return self.height_mm * MM

    def image_data(self) -> tuple[int, int, bytes, bytes | None]:
        """(width_px, height_px, Flate-compressed RGB, Flate-compressed alpha or None), cached."""
        if self._image_cache is None:
            from PIL import Image

            with Image.open(io.BytesIO(self.png or b"")) as png:
                im = png.convert("RGBA")
                w, h = im.size
                rgb = im.convert("RGB").tobytes()
                alpha = im.getchannel("A").tobytes()
            smask = None if alpha == b"\xff" * (w * h) else zlib.compress(alpha, 6)
            self._image_cache = (w, h, zlib.compress(rgb, 6), smask)
        return self._image_cache


@dataclass
class DateText:
    """A date printed under the seal; ``text=None`` means the signing date.

    ``style="iso"`` prints 2026-11-21 (Helvetica); ``style="cn"`` prints 2026年11月21日, drawn
    as outlines from an installed CJK font (falling back to the ISO form when there is none).
    """

    text: str | None = None
    style: Literal["iso", "cn"] = "iso"
    size_mm: float = 3.5
    gap_mm: float = 1.0


@dataclass
class SingleMark:
    """One seal on one page; (x_mm, y_mm) is the seal's top-left corner on the displayed page."""

    seal: SealAppearance
    page: int  # 1-based
    x_mm: float
    y_mm: float
    size_mm: float | None = None  # width; height scales with it. None = the seal's own size
    date: DateText | None = None


@dataclass
class MultiPageMark:
    """The same seal at the same position on several pages: ``pages`` is "all" or "1-3,5"."""

    seal: SealAppearance
    pages: str
    x_mm: float
    y_mm: float
    size_mm: float | None = None
    date: DateText | None = None


Edge = Literal["right", "left", "top", "bottom"]


@dataclass
class RidingMark:
    """A riding seal (骑缝章): one drawing cut by clipping into strips across a page edge.

    Pages are grouped so that each strip is at least ``min_strip_mm`` wide; within a group page
    *i* carries the *i*-th strip counted from the page's inside towards the edge, so the strips
    line up into the whole seal when the group's edges are fanned out. ``position_mm`` is the
    seal's centre measured along the edge (from the top for left/right, from the left for
    top/bottom); ``None`` centres it.
    """

    seal: SealAppearance
    edge: Edge = "right"
    position_mm: float | None = None
    pages: str = "all"
    size_mm: float | None = None
    min_strip_mm: float = 4.0


@dataclass
class KeywordMark:
    """A seal centred on text found in the document (e.g. "甲方（盖章）"), plus an offset.

    ``occurrence`` picks the first, last or all hits; offsets move the seal's centre right/down.
    """

    seal: SealAppearance
    keyword: str
    occurrence: Literal["first", "last", "all"] = "first"
    dx_mm: float = 0.0
    dy_mm: float = 0.0
    size_mm: float | None = None
    date: DateText | None = None


Mark = SingleMark | MultiPageMark | RidingMark | KeywordMark

_RANGE_RE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def parse_page_ranges(spec: str, page_count: int) -> list[int]:
    """``"1-3,5"`` → ``[1, 2, 3, 5]`` (1-based, sorted, unique); ``"all"`` → every page.

    Raises ``MarkError`` for malformed ranges or pages outside 1..page_count, because silently
    dropping a page the user asked to stamp would be worse than refusing.
    """
    s = (spec or "").strip().lower()
    if s in ("all", "*", ""):
        return list(range(1, page_count + 1))
    pages: set[int] = set()
    for part in s.split(","):
        if not part.strip():
            continue
        m = _RANGE_RE.match(part)
        if not m:
            raise MarkError(
                f"cannot read page range {part.strip()!r} (use e.g. 1-3,5)",
                code="bad_page_range",
                range=part.strip(),
            )
        a = int(m.group(1))
        b = int(m.group(2)) if m.group(2) else a
        if a > b:
            raise MarkError(
                f"page range {part.strip()!r} runs backwards",
                code="page_range_backwards",
                range=part.strip(),
            )
        if a < 1 or b > page_count:
            raise MarkError(
                f"page range {part.strip()!r} is outside 1-{page_count}",
                code="page_range_outside",
                range=part.strip(),
                page_count=page_count,
            )
        pages.update(range(a, b + 1))
    if not pages:
        raise MarkError(
            f"page range {spec!r} selects no pages", code="page_range_empty", range=spec
        )
    return sorted(pages)
