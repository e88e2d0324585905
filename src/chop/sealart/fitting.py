"""Text fitting: glyph outlines fitted into oriented boxes along an arc, on a line or in a grid.

Text on arcs is solved, not guessed: each glyph gets an oriented box (condensed width × height)
rotated to the normal of the border; boxes are pushed inward until every corner keeps the specified
gap from the border, and condensed (then shortened) until neighbouring boxes are disjoint with a
minimum separation. The glyph's ink is fitted into its box, so boxes bound the ink. Circles and
ovals share the code: positions are spaced by arc length along the curve through the box centres.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .errors import SealSpecError
from .fonts import LoadedFont
from .geometry import Shape, affine
from .spec import TextPart, is_wide

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
    bounds = [font.glyph(ch).bounds for ch in set(text) if is_wide(ch) and font.has(ch)]
    bounds = [b for b in bounds if b is not None]
    if not bounds:
        return None
    arr = np.array(bounds)
    x0, y0, x1, y1 = np.median(arr, axis=0)
    return (float(x0), float(y0), float(x1), float(y1))


@dataclass
class GlyphPlacement:
    """Where one glyph goes: its oriented box (centre, rotation, width, height) in millimetres."""

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
    if shape.box is None:
        raise ValueError(f"a {shape.role} shape has no glyph box")
    x, y, rot, w, h = shape.box
    return GlyphPlacement(shape.text, x, y, rot, w, h).corners()


def glyph_shape(
    font: LoadedFont,
    p: GlyphPlacement,
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
        latin = not is_wide(p.ch)
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


def check_chars(font: LoadedFont, text: str, what: TextPart) -> None:
    """Refuse text with characters the font has no glyph for (they would print as blanks)."""
    missing = font.missing(text)
    if missing:
        chars = "".join(missing)
        raise SealSpecError(
            f"{what.label_zh}中有字体 {font.ref.family} 无法显示的字符 “{chars}” / "
            f"the {what.label_en} has characters the font {font.ref.family} cannot draw: {chars}",
            code="glyph",
            chars=chars,
            part=what.value,
            font=font.ref.family,
        )


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

    def samples(self) -> np.ndarray:
        """2880 points on the curve, computed once per oval: the layout asks for distances to the
        curve hundreds of times while fitting text, and resampling it each time was most of the
        cost of laying out an oval seal."""
        cached = self.__dict__.get("_samples")
        if cached is None:
            t = np.linspace(0, 2 * math.pi, 2880, endpoint=False)
            cached, _ = self.point(t)
            self.__dict__["_samples"] = cached
        return cached

    def distance_inside(self, pts: np.ndarray) -> np.ndarray:
        """Distance from points (inside) to the curve; exact for circles, sampled for ovals."""
        if abs(self.a - self.b) < 1e-9:
            return self.a - np.hypot(pts[:, 0] - self.cx, pts[:, 1] - self.cy)
        e = self.samples()
        dx = pts[:, None, 0] - e[None, :, 0]
        dy = pts[:, None, 1] - e[None, :, 1]
        d = np.sqrt((dx * dx + dy * dy).min(axis=1))  # the root of the least square: 4 roots
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
    obstacles: Sequence[np.ndarray] = (),
) -> list[GlyphPlacement] | None:
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
        p = GlyphPlacement(ch, 0, 0, rot, widths[i], h)
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


def _clear_of(
    boxes: list[np.ndarray], obstacles: Sequence[np.ndarray] = (), sep: float = 2 * MIN_SEP
) -> bool:
    """True if every box keeps ``sep`` (default ``2 * MIN_SEP``) from every obstacle box (other
    text). Boxes bound the ink, so this is also a lower bound on the gap between the inks."""
    for b in boxes:
        for o in obstacles:
            if not _boxes_disjoint(b, o, sep):
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
    what: TextPart,
    obstacles: Sequence[np.ndarray] = (),
) -> list[Shape]:
    """Text along the top arc (clockwise, tops outward) or bottom arc (left to right, tops inward).

    CJK text gets equal slots over a spread that grows with the number of characters within
    ``spread``; shorter names (under 10 characters) get a narrower arc so they do not look scattered.
    Latin text keeps its proportional advances, centred. Too long: condense to ``min_aspect``, then
    lower the height down to ``min_height``, then fail with the limit in the message.
    """
    text = text.strip()
    n = len(text)
    cjk = any(is_wide(ch) for ch in text)
    lo, hi = spread
    if cjk:
        spread_deg = (
            lo + (hi - lo) * min(1.0, max(0.0, (n - 10) / 8)) if n >= 10 else lo * max(n, 3) / 10
        )
    else:
        spread_deg = hi

    def attempt(h: float, asp: float) -> list[GlyphPlacement] | None:
        if cjk:
            widths = [h * asp if not ch.isspace() else h * asp * 0.5 for ch in text]
        else:
            ry0, ry1 = _ref_box(font, True)[1::2]
            k = h / (ry1 - ry0)
            widths = [_latin_width(font, ch) * k * asp / 0.8 for ch in text]
        return _arc_try(edge, text, widths, h, gap, spread_deg, side, cjk, obstacles)

    heights, aspects = _shrink_steps(height, min_height, aspect, min_aspect)
    found = _largest_fit(heights, aspects, attempt)
    if found is not None:
        ref = _text_ref_box(font, text)
        return [glyph_shape(font, p, ref=ref) for p in found if not p.ch.isspace()]
    raise SealSpecError(
        f"{what.label_zh}“{text}”太长，字高缩到下限 {min_height:.1f} mm 仍放不下 / "
        f"the {what.label_en} is too long for this seal: even at the minimum text height of "
        f"{min_height:.1f} mm its {n} characters do not fit; shorten it or use a larger seal",
        code="does_not_fit",
        part=what.value,
        min_height_mm=round(min_height, 1),
    )


def _shrink_steps(
    height: float, min_height: float, aspect: float, min_aspect: float
) -> tuple[list[float], list[float]]:
    """The text heights (0.1 mm steps down) and aspects (×0.94 steps down) a fit may use, largest
    first, down to the minimums."""
    heights, h = [], height
    while h >= min_height - 1e-9:
        heights.append(h)
        h -= 0.1
    aspects, asp = [], aspect
    while asp >= min_aspect - 1e-9:
        aspects.append(asp)
        asp *= 0.94
    return heights, aspects


def _first_true(items: list, ok) -> int | None:
    """Index of the first item for which ``ok`` holds, given that once it holds it holds for
    every later item (bisection); None if it holds for none."""
    if not items:
        return None
    if ok(items[0]):  # the common case: the largest already fits (one attempt, as before)
        return 0
    if not ok(items[-1]):
        return None
    lo, hi = 0, len(items) - 1  # ok(items[hi]) holds; ok(items[lo]) does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(items[mid]):
            hi = mid
        else:
            lo = mid
    return hi


def _largest_fit(heights: list[float], aspects: list[float], attempt):
    """The placement of the tallest, then widest, boxes that fit: the first success of trying
    every height (largest first) with every aspect (largest first).

    Smaller boxes only get more room (narrower boxes on a longer curve further out), so at one
    height the aspects that fit are a tail of ``aspects``, and the heights at which the narrowest
    aspect fits are a tail of ``heights``: both are found by bisection. A name that does not fit
    costs one layout attempt instead of a few hundred, which is what makes the live preview's
    "at most N characters" affordable (``max_name_chars``)."""
    if not heights or not aspects:
        return None
    # Most names fit at the kind's own height and aspect: one layout, no search.
    largest = attempt(heights[0], aspects[0])
    if largest is not None:
        return largest
    narrowest: dict[int, list[GlyphPlacement] | None] = {}

    def fits_narrowest(i: int) -> bool:
        if i not in narrowest:
            narrowest[i] = attempt(heights[i], aspects[-1])
        return narrowest[i] is not None

    hi_index = _first_true(list(range(len(heights))), fits_narrowest)
    if hi_index is None:
        return None
    h = heights[hi_index]
    placed: dict[int, list[GlyphPlacement] | None] = {len(aspects) - 1: narrowest[hi_index]}

    def fits_aspect(j: int) -> bool:
        if j not in placed:
            placed[j] = attempt(h, aspects[j])
        return placed[j] is not None

    j = _first_true(list(range(len(aspects))), fits_aspect)
    assert j is not None  # the narrowest aspect fits at this height
    return placed[j]


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
    what: TextPart,
    container: Oval | None = None,
    container_gap: float = 0.8,
    obstacles: Sequence[np.ndarray] = (),
    clearance: float = 2 * MIN_SEP,
) -> list[Shape]:
    """A horizontal line of text centred on (cx, cy), condensed/shrunk to fit ``max_width``, inside
    ``container`` (keeping ``container_gap``) and at least ``clearance`` mm from ``obstacles``
    (boxes of other text)."""
    text = text.strip()
    n = len(text)
    cjk = any(is_wide(ch) for ch in text)

    def attempt(h: float, asp: float) -> list[GlyphPlacement] | None:
        if cjk:
            widths = [h * asp for _ in text]
            sp = spacing
        else:
            ry0, ry1 = _ref_box(font, True)[1::2]
            k = h / (ry1 - ry0)
            widths = [_latin_width(font, ch) * k * asp for ch in text]
            sp = spacing * 0.4
        total = sum(widths) + sp * (n - 1)
        if total > max_width:
            return None
        x = cx - total / 2
        places = []
        for ch, w in zip(text, widths, strict=True):
            if not ch.isspace():
                places.append(GlyphPlacement(ch, x + w / 2, cy, 0.0, w, h))
            x += w + sp
        boxes = [p.corners() for p in places]
        inside = container is None or all(
            float(container.distance_inside(b).min()) >= container_gap for b in boxes
        )
        return places if inside and _clear_of(boxes, obstacles, clearance) else None

    heights, aspects = _shrink_steps(height, min_height, aspect, min_aspect)
    found = _largest_fit(heights, aspects, attempt)
    if found is not None:
        ref = _text_ref_box(font, text)
        return [glyph_shape(font, p, ref=ref) for p in found]
    raise SealSpecError(
        f"{what.label_zh}“{text}”太长，字高缩到下限 {min_height:.1f} mm 仍放不下 / "
        f"the {what.label_en} is too long: it does not fit {max_width:.1f} mm even at the "
        f"minimum height of {min_height:.1f} mm",
        code="does_not_fit",
        part=what.value,
        min_height_mm=round(min_height, 1),
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
            p = GlyphPlacement(
                ch, xr - cw / 2, y1 - (r + 0.5) * ch_h, 0.0, cw - 2 * pad, ch_h - 2 * pad
            )
            # a middle dot keeps its own proportions: stretched to the cell it would be a blob
            shapes.append(glyph_shape(font, p, stretch=is_wide(ch)))
    return shapes
