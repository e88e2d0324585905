"""Seal layout: turns a :class:`SealSpec` into shapes (border, star, glyph outlines) in millimetres.

Text on arcs is solved, not guessed: each glyph gets an oriented box (condensed width × height)
rotated to the normal of the border; boxes are pushed inward until every corner keeps the specified
gap from the border, and condensed (then shortened) until neighbouring boxes are disjoint with a
minimum separation. The glyph's ink is fitted into its box, so boxes bound the ink. Circles and
ovals share the code: positions are spaced by arc length along the curve through the box centres.
"""

from __future__ import annotations

import math
import random
import unicodedata
from dataclasses import dataclass

import numpy as np

from .errors import SealSpecError
from .fonts import LoadedFont, load_font
from .geometry import Shape, affine, line_contour, rect_ring_shape, ring_shape, star_shape
from .spec import PURPOSE_TEXT, ROUND_KINDS, SealKind, SealSpec

MIN_SEP = 0.25  # mm between neighbouring glyph boxes


# ---------------------------------------------------------------------------------------- glyphs
def _ref_box(font: LoadedFont, latin: bool) -> tuple[float, float, float, float]:
    """Ink box that maps to the glyph box: "国" for ideographs (a full-height, full-width glyph),
    "H" for Latin capitals. Using ink rather than the em square makes the text height in the spec the
    height of the ink, which is what one measures on a real seal."""
    for ch in "H0" if latin else "国中":
        if font.has(ch):
            g = font.glyph(ch)
            if g.bounds:
                return g.bounds
    return (0.0, font.descent, float(font.upem), font.ascent)


def _text_ref_box(font: LoadedFont, text: str) -> tuple[float, float, float, float] | None:
    """Median ink box of the ideographs in ``text``: the box the text height and width refer to, so
    a typical character of *this* text fills its box; taller ones are shrunk to fit."""
    bounds = [font.glyph(ch).bounds for ch in set(text) if _is_wide(ch) and font.has(ch)]
    bounds = [b for b in bounds if b is not None]
    if not bounds:
        return None
    arr = np.array(bounds)
    x0, y0, x1, y1 = np.median(arr, axis=0)
    return (float(x0), float(y0), float(x1), float(y1))


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


@dataclass
class Placement:
    ch: str
    cx: float
    cy: float
    rot: float  # degrees; 0 = upright
    w: float
    h: float

    def corners(self) -> np.ndarray:
        r = math.radians(self.rot)
        c, s = math.cos(r), math.sin(r)
        hw, hh = self.w / 2, self.h / 2
        local = np.array([[-hw, -hh], [hw, -hh], [hw, hh], [-hw, hh]])
        return local @ np.array([[c, s], [-s, c]]) + np.array([self.cx, self.cy])


def box_corners(shape: Shape) -> np.ndarray:
    """The 4×2 corners of a glyph's oriented box."""
    x, y, rot, w, h = shape.box
    return Placement(shape.text, x, y, rot, w, h).corners()


