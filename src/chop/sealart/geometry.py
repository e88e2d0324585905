"""Vector geometry shared by every output: filled shapes made of cubic Bézier segments, in mm.

Why one representation: the SVG, the PNG and the PDF operators are all produced from the same
list of :class:`Shape` objects, so the three outputs cannot drift apart. Coordinates are millimetres
with the origin at the bottom-left of the seal's box and y pointing up (the PDF convention).

A contour is an array of shape ``(K, 4, 2)``: K cubic segments, each with its four control points;
straight lines are stored as degenerate cubics and flagged in ``is_line`` so PDF/SVG can emit ``l``.
Every shape is normalised so that its ink has positive winding; shapes are therefore unioned simply
by summing windings under the non-zero rule, which is what a PDF reader does when each shape is
filled with its own ``f``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

KAPPA = 4 * (math.sqrt(2) - 1) / 3  # cubic approximation of a quarter circle


@dataclass
class Contour:
    segs: np.ndarray  # (K, 4, 2) float64
    is_line: np.ndarray  # (K,) bool

    def transformed(self, m: np.ndarray) -> Contour:
        """Apply a 2×3 affine matrix ``[[a, c, e], [b, d, f]]``."""
        pts = self.segs @ m[:, :2].T + m[:, 2]
        return Contour(pts, self.is_line)

    def signed_area(self) -> float:
        """Shoelace area of the control polygon's end points (good enough for orientation)."""
        p = self.segs[:, 0, :]
        q = self.segs[:, 3, :]
        return 0.5 * float(np.sum(p[:, 0] * q[:, 1] - q[:, 0] * p[:, 1]))

    def reversed(self) -> Contour:
        return Contour(self.segs[::-1, ::-1, :].copy(), self.is_line[::-1].copy())


@dataclass
class Shape:
    """One filled shape (a glyph, the border ring, the star...), with what it is for tests/debug."""

    contours: list[Contour]
    role: str  # "border", "star", "glyph", "erase"
    text: str = ""  # the character, for glyphs
    # oriented box of a glyph: centre (x, y) mm, rotation in degrees, width, height (mm)
    box: tuple[float, float, float, float, float] | None = None
    meta: dict = field(default_factory=dict)

    def normalised(self) -> Shape:
        """Flip all contours if the total winding is negative, so ink has winding +1."""
        area = sum(c.signed_area() for c in self.contours)
        if area < 0:
            return Shape(
                [c.reversed() for c in self.contours], self.role, self.text, self.box, self.meta
            )
        return self

    def transformed(self, m: np.ndarray) -> Shape:
        return Shape(
            [c.transformed(m) for c in self.contours], self.role, self.text, self.box, self.meta
        )

    def bounds(self) -> tuple[float, float, float, float]:
        pts = np.concatenate([c.segs.reshape(-1, 2) for c in self.contours])
        return (
            float(pts[:, 0].min()),
            float(pts[:, 1].min()),
            float(pts[:, 0].max()),
            float(pts[:, 1].max()),
        )


def affine(
    rotate_deg: float = 0.0, sx: float = 1.0, sy: float = 1.0, tx: float = 0.0, ty: float = 0.0
) -> np.ndarray:
    """Scale, then rotate, then translate."""
    r = math.radians(rotate_deg)
    c, s = math.cos(r), math.sin(r)
    return np.array([[c * sx, -s * sy, tx], [s * sx, c * sy, ty]], dtype=np.float64)


def line_contour(points: np.ndarray) -> Contour:
    """Closed polygon from an (N, 2) array of vertices."""
    p0 = np.asarray(points, dtype=np.float64)
    p1 = np.roll(p0, -1, axis=0)
    segs = np.stack([p0, p0 + (p1 - p0) / 3, p0 + 2 * (p1 - p0) / 3, p1], axis=1)
    return Contour(segs, np.ones(len(p0), dtype=bool))


def ellipse_contour(cx: float, cy: float, rx: float, ry: float, ccw: bool = True) -> Contour:
    """An ellipse as four cubic arcs (error under 0.03 % of the radius)."""
    k = KAPPA
    # quarter arcs starting at (rx, 0) going counter-clockwise
    unit = np.array(
        [
            [[1, 0], [1, k], [k, 1], [0, 1]],
            [[0, 1], [-k, 1], [-1, k], [-1, 0]],
            [[-1, 0], [-1, -k], [-k, -1], [0, -1]],
            [[0, -1], [k, -1], [1, -k], [1, 0]],
        ],
        dtype=np.float64,
    )
    segs = unit * np.array([rx, ry]) + np.array([cx, cy])
    c = Contour(segs, np.zeros(4, dtype=bool))
    return c if ccw else c.reversed()


def ring_shape(cx: float, cy: float, rx: float, ry: float, width: float) -> Shape:
    """A solid border: outer ellipse counter-clockwise, inner one clockwise (a hole)."""
    return Shape(
        [
            ellipse_contour(cx, cy, rx, ry, True),
            ellipse_contour(cx, cy, rx - width, ry - width, False),
        ],
        "border",
    )


def rect_ring_shape(x0: float, y0: float, x1: float, y1: float, width: float) -> Shape:
    outer = line_contour(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
    w = width
    inner = line_contour(
        np.array([[x0 + w, y0 + w], [x0 + w, y1 - w], [x1 - w, y1 - w], [x1 - w, y0 + w]])
    )
    return Shape([outer, inner], "border")


def star_shape(cx: float, cy: float, outer_r: float, inner_ratio: float = 0.382) -> Shape:
    """A solid five-point star, one point straight up."""
    pts = []
    for i in range(10):
        r = outer_r if i % 2 == 0 else outer_r * inner_ratio
        a = math.radians(90 + 36 * i)
        pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return Shape([line_contour(np.array(pts))], "star")


def flatten(contour: Contour, tol_units: float) -> np.ndarray:
    """Polyline through a contour; curves get enough points that chords stay within ``tol_units``."""
    segs = contour.segs
    if len(segs) == 0:
        return np.zeros((0, 2))
    out = [segs[contour.is_line, 0, :]]
    idx = [np.nonzero(contour.is_line)[0].astype(np.float64)]
    curves = ~contour.is_line
    if curves.any():
        cs = segs[curves]
        # control-polygon deviation bounds the flattening error of a cubic
        d = np.abs(cs[:, 0] - 2 * cs[:, 1] + cs[:, 2]) + np.abs(cs[:, 1] - 2 * cs[:, 2] + cs[:, 3])
        dev = float(np.max(np.hypot(d[:, 0], d[:, 1])))
        n = int(min(24, max(2, math.ceil(math.sqrt(0.75 * dev / max(tol_units, 1e-9))))))
        t = np.arange(n) / n
        mt = 1 - t
        basis = np.stack([mt**3, 3 * mt * mt * t, 3 * mt * t * t, t**3], axis=1)  # (n, 4)
        pts = np.einsum("nk,ckd->cnd", basis, cs)  # (C, n, 2)
        ci = np.nonzero(curves)[0].astype(np.float64)
        out.append(pts.reshape(-1, 2))
        idx.append((ci[:, None] + t[None, :]).reshape(-1))
    allp = np.concatenate(out)
    alli = np.concatenate(idx)
    order = np.argsort(alli, kind="stable")
    return allp[order]
