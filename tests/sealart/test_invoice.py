"""Invoice seal (发票专用章): the taxpayer id keeps a clear gap from the name on the arc.

Issue 10 §2: on the 40×30 oval the 18-character taxpayer id nearly touched the first and last
characters of the name (0.64 mm of ink at 15 characters). The gap is measured on the ink itself:
the glyph outlines' Bézier curves, sampled densely, not the boxes the layout reasons with.
"""

from __future__ import annotations

import numpy as np
import pytest

from chop.sealart import SealSpec
from chop.sealart.layout import INVOICE_ID_CLEARANCE, build
from chop.sealart.spec import MAX_NAME_WIDE

MIN_INK_GAP_MM = 1.0
TAXPAYER_ID = "91110108MA01ABCD2X"  # 18 characters, as a USCC
# a long registered name to cut names of every length from (distinct characters, varied widths)
_LONG = "北京市海淀区中关村科技发展有限责任公司股份集团示例天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往秋收冬藏闰余成岁"
NAME_LENGTHS = [4, 7, 8, 10, 12, 15, 18, 24, MAX_NAME_WIDE]


def _ink(shape, samples: int = 24) -> np.ndarray:
    """Points on a glyph's outline: each cubic segment evaluated at ``samples`` parameters."""
    t = np.linspace(0.0, 1.0, samples)[None, :, None]
    pts = []
    for c in shape.contours:
        p = c.segs[:, None, :, :]  # K, 1, 4, 2
        b = (
            (1 - t) ** 3 * p[:, :, 0]
            + 3 * (1 - t) ** 2 * t * p[:, :, 1]
            + 3 * (1 - t) * t**2 * p[:, :, 2]
            + t**3 * p[:, :, 3]
        )
        pts.append(b.reshape(-1, 2))
    return np.concatenate(pts)


def _gap(name: str, taxpayer_id: str = TAXPAYER_ID) -> float:
    lay = build(SealSpec(kind="invoice", name=name, taxpayer_id=taxpayer_id))
    by_part: dict[str, list] = {}
    for s in lay.shapes:
        if s.role == "glyph":
            by_part.setdefault(s.meta.get("part", ""), []).append(s)
    arc = np.concatenate([_ink(s) for s in by_part["name"]])
    mid = np.concatenate([_ink(s) for s in by_part["taxpayer_id"]])
    assert len(by_part["taxpayer_id"]) == len(taxpayer_id)
    # only the arc's ink near the id line can be nearest: keeps the distance matrix small
    lo, hi = mid.min(axis=0) - 3 * MIN_INK_GAP_MM, mid.max(axis=0) + 3 * MIN_INK_GAP_MM
    arc = arc[np.all((arc >= lo) & (arc <= hi), axis=1)]
    if not len(arc):
        return float("inf")
    return float(
        np.hypot(arc[:, None, 0] - mid[None, :, 0], arc[:, None, 1] - mid[None, :, 1]).min()
    )


@pytest.mark.parametrize("n", NAME_LENGTHS)
def test_taxpayer_id_keeps_clear_gap_from_the_name_on_the_arc(n):
    name = _LONG[:n]
    assert len(name) == n
    assert _gap(name) >= MIN_INK_GAP_MM


def test_taxpayer_id_keeps_its_height_and_stays_legible():
    """The gap is made by condensing the digits, not by shrinking them below PRODUCT.md's 3.7 mm."""
    lay = build(SealSpec(kind="invoice", name=_LONG[:15], taxpayer_id=TAXPAYER_ID))
    ids = [s for s in lay.shapes if s.meta.get("part") == "taxpayer_id"]
    assert [s.text for s in ids] == list(TAXPAYER_ID)
    assert all(abs(s.box[4] - 3.7) < 1e-6 for s in ids)
    assert INVOICE_ID_CLEARANCE >= MIN_INK_GAP_MM  # the layout's box clearance bounds the ink gap