def glyph_shape(
    font: LoadedFont,
    p: Placement,
    latin: bool | None = None,
    stretch: bool = False,
    ref: tuple[float, float, float, float] | None = None,
) -> Shape:
    """The glyph outline fitted into its placement box.

    CJK glyphs are scaled non-uniformly (condensed) so the reference ideograph fills the box; Latin
    glyphs keep their proportions scaled by cap height, condensed by the box. Any glyph whose ink would
    leave the box is shrunk about the box centre, so the box always bounds the ink.
    """
    if latin is None:
        latin = not _is_wide(p.ch)
    g = font.glyph(p.ch)
    shape = Shape([], "glyph", p.ch, (p.cx, p.cy, p.rot, p.w, p.h))
    if not g.contours or g.bounds is None:
        return shape
    rx0, ry0, rx1, ry1 = ref if (ref is not None and not latin) else _ref_box(font, latin)
    if latin and not stretch:
        sy = p.h / (ry1 - ry0)
        gx0, _, gx1, _ = g.bounds
        # condensed to the box, but never widened past 85 % of the natural proportions (a "·" in
        # a company name must stay a dot, not become a dash)
        sx = min(p.w / max(gx1 - gx0, 1.0), sy * 0.85)
        ox, oy = (gx0 + gx1) / 2, (ry0 + ry1) / 2
    elif stretch:
        gx0, gy0, gx1, gy1 = g.bounds
        sx, sy = p.w / max(gx1 - gx0, 1.0), p.h / max(gy1 - gy0, 1.0)
        ox, oy = (gx0 + gx1) / 2, (gy0 + gy1) / 2
    else:
        sx, sy = p.w / (rx1 - rx0), p.h / (ry1 - ry0)
        ox, oy = (rx0 + rx1) / 2, (ry0 + ry1) / 2
    gx0, gy0, gx1, gy1 = g.bounds
    lx = max(abs(gx0 - ox), abs(gx1 - ox)) * sx
    ly = max(abs(gy0 - oy), abs(gy1 - oy)) * sy
    f = min(1.0, (p.w / 2) / lx if lx else 1.0, (p.h / 2) / ly if ly else 1.0)
    sx, sy = sx * f, sy * f
    local = np.array([[sx, 0, -ox * sx], [0, sy, -oy * sy], [0, 0, 1]])
    m = affine(p.rot, tx=p.cx, ty=p.cy)
    m3 = np.vstack([m, [0, 0, 1]]) @ local
    shape.contours = [c.transformed(m3[:2]) for c in g.contours]
    return shape.normalised()


def check_chars(font: LoadedFont, text: str, what: str) -> None:
    missing = font.missing(text)
    if missing:
        chars = "".join(missing)
        raise SealSpecError(
            f"{what}中有字体 {font.ref.family} 无法显示的字符 “{chars}” / "
            f"the {_what_en(what)} has characters the font {font.ref.family} cannot draw: {chars}",
            code="glyph",
            chars=chars,
        )


def _what_en(what: str) -> str:
    return {
        "名称": "name",
        "横向文": "horizontal text",
        "下弦文": "bottom text",
        "税号": "taxpayer id",
    }.get(what, "text")


# ---------------------------------------------------------------------------------------- arcs
def _boxes_disjoint(a: np.ndarray, b: np.ndarray, sep: float) -> bool:
    """Separating-axis test for two rectangles (4×2 corners): True if some axis separates them by
    at least ``sep``. Plain floats: called thousands of times on 4 points, numpy would dominate."""
    pa, pb = a.tolist(), b.tolist()
    for poly in (pa, pb):
        for i in range(2):
            ex, ey = poly[i + 1][0] - poly[i][0], poly[i + 1][1] - poly[i][1]
            norm = math.hypot(ex, ey)
            nx, ny = -ey / norm, ex / norm
            qa = [x * nx + y * ny for x, y in pa]
            qb = [x * nx + y * ny for x, y in pb]
            if max(qa) + sep <= min(qb) or max(qb) + sep <= min(qa):
                return True
    return False


