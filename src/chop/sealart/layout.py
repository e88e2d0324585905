"""Per-kind seal layouts: turns a :class:`SealSpec` into shapes (border, star, glyph outlines) in
millimetres. Round, oval, square/rectangular and signature seals each place their texts with the
fitting in :mod:`.fitting`; the spec's limits are checked in :mod:`.spec`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .aged import wear
from .errors import SealSpecError
from .fitting import (
    MIN_SEP,
    GlyphPlacement,
    Oval,
    _latin_width,
    _ref_box,
    arc_text,
    box_corners,
    check_chars,
    glyph_shape,
    grid_text,
    line_text,
)
from .fonts import LoadedFont, load_font
from .geometry import Shape, rect_ring_shape, ring_shape, star_shape
from .spec import (
    PURPOSE_TEXT,
    ROUND_KINDS,
    Measure,
    SealKind,
    SealSpec,
    TextPart,
    checked_name,
    is_wide,
    legal_rep_name_ok,
    limit,
)

__all__ = ["INVOICE_ID_CLEARANCE", "Layout", "build"]

INVOICE_ID_CLEARANCE = 1.2  # mm between the invoice seal's taxpayer id and the name on the arc


@dataclass
class Layout:
    width: float
    height: float
    shapes: list[Shape]
    erase: list[Shape]


def _font(spec: SealSpec, default: str) -> LoadedFont:
    return load_font(spec.font or default)


def build(spec: SealSpec) -> Layout:
    kind = spec.kind
    if kind in ROUND_KINDS:
        lay = _round(spec)
    elif kind in (SealKind.INVOICE, SealKind.FOREIGN):
        lay = _oval(spec)
    elif kind in (SealKind.FINANCE_SQUARE, SealKind.LEGAL_REP_SQUARE, SealKind.LEGAL_REP_RECT):
        lay = _square(spec)
    elif kind is SealKind.SIGNATURE:
        lay = _signature(spec)
    else:  # pragma: no cover - the enum is exhaustive
        raise SealSpecError(f"unsupported kind {kind}", code="kind", value=str(kind))
    return lay


def _round(spec: SealSpec) -> Layout:
    kind = spec.kind
    official = kind in (SealKind.OFFICIAL, SealKind.CUSTOM)
    D = limit(spec.size_mm if spec.size_mm is not None else 40.0, 20, 60, Measure.SIZE)
    R = D / 2
    bw = limit(
        spec.border_mm
        if spec.border_mm is not None
        else (1.2 if official else 1.0) * min(1.0, D / 38),
        0.2,
        D / 8,
        Measure.BORDER,
    )
    cx = cy = R
    name = checked_name(spec)
    font = _font(spec, "song")
    check_chars(font, name, TextPart.NAME)
    shapes: list[Shape] = [ring_shape(cx, cy, R, R, bw)]
    edge = Oval(cx, cy, R - bw, R - bw)
    gap = spec.text_gap_mm if spec.text_gap_mm is not None else 0.8 * min(1.0, D / 38)
    h0 = (
        spec.text_height_mm
        if spec.text_height_mm is not None
        else (min(7.0, 0.17 * D) if official else 0.155 * D)
    )
    h0 = limit(h0, 1.0, D / 4, Measure.TEXT_HEIGHT)
    name_shapes = arc_text(
        font,
        name,
        edge,
        side="top",
        gap=gap,
        height=h0,
        min_height=min(h0, 0.09 * D),
        spread=(250, 270) if official else (235, 260),
        aspect=0.66,
        min_aspect=0.36,
        what=TextPart.NAME,
    )
    shapes += name_shapes
    name_boxes = [box_corners(s) for s in name_shapes]
    # the free sector at the bottom between the two ends of the name, in degrees either side of 270°
    corners = np.concatenate(name_boxes) - (cx, cy)
    ang = np.degrees(np.arctan2(corners[:, 1], corners[:, 0])) % 360
    free_half = float(np.min(np.abs(ang - 270)))
    # star
    star = spec.star if spec.star is not None else True
    star_bottom = cy
    if star:
        sd = (
            spec.star_mm if spec.star_mm is not None else (14 * D / 42 if official else 12 * D / 40)
        )
        sd = limit(sd, 2, D * 0.5, Measure.STAR)
        shapes.append(star_shape(cx, cy, sd / 2))
        star_bottom = cy - sd / 2 * math.cos(math.radians(36))
    # bottom arc text (anti-forgery code)
    code_boxes: list[np.ndarray] = []
    if spec.bottom_text and spec.bottom_text.strip():
        check_chars(font, spec.bottom_text, TextPart.BOTTOM)
        hi = max(20.0, min(110.0, 2 * (free_half - 4)))
        code = arc_text(
            font,
            spec.bottom_text,
            edge,
            side="bottom",
            gap=gap,
            height=0.065 * D,
            min_height=0.045 * D,
            spread=(min(70.0, hi), hi),
            aspect=0.6,
            min_aspect=0.35,
            what=TextPart.BOTTOM,
            obstacles=name_boxes,
        )
        shapes += code
        code_boxes = [box_corners(s) for s in code]
    # horizontal text (purpose text of special seals): under the star, inside the border, clear of
    # the name and the code
    htext = spec.horizontal_text if spec.horizontal_text is not None else PURPOSE_TEXT.get(kind)
    if htext and htext.strip():
        check_chars(font, htext, TextPart.HORIZONTAL)
        hh = 0.115 * D if not official else 0.1 * D
        ycen = star_bottom - 1.0 * D / 40 - hh / 2 if star else cy - 0.16 * D
        shapes += line_text(
            font,
            htext,
            cx=cx,
            cy=ycen,
            height=hh,
            min_height=0.06 * D,
            aspect=0.8,
            min_aspect=0.45,
            max_width=2 * R,
            spacing=0.35 * D / 40,
            what=TextPart.HORIZONTAL,
            container=edge,
            container_gap=gap,
            obstacles=name_boxes + code_boxes,
        )
    edges = [lambda u: (cx + R * math.cos(2 * math.pi * u), cy + R * math.sin(2 * math.pi * u))]
    erase = wear(spec.aged_seed, D, D, edges) if spec.aged_seed is not None else []
    return Layout(D, D, shapes, erase)


def _oval(spec: SealSpec) -> Layout:
    invoice = spec.kind is SealKind.INVOICE
    W = limit(
        spec.width_mm if spec.width_mm is not None else (40.0 if invoice else 45.0),
        20,
        80,
        Measure.WIDTH,
    )
    H = limit(spec.height_mm if spec.height_mm is not None else 30.0, 15, 60, Measure.HEIGHT)
    if H > W:
        raise SealSpecError(
            "椭圆章的高度不能大于宽度 / an oval seal must be wider than it is tall",
            code="oval_shape",
        )
    bw = limit(
        spec.border_mm if spec.border_mm is not None else (1.0 if invoice else 1.1),
        0.2,
        H / 8,
        Measure.BORDER,
    )
    cx, cy = W / 2, H / 2
    name = checked_name(spec)
    # invoice seals are cut in 仿宋 with thin strokes: the regular weight is the closer match
    font = _font(spec, "song-regular" if invoice else "song")
    check_chars(font, name, TextPart.NAME)
    edge = Oval(cx, cy, W / 2 - bw, H / 2 - bw)
    shapes: list[Shape] = [ring_shape(cx, cy, W / 2, H / 2, bw)]
    latin_name = not any(is_wide(ch) for ch in name)
    h0 = spec.text_height_mm or (4.2 if not latin_name else 3.4)
    name_shapes = arc_text(
        font,
        name,
        edge,
        side="top",
        gap=spec.text_gap_mm if spec.text_gap_mm is not None else 0.8,
        height=limit(h0, 1.0, H / 4, Measure.TEXT_HEIGHT),
        min_height=min(h0, 2.2),
        spread=(210, 260) if invoice else (200, 270),
        aspect=0.62,
        min_aspect=0.34,
        what=TextPart.NAME,
    )
    for s in name_shapes:
        s.meta["part"] = TextPart.NAME.value
    shapes += name_shapes
    name_boxes = [box_corners(s) for s in name_shapes]
    inner_w = 2 * edge.a
    mid = spec.taxpayer_id if invoice else spec.horizontal_text
    if invoice and not (mid and mid.strip()):
        raise SealSpecError(
            "发票专用章需要纳税人识别号 / an invoice seal needs the taxpayer id (--taxpayer-id)",
            code="taxpayer_id_missing",
        )
    if mid and mid.strip():
        mid = mid.strip()
        part = TextPart.TAXPAYER_ID if invoice else TextPart.HORIZONTAL
        check_chars(font, mid, part)
        mid_shapes = line_text(
            font,
            mid,
            cx=cx,
            cy=cy + 0.3,
            height=3.7 if invoice else 3.4,
            min_height=2.4,
            aspect=0.62,
            min_aspect=0.3,
            max_width=inner_w,
            spacing=0.2,
            what=TextPart.TAXPAYER_ID if invoice else TextPart.HORIZONTAL,
            container=edge,
            container_gap=0.8,
            obstacles=name_boxes,
            # the long taxpayer id spans the oval between the two ends of the name: a clear gap
            # keeps the id from reading as part of the arc (PRODUCT.md §2)
            clearance=INVOICE_ID_CLEARANCE if invoice else 2 * MIN_SEP,
        )
        for s in mid_shapes:
            s.meta["part"] = part.value  # tests measure the gap between the texts by part
        shapes += mid_shapes
    if invoice:
        purpose = PURPOSE_TEXT[SealKind.INVOICE]
        shapes += line_text(
            font,
            purpose,
            cx=cx,
            cy=cy - 0.25 * H,
            height=4.2,
            min_height=3.0,
            aspect=0.8,
            min_aspect=0.5,
            max_width=2 * edge.a * math.sqrt(1 - (0.32 * H / edge.b) ** 2) - 2.0,
            spacing=0.3,
            what=TextPart.HORIZONTAL,
            container=edge,
            container_gap=0.8,
            obstacles=name_boxes,
        )
    elif spec.bottom_text and spec.bottom_text.strip():
        check_chars(font, spec.bottom_text, TextPart.BOTTOM)
        shapes += arc_text(
            font,
            spec.bottom_text,
            edge,
            side="bottom",
            gap=0.7,
            height=2.4,
            min_height=1.6,
            spread=(60, 90),
            aspect=0.6,
            min_aspect=0.35,
            what=TextPart.BOTTOM,
            obstacles=name_boxes,
        )
    edges = [
        lambda u: (cx + W / 2 * math.cos(2 * math.pi * u), cy + H / 2 * math.sin(2 * math.pi * u))
    ]
    erase = wear(spec.aged_seed, W, H, edges) if spec.aged_seed is not None else []
    return Layout(W, H, shapes, erase)


def _square(spec: SealSpec) -> Layout:
    kind = spec.kind
    font = _font(spec, "song")
    name = checked_name(spec)
    if kind is SealKind.FINANCE_SQUARE:
        S = limit(spec.size_mm if spec.size_mm is not None else 22.0, 12, 40, Measure.SIZE)
        W = H = S
        bw = limit(
            spec.border_mm if spec.border_mm is not None else 1.0, 0.2, S / 8, Measure.BORDER
        )
        purpose = spec.horizontal_text if spec.horizontal_text is not None else PURPOSE_TEXT[kind]
        text = name if name.endswith(purpose) else name + purpose
        text = text.replace(" ", "")
    else:
        if not legal_rep_name_ok(name):
            raise SealSpecError(
                f"法定代表人章的姓名应为 2–4 个汉字，或以间隔号“·”连接的少数民族姓名 / "
                f"a legal-representative seal takes a name of 2–4 Chinese characters, or a name "
                f"joined by the middle dot “·”, got “{name}”",
                code="legal_rep_name",
            )
        suffix = spec.suffix if spec.suffix is not None else ("之印" if len(name) == 2 else "印")
        text = name if name.endswith("印") else name + suffix
        if kind is SealKind.LEGAL_REP_SQUARE:
            S = limit(spec.size_mm if spec.size_mm is not None else 18.0, 10, 30, Measure.SIZE)
            W = H = S
        else:
            W = limit(spec.width_mm if spec.width_mm is not None else 20.0, 10, 60, Measure.WIDTH)
            H = limit(spec.height_mm if spec.height_mm is not None else 10.0, 5, 30, Measure.HEIGHT)
        bw = limit(
            spec.border_mm if spec.border_mm is not None else 0.8,
            0.2,
            min(W, H) / 6,
            Measure.BORDER,
        )
    check_chars(font, text, TextPart.NAME)
    shapes: list[Shape] = [rect_ring_shape(0, 0, W, H, bw)]
    inset = bw + 0.5
    pad = 0.25
    if kind is SealKind.LEGAL_REP_RECT:
        n = len(text)
        cw = (W - 2 * inset) / n
        for i, ch in enumerate(text):
            p = GlyphPlacement(
                ch, inset + (i + 0.5) * cw, H / 2, 0.0, cw - 2 * pad, H - 2 * inset - 2 * pad
            )
            shapes.append(glyph_shape(font, p, stretch=True))
    else:
        n = len(text)
        if kind is SealKind.LEGAL_REP_SQUARE:
            cols = 2 if n <= 6 else 3
        else:
            cols = max(2, math.ceil(math.sqrt(n)))
        if n > 25:
            raise SealSpecError(
                f"方形章文字过多（{n} 字，最多 25）/ too many characters for a square seal "
                f"({n}, at most 25)",
                code="too_many_chars",
                length=n,
                limit=25,
            )
        shapes += grid_text(
            font, text, x0=inset, y0=inset, x1=W - inset, y1=H - inset, cols=cols, pad=pad
        )
    per = 2 * (W + H)

    def edge(u: float) -> tuple[float, float]:
        d = u * per
        if d < W:
            return (d, 0.0)
        if d < W + H:
            return (W, d - W)
        if d < 2 * W + H:
            return (2 * W + H - d, H)
        return (0.0, per - d)

    erase = wear(spec.aged_seed, W, H, [edge]) if spec.aged_seed is not None else []
    return Layout(W, H, shapes, erase)


def _signature(spec: SealSpec) -> Layout:
    """A name written in a Kai font on one line, no border: ideographs in square-ish boxes, Latin
    letters at cap height with their own widths, spaces kept."""
    font = _font(spec, "kai")
    name = checked_name(spec)
    check_chars(font, name, TextPart.NAME)
    h = limit(spec.size_mm if spec.size_mm is not None else 12.0, 4, 50, Measure.TEXT_HEIGHT)
    margin = 0.1 * h
    cap = 0.7 * h
    ry0, ry1 = _ref_box(font, True)[1::2]
    k = cap / (ry1 - ry0)
    shapes = []
    x = margin
    for i, ch in enumerate(name):
        if ch.isspace():
            x += 0.35 * h
            continue
        if is_wide(ch):
            w = 0.92 * h
            # a slight alternating baseline makes it look written rather than typeset
            p = GlyphPlacement(
                ch, x + w / 2, margin + h / 2 + (0.03 * h if i % 2 else 0.0), 0.0, w, h
            )
            x += w * 0.98
        else:
            w = _latin_width(font, ch) * k
            p = GlyphPlacement(ch, x + w / 2, margin + 0.12 * h + cap / 2, 0.0, w, cap)
            x += w + 0.06 * h
        shapes.append(glyph_shape(font, p))
    # whole half-millimetres, so the box maps to whole pixels at common resolutions
    W = math.ceil((x + margin) * 2) / 2
    H = math.ceil((2 * margin + h * 1.06) * 2) / 2
    return Layout(W, H, shapes, [])
