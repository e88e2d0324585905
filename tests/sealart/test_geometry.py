"""Geometry measured on the rendered PNG at 300 dpi against the spec (PRODUCT.md §2)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chop.sealart import Drawing, SealKind, SealSpec, render

from .helpers import PX_PER_MM, png_alpha

OFFICIAL = SealSpec(
    kind=SealKind.OFFICIAL, name="上海示例科技有限公司", bottom_text="3101150012345", size_mm=40
)
OFFICIAL_42 = SealSpec(
    kind=SealKind.OFFICIAL, name="深圳市前海示例国际供应链管理股份有限公司", size_mm=42
)
CONTRACT = SealSpec(kind=SealKind.CONTRACT, name="上海示例科技有限公司")


def _ink_bbox(a: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(a > 0.5)
    return xs.min(), ys.min(), xs.max() + 1, ys.max() + 1


@pytest.mark.parametrize("spec,diameter", [(OFFICIAL, 40), (OFFICIAL_42, 42), (CONTRACT, 40)])
def test_outer_diameter_within_one_percent(spec, diameter):
    a = png_alpha(render(spec))
    x0, y0, x1, y1 = _ink_bbox(a)
    assert (x1 - x0) / PX_PER_MM == pytest.approx(diameter, rel=0.01)
    assert (y1 - y0) / PX_PER_MM == pytest.approx(diameter, rel=0.01)


@pytest.mark.parametrize(
    "spec,axes",
    [
        (
            SealSpec(
                kind=SealKind.INVOICE, name="上海示例科技有限公司", taxpayer_id="91310115MA1K3XXX2X"
            ),
            (40, 30),
        ),
        (SealSpec(kind=SealKind.FOREIGN, name="SHANGHAI EXAMPLE CO., LTD."), (45, 30)),
        (SealSpec(kind=SealKind.LEGAL_REP_RECT, name="张三"), (20, 10)),
        (SealSpec(kind=SealKind.FINANCE_SQUARE, name="上海示例科技有限公司"), (22, 22)),
    ],
)
def test_oval_and_rectangle_axes_within_one_percent(spec, axes):
    a = png_alpha(render(spec))
    x0, y0, x1, y1 = _ink_bbox(a)
    assert (x1 - x0) / PX_PER_MM == pytest.approx(axes[0], rel=0.01)
    assert (y1 - y0) / PX_PER_MM == pytest.approx(axes[1], rel=0.01)


def _border_runs(a: np.ndarray, n: int = 72) -> list[float]:
    """Length (px) of the ink run met first on rays from outside towards the centre."""
    h, w = a.shape
    cx, cy = w / 2, h / 2
    runs = []
    for k in range(n):
        t = 2 * math.pi * k / n
        r = np.arange(min(cx, cy), 0, -0.25)
        xs = np.clip((cx + r * math.cos(t)).astype(int), 0, w - 1)
        ys = np.clip((cy - r * math.sin(t)).astype(int), 0, h - 1)
        ink = a[ys, xs] > 0.5
        first = np.argmax(ink)
        end = first + np.argmax(~ink[first:])
        runs.append((end - first) * 0.25)
    return runs


@pytest.mark.parametrize("spec,border", [(OFFICIAL, 1.2), (OFFICIAL_42, 1.2), (CONTRACT, 1.0)])
def test_border_thickness_within_ten_percent(spec, border):
    runs = np.array(_border_runs(png_alpha(render(spec)))) / PX_PER_MM
    assert np.median(runs) == pytest.approx(border, rel=0.10)
    assert runs.min() > border * 0.85 and runs.max() < border * 1.15


def _component(mask: np.ndarray, y: int, x: int) -> np.ndarray:
    """The 4-connected component of ``mask`` containing (y, x), by repeated dilation."""
    assert mask[y, x], "no ink at the centre"
    comp = np.zeros_like(mask)
    comp[y, x] = True
    while True:
        grown = comp.copy()
        grown[1:] |= comp[:-1]
        grown[:-1] |= comp[1:]
        grown[:, 1:] |= comp[:, :-1]
        grown[:, :-1] |= comp[:, 1:]
        grown &= mask
        if (grown == comp).all():
            return comp
        comp = grown


@pytest.mark.parametrize(
    "spec,star_mm", [(OFFICIAL, 14 * 40 / 42), (OFFICIAL_42, 14.0), (CONTRACT, 12.0)]
)
def test_star_centred_and_sized(spec, star_mm):
    d = render(spec)
    a = png_alpha(d)
    h, w = a.shape
    yy, xx = np.mgrid[0:h, 0:w]
    cx, cy = w / 2, h / 2
    near = np.hypot(xx + 0.5 - cx, yy + 0.5 - cy) < star_mm / 2 * PX_PER_MM + 3
    star = _component(((a > 0.5) & near), int(cy), int(cx))
    ys, xs = np.nonzero(star)
    r_px = star_mm / 2 * PX_PER_MM
    # top point straight up at the outer radius, lower points at r·cos 36°
    assert (cy - ys.min()) == pytest.approx(r_px, abs=2)
    assert (ys.max() + 1 - cy) == pytest.approx(r_px * math.cos(math.radians(36)), abs=2)
    # symmetric left-right about the centre; width = 2 r sin 72°
    assert (xs.min() + xs.max() + 1) / 2 == pytest.approx(cx, abs=1)
    assert (xs.max() + 1 - xs.min()) == pytest.approx(2 * r_px * math.sin(math.radians(72)), abs=2)


@pytest.mark.parametrize("spec", [OFFICIAL, OFFICIAL_42, CONTRACT])
def test_no_text_ink_inside_the_border_gap(spec):
    d = render(spec)
    a = png_alpha(d)
    h, w = a.shape
    yy, xx = np.mgrid[0:h, 0:w]
    r = np.hypot(xx + 0.5 - w / 2, yy + 0.5 - h / 2) / PX_PER_MM
    border = 1.2 if spec.kind is SealKind.OFFICIAL else 1.0  # PRODUCT.md §2, any size 38–42
    r_in = spec.size_mm / 2 - border if spec.size_mm else 20 - border
    gap = 0.8  # the default text gap (PRODUCT.md: 0.8–1 inside the border)
    one_px = 1 / PX_PER_MM
    band = (r < r_in - one_px) & (r > r_in - gap + one_px)
    assert band.sum() > 1000  # the band is real
    assert (a[band] > 0.1).sum() == 0
    # and text does come close to the gap (the layout uses the room it is given)
    band2 = (r < r_in - gap) & (r > r_in - gap - 0.3)
    assert (a[band2] > 0.5).sum() > 50


def _glyph_masks(d: Drawing) -> list[tuple[np.ndarray, tuple]]:
    out = []
    for g in d.glyphs():
        alone = Drawing(d.width_mm, d.height_mm, [g])
        out.append((alone.alpha(dpi=300) > 0.5, g.box))
    return out


def _measured_box(mask: np.ndarray, box: tuple, height_mm: float) -> np.ndarray:
    """Oriented box (corners, mm) around the glyph's *rendered* ink, along the glyph's own axes."""
    ys, xs = np.nonzero(mask)
    px = np.stack([(xs + 0.5) / PX_PER_MM, height_mm - (ys + 0.5) / PX_PER_MM], 1)
    t = math.radians(box[2])
    u, v = np.array([math.cos(t), math.sin(t)]), np.array([-math.sin(t), math.cos(t)])
    pu, pv = px @ u, px @ v
    half = 0.5 / PX_PER_MM
    lo_u, hi_u, lo_v, hi_v = pu.min() - half, pu.max() + half, pv.min() - half, pv.max() + half
    return np.array(
        [lo_u * u + lo_v * v, hi_u * u + lo_v * v, hi_u * u + hi_v * v, lo_u * u + hi_v * v]
    )


def _disjoint(a: np.ndarray, b: np.ndarray) -> bool:
    for poly in (a, b):
        for i in range(2):
            e = poly[i + 1] - poly[i]
            n = np.array([-e[1], e[0]])
            if (a @ n).max() <= (b @ n).min() or (b @ n).max() <= (a @ n).min():
                return True
    return False


@pytest.mark.parametrize(
    "spec",
    [
        OFFICIAL,
        OFFICIAL_42,
        CONTRACT,
        SealSpec(
            kind=SealKind.INVOICE,
            name="深圳市前海示例国际供应链管理股份有限公司",
            taxpayer_id="91440300715267262X",
        ),
    ],
)
def test_glyph_bounding_boxes_disjoint(spec):
    d = render(spec)
    masks = _glyph_masks(d)
    boxes = [_measured_box(m, b, d.height_mm) for m, b in masks]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not (masks[i][0] & masks[j][0]).any(), f"glyphs {i} and {j} share ink pixels"
            assert _disjoint(boxes[i], boxes[j]), (
                f"boxes of {d.glyphs()[i].text!r} and {d.glyphs()[j].text!r} overlap"
            )


@pytest.mark.parametrize(
    "spec,border",
    [
        (
            SealSpec(
                kind=SealKind.INVOICE, name="上海示例科技有限公司", taxpayer_id="91310115MA1K3XXX2X"
            ),
            1.0,
        ),
        (SealSpec(kind=SealKind.FOREIGN, name="SHANGHAI EXAMPLE TECHNOLOGY CO., LTD."), 1.1),
    ],
)
def test_oval_text_keeps_the_gap_from_the_border(spec, border):
    d = render(spec)
    a = png_alpha(d)
    h, w = a.shape
    ai, bi = d.width_mm / 2 - border, d.height_mm / 2 - border
    ys, xs = np.nonzero(a > 0.1)
    px = np.stack(
        [(xs + 0.5) / PX_PER_MM - d.width_mm / 2, d.height_mm / 2 - (ys + 0.5) / PX_PER_MM], 1
    )
    inside = (px[:, 0] / ai) ** 2 + (px[:, 1] / bi) ** 2 < 1
    text = px[inside]
    t = np.linspace(0, 2 * math.pi, 4000, endpoint=False)
    curve = np.stack([ai * np.cos(t), bi * np.sin(t)], 1)
    dist = np.full(len(text), np.inf)
    for chunk in np.array_split(np.arange(len(text)), 20):
        diff = text[chunk, None, :] - curve[None, :, :]
        dist[chunk] = np.hypot(diff[..., 0], diff[..., 1]).min(axis=1)
    # ink just inside the border belongs to the border's anti-aliased edge (≤ 1 px)
    text_dist = dist[dist > 1.5 / PX_PER_MM]
    assert text_dist.min() >= 0.8 - 1.5 / PX_PER_MM
    assert text_dist.min() <= 1.1  # the name does sit close to the border