@dataclass
class Oval:
    """The inner edge of a round or oval border: centre and semi-axes (mm)."""

    cx: float
    cy: float
    a: float
    b: float

    def point(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Points and outward unit normals at parameters ``t``."""
        x = self.cx + self.a * np.cos(t)
        y = self.cy + self.b * np.sin(t)
        nx, ny = self.b * np.cos(t), self.a * np.sin(t)
        norm = np.hypot(nx, ny)
        return np.stack([x, y], -1), np.stack([nx / norm, ny / norm], -1)

    def t_of_polar(self, phi: np.ndarray) -> np.ndarray:
        return np.arctan2(self.a * np.sin(phi), self.b * np.cos(phi))

    def distance_inside(self, pts: np.ndarray) -> np.ndarray:
        """Distance from points (inside) to the curve; exact for circles, sampled for ovals."""
        if abs(self.a - self.b) < 1e-9:
            return self.a - np.hypot(pts[:, 0] - self.cx, pts[:, 1] - self.cy)
        t = np.linspace(0, 2 * math.pi, 2880, endpoint=False)
        e, _ = self.point(t)
        d = np.hypot(pts[:, None, 0] - e[None, :, 0], pts[:, None, 1] - e[None, :, 1]).min(axis=1)
        inside = ((pts[:, 0] - self.cx) / self.a) ** 2 + ((pts[:, 1] - self.cy) / self.b) ** 2 <= 1
        return np.where(inside, d, -d)


def _arc_try(
    edge: Oval,
    text: str,
    widths: list[float],
    h: float,
    gap: float,
    spread_deg: float,
    side: str,
    equal_slots: bool,
    obstacles: list[np.ndarray] = (),
) -> list[Placement] | None:
    """Place boxes along the arc; None if neighbours collide."""
    n = len(text)
    d0 = gap + h / 2
    mid = 90.0 if side == "top" else 270.0
    # the curve through box centres, sampled by polar angle across the full spread
    half = math.radians(spread_deg / 2)
    if side == "top":
        phi = np.linspace(math.radians(mid) + half, math.radians(mid) - half, 721)  # clockwise
    else:
        phi = np.linspace(math.radians(mid) - half, math.radians(mid) + half, 721)  # left to right
    t = edge.t_of_polar(phi)
    t = np.unwrap(t)
    e, nrm = edge.point(t)
    # arc length is measured along the inner edge of the boxes (where neighbours converge), so
    # glyph feet on a tight oval end are spaced as evenly as those on the flat top
    c = e - (gap + h) * nrm
    seg = np.hypot(*np.diff(c, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    total = s[-1]
    if equal_slots:
        pitch = total / n
        centres = (np.arange(n) + 0.5) * pitch
    else:
        slots = np.array(widths) * 1.05 + 1.6 * MIN_SEP
        used = slots.sum()
        if used > total:
            return None
        centres = (total - used) / 2 + np.cumsum(slots) - slots / 2
    tc = np.interp(centres, s, t)
    pos, nn = edge.point(tc)
    up = nn if side == "top" else -nn
    placements = []
    for i, ch in enumerate(text):
        rot = math.degrees(math.atan2(up[i, 1], up[i, 0])) - 90
        p = Placement(ch, 0, 0, rot, widths[i], h)
        depth = d0
        for _ in range(4):  # push inward until every corner keeps the gap
            p.cx, p.cy = pos[i] - depth * nn[i]
            dmin = float(edge.distance_inside(p.corners()).min())
            if dmin >= gap - 1e-6:
                break
            depth += gap - dmin + 0.005
        placements.append(p)
    boxes = [p.corners() for p in placements]
    for i in range(n - 1):
        if text[i].isspace() or text[i + 1].isspace():
            continue
        if not _boxes_disjoint(boxes[i], boxes[i + 1], MIN_SEP):
            return None
    if not _clear_of(boxes, obstacles):
        return None
    return placements


def _clear_of(boxes: list[np.ndarray], obstacles: list[np.ndarray] | tuple = ()) -> bool:
    """True if every box keeps ``2 * MIN_SEP`` from every obstacle box (other text)."""
    for b in boxes:
        for o in obstacles:
            if not _boxes_disjoint(b, o, 2 * MIN_SEP):
                return False
    return True


def arc_text(
    font: LoadedFont,
    text: str,
    edge: Oval,
    *,
    side: str,
    gap: float,
    height: float,
    min_height: float,
    spread: tuple[float, float],
    aspect: float,
    min_aspect: float,
    what: str,
    obstacles: list[np.ndarray] = (),
) -> list[Shape]:
    """Text along the top arc (clockwise, tops outward) or bottom arc (left to right, tops inward).

    CJK text gets equal slots over a spread that grows with the number of characters within
    ``spread``; shorter names (under 10 characters) get a narrower arc so they do not look scattered.
    Latin text keeps its proportional advances, centred. Too long: condense to ``min_aspect``, then
    lower the height down to ``min_height``, then fail with the limit in the message.
    """
    text = text.strip()
    n = len(text)
    cjk = any(_is_wide(ch) for ch in text)
    lo, hi = spread
    if cjk:
        spread_deg = (
            lo + (hi - lo) * min(1.0, max(0.0, (n - 10) / 8)) if n >= 10 else lo * max(n, 3) / 10
        )
    else:
        spread_deg = hi
    h = height
    while h >= min_height - 1e-9:
        asp = aspect
        while asp >= min_aspect - 1e-9:
            if cjk:
                widths = [h * asp if not ch.isspace() else h * asp * 0.5 for ch in text]
            else:
                ry0, ry1 = _ref_box(font, True)[1::2]
                k = h / (ry1 - ry0)
                widths = [_latin_width(font, ch) * k * asp / 0.8 for ch in text]
            got = _arc_try(edge, text, widths, h, gap, spread_deg, side, cjk, obstacles)
            if got is not None:
                ref = _text_ref_box(font, text)
                return [glyph_shape(font, p, ref=ref) for p in got if not p.ch.isspace()]
            asp *= 0.94
        h -= 0.1
    raise SealSpecError(
        f"{what}“{text}”太长，字高缩到下限 {min_height:.1f} mm 仍放不下 / "
        f"the {_what_en(what)} is too long for this seal: even at the minimum text height of "
        f"{min_height:.1f} mm its {n} characters do not fit; shorten it or use a larger seal",
        code="does_not_fit",
    )


def _latin_width(font: LoadedFont, ch: str) -> float:
    g = font.glyph(ch)
    if ch.isspace() or g.bounds is None:
        return g.advance * 0.6
    return max(g.bounds[2] - g.bounds[0], g.advance * 0.25)


# ---------------------------------------------------------------------------------------- lines
def line_text(
    font: LoadedFont,
    text: str,
    *,
    cx: float,
    cy: float,
    height: float,
    min_height: float,
    aspect: float,
    min_aspect: float,
    max_width: float,
    spacing: float,
    what: str,
    container: Oval | None = None,
    container_gap: float = 0.8,
    obstacles: list[np.ndarray] = (),
) -> list[Shape]:
    """A horizontal line of text centred on (cx, cy), condensed/shrunk to fit ``max_width``, inside
    ``container`` (keeping ``container_gap``) and clear of ``obstacles`` (boxes of other text)."""
    text = text.strip()
    n = len(text)
    cjk = any(_is_wide(ch) for ch in text)
    h = height
    while h >= min_height - 1e-9:
        asp = aspect
        while asp >= min_aspect - 1e-9:
            if cjk:
                widths = [h * asp for _ in text]
                sp = spacing
            else:
                ry0, ry1 = _ref_box(font, True)[1::2]
                k = h / (ry1 - ry0)
                widths = [_latin_width(font, ch) * k * asp for ch in text]
                sp = spacing * 0.4
            total = sum(widths) + sp * (n - 1)
            if total <= max_width:
                x = cx - total / 2
                places = []
                for ch, w in zip(text, widths, strict=True):
                    if not ch.isspace():
                        places.append(Placement(ch, x + w / 2, cy, 0.0, w, h))
                    x += w + sp
                boxes = [p.corners() for p in places]
                inside = container is None or all(
                    float(container.distance_inside(b).min()) >= container_gap for b in boxes
                )
                if inside and _clear_of(boxes, obstacles):
                    ref = _text_ref_box(font, text)
                    return [glyph_shape(font, p, ref=ref) for p in places]
            asp *= 0.94
        h -= 0.1
    raise SealSpecError(
        f"{what}“{text}”太长，字高缩到下限 {min_height:.1f} mm 仍放不下 / the {_what_en(what)} is too long: "
        f"it does not fit {max_width:.1f} mm even at the minimum height of {min_height:.1f} mm",
        code="does_not_fit",
    )


def grid_text(
    font: LoadedFont,
    text: str,
    *,
    x0: float,
    y0: float,
    x1: float,
    y1: float,
    cols: int,
    pad: float,
) -> list[Shape]:
    """Characters in columns read top-to-bottom, right-to-left (traditional seal order); a shorter
    last column gets taller cells so the square stays filled."""
    n = len(text)
    rows = math.ceil(n / cols)
    counts = [rows] * cols
    extra = rows * cols - n
    for i in range(extra):  # take cells away from the leftmost columns
        counts[cols - 1 - (i % cols)] -= 1
    cw = (x1 - x0) / cols
    shapes = []
    k = 0
    for col in range(cols):
        m = counts[col]
        if m <= 0:
            continue
        ch_h = (y1 - y0) / m
        xr = x1 - col * cw
        for r in range(m):
            ch = text[k]
            k += 1
            p = Placement(ch, xr - cw / 2, y1 - (r + 0.5) * ch_h, 0.0, cw - 2 * pad, ch_h - 2 * pad)
            # a middle dot keeps its own proportions: stretched to the cell it would be a blob
            shapes.append(glyph_shape(font, p, stretch=_is_wide(ch)))
    return shapes


# ---------------------------------------------------------------------------------------- aged look
def wear(spec_seed: int, width: float, height: float, border_edges: list) -> list[Shape]:
    """Deterministic worn look: bites out of the border edge and specks of missing ink, clustered
    so the ink looks uneven. Holes never overlap (even-odd clipping in PDF/SVG relies on that)."""
    rng = random.Random(spec_seed)
    circles: list[tuple[float, float, float]] = []

    def add(x: float, y: float, r: float) -> None:
        for cx, cy, cr in circles:
            if math.hypot(cx - x, cy - y) < cr + r + 0.05:
                return
        circles.append((x, y, r))

    # worn edge: bites centred on the outer edge of the border
    for edge_fn in border_edges:
        for _ in range(rng.randint(14, 22)):
            x, y = edge_fn(rng.random())
            add(x, y, rng.uniform(0.2, 0.75))
    # uneven ink: a few clusters of small specks
    for _ in range(rng.randint(4, 7)):
        ccx, ccy = rng.uniform(0.1, 0.9) * width, rng.uniform(0.1, 0.9) * height
        spread = rng.uniform(1.5, 4.5)
        for _ in range(rng.randint(20, 40)):
            add(ccx + rng.gauss(0, spread), ccy + rng.gauss(0, spread), rng.uniform(0.08, 0.32))
    shapes = []
    for x, y, r in circles:
        k = rng.randint(7, 11)
        pts = []
        for i in range(k):
            a = 2 * math.pi * i / k + rng.uniform(-0.2, 0.2)
            rr = r * rng.uniform(0.6, 1.0)
            # kept inside the seal's box: what lies outside has no ink to remove anyway
            pts.append(
                (
                    min(max(x + rr * math.cos(a), 0.0), width),
                    min(max(y + rr * math.sin(a), 0.0), height),
                )
            )
        shapes.append(Shape([line_contour(np.array(pts))], "erase"))
    return shapes


# ---------------------------------------------------------------------------------------- kinds
@dataclass
class Layout:
    width: float
    height: float
    shapes: list[Shape]
    erase: list[Shape]


def _limit(value: float, lo: float, hi: float, what: str) -> float:
    if not (isinstance(value, int | float) and math.isfinite(value)) or not (lo <= value <= hi):
        raise SealSpecError(
            f"{what}超出范围 / {_limit_name_en(what)} out of range: {value!r} (allowed {lo:g}–{hi:g} mm)"
        )
    return float(value)


def _limit_name_en(what: str) -> str:
    return {
        "尺寸": "size",
        "宽度": "width",
        "高度": "height",
        "边框": "border",
        "五角星": "star size",
        "字高": "text height",
    }.get(what, what)


def _font(spec: SealSpec, default: str) -> LoadedFont:
    return load_font(spec.font or default)


MIDDLE_DOT = "\u00b7"  # the separator of transcribed names on ID cards: 买买提·艾力
MAX_DOTTED_NAME = 10


def legal_rep_name_ok(name: str) -> bool:
    """A legal-representative seal carries 2–4 Chinese characters, or a transcribed name whose
    parts (Chinese characters) are joined by single middle dots, at most 10 characters in all."""
    if MIDDLE_DOT not in name:
        return 2 <= len(name) <= 4 and all(_is_wide(c) for c in name)
    parts = name.split(MIDDLE_DOT)
    return (
        len(name) <= MAX_DOTTED_NAME
        and len(parts) >= 2
        and all(p and all(_is_wide(c) for c in p) for p in parts)
    )


def _name(spec: SealSpec) -> str:
    name = " ".join((spec.name or "").split())
    if not name:
        raise SealSpecError("名称不能为空 / the name must not be empty", code="empty")
    bad = [ch for ch in name if unicodedata.category(ch).startswith("C")]
    if bad:
        raise SealSpecError(
            "名称含有控制字符 / the name contains control characters", code="control"
        )
    limit = 48 if any(_is_wide(ch) for ch in name) else 80
    if len(name) > limit:
        raise SealSpecError(
            f"名称过长（{len(name)} 字，最多 {limit}）/ the name is too long ({len(name)} characters, at most {limit})",
            code="too_long",
        )
    return name


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
        raise SealSpecError(f"unsupported kind {kind}")
    return lay


def _round(spec: SealSpec) -> Layout:
    kind = spec.kind
    official = kind in (SealKind.OFFICIAL, SealKind.CUSTOM)
    D = _limit(spec.size_mm if spec.size_mm is not None else 40.0, 20, 60, "尺寸")
    R = D / 2
    bw = _limit(
        spec.border_mm
        if spec.border_mm is not None
        else (1.2 if official else 1.0) * min(1.0, D / 38),
        0.2,
        D / 8,
        "边框",
    )
    cx = cy = R
    name = _name(spec)
    font = _font(spec, "song")
    check_chars(font, name, "名称")
    shapes: list[Shape] = [ring_shape(cx, cy, R, R, bw)]
    edge = Oval(cx, cy, R - bw, R - bw)
    gap = spec.text_gap_mm if spec.text_gap_mm is not None else 0.8 * min(1.0, D / 38)
    h0 = (
        spec.text_height_mm
        if spec.text_height_mm is not None
        else (min(7.0, 0.17 * D) if official else 0.155 * D)
    )
    h0 = _limit(h0, 1.0, D / 4, "字高")
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
        what="名称",
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
        sd = _limit(sd, 2, D * 0.5, "五角星")
        shapes.append(star_shape(cx, cy, sd / 2))
        star_bottom = cy - sd / 2 * math.cos(math.radians(36))
    # bottom arc text (anti-forgery code)
    code_boxes: list[np.ndarray] = []
    if spec.bottom_text and spec.bottom_text.strip():
        check_chars(font, spec.bottom_text, "下弦文")
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
            what="下弦文",
            obstacles=name_boxes,
        )
        shapes += code
        code_boxes = [box_corners(s) for s in code]
    # horizontal text (purpose text of special seals): under the star, inside the border, clear of
    # the name and the code
    htext = spec.horizontal_text if spec.horizontal_text is not None else PURPOSE_TEXT.get(kind)
    if htext and htext.strip():
        check_chars(font, htext, "横向文")
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
            what="横向文",
            container=edge,
            container_gap=gap,
            obstacles=name_boxes + code_boxes,
        )
    edges = [lambda u: (cx + R * math.cos(2 * math.pi * u), cy + R * math.sin(2 * math.pi * u))]
    erase = wear(spec.aged_seed, D, D, edges) if spec.aged_seed is not None else []
    return Layout(D, D, shapes, erase)


def _oval(spec: SealSpec) -> Layout:
    invoice = spec.kind is SealKind.INVOICE
    W = _limit(
        spec.width_mm if spec.width_mm is not None else (40.0 if invoice else 45.0), 20, 80, "宽度"
    )
    H = _limit(spec.height_mm if spec.height_mm is not None else 30.0, 15, 60, "高度")
    if H > W:
        raise SealSpecError("椭圆章的高度不能大于宽度 / an oval seal must be wider than it is tall")
    bw = _limit(
        spec.border_mm if spec.border_mm is not None else (1.0 if invoice else 1.1),
        0.2,
        H / 8,
        "边框",
    )
    cx, cy = W / 2, H / 2
    name = _name(spec)
    # invoice seals are cut in 仿宋 with thin strokes: the regular weight is the closer match
    font = _font(spec, "song-regular" if invoice else "song")
    check_chars(font, name, "名称")
    edge = Oval(cx, cy, W / 2 - bw, H / 2 - bw)
    shapes: list[Shape] = [ring_shape(cx, cy, W / 2, H / 2, bw)]
    latin_name = not any(_is_wide(ch) for ch in name)
    h0 = spec.text_height_mm or (4.2 if not latin_name else 3.4)
    name_shapes = arc_text(
        font,
        name,
        edge,
        side="top",
        gap=spec.text_gap_mm if spec.text_gap_mm is not None else 0.8,
        height=_limit(h0, 1.0, H / 4, "字高"),
        min_height=min(h0, 2.2),
        spread=(210, 260) if invoice else (200, 270),
        aspect=0.62,
        min_aspect=0.34,
        what="名称",
    )
    shapes += name_shapes
    name_boxes = [box_corners(s) for s in name_shapes]
    inner_w = 2 * edge.a
    mid = spec.taxpayer_id if invoice else spec.horizontal_text
    if invoice and not (mid and mid.strip()):
        raise SealSpecError(
            "发票专用章需要纳税人识别号 / an invoice seal needs the taxpayer id (--taxpayer-id)"
        )
    if mid and mid.strip():
        mid = mid.strip()
        check_chars(font, mid, "税号" if invoice else "横向文")
        shapes += line_text(
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
            what="税号" if invoice else "横向文",
            container=edge,
            container_gap=0.8,
            obstacles=name_boxes,
        )
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
            what="横向文",
            container=edge,
            container_gap=0.8,
            obstacles=name_boxes,
        )
    elif spec.bottom_text and spec.bottom_text.strip():
        check_chars(font, spec.bottom_text, "下弦文")
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
            what="下弦文",
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
    name = _name(spec)
    if kind is SealKind.FINANCE_SQUARE:
        S = _limit(spec.size_mm if spec.size_mm is not None else 22.0, 12, 40, "尺寸")
        W = H = S
        bw = _limit(spec.border_mm if spec.border_mm is not None else 1.0, 0.2, S / 8, "边框")
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
            S = _limit(spec.size_mm if spec.size_mm is not None else 18.0, 10, 30, "尺寸")
            W = H = S
        else:
            W = _limit(spec.width_mm if spec.width_mm is not None else 20.0, 10, 60, "宽度")
            H = _limit(spec.height_mm if spec.height_mm is not None else 10.0, 5, 30, "高度")
        bw = _limit(
            spec.border_mm if spec.border_mm is not None else 0.8, 0.2, min(W, H) / 6, "边框"
        )
    check_chars(font, text, "名称")
    shapes: list[Shape] = [rect_ring_shape(0, 0, W, H, bw)]
    inset = bw + 0.5
    pad = 0.25
    if kind is SealKind.LEGAL_REP_RECT:
        n = len(text)
        cw = (W - 2 * inset) / n
        for i, ch in enumerate(text):
            p = Placement(
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
                f"方形章文字过多（{n} 字，最多 25）/ too many characters for a square seal ({n}, at most 25)"
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
    name = _name(spec)
    check_chars(font, name, "名称")
    h = _limit(spec.size_mm if spec.size_mm is not None else 12.0, 4, 50, "字高")
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
        if _is_wide(ch):
            w = 0.92 * h
            # a slight alternating baseline makes it look written rather than typeset
            p = Placement(ch, x + w / 2, margin + h / 2 + (0.03 * h if i % 2 else 0.0), 0.0, w, h)
            x += w * 0.98
        else:
            w = _latin_width(font, ch) * k
            p = Placement(ch, x + w / 2, margin + 0.12 * h + cap / 2, 0.0, w, cap)
            x += w + 0.06 * h
        shapes.append(glyph_shape(font, p))
    # whole half-millimetres, so the box maps to whole pixels at common resolutions
    W = math.ceil((x + margin) * 2) / 2
    H = math.ceil((2 * margin + h * 1.06) * 2) / 2
    return Layout(W, H, shapes, [])
