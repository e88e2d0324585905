"""The aged look (做旧): a deterministic worn border and uneven ink, as holes cut out of the seal.

The holes are "erase" shapes: the drawing paints them with even-odd clipping (PDF, SVG) or clears
them (PNG), so the same seed wears the same seal identically in every output.
"""

from __future__ import annotations

import math
import random

import numpy as np

from .geometry import Shape, line_contour


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
