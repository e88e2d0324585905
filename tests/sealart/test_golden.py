"""Golden-image regression: one seal of each kind at 100 dpi, compared with a perceptual tolerance.

Regenerate after an intended change with ``CHOP_UPDATE_GOLDENS=1 uv run pytest tests/sealart``, then
look at the images before committing them.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from chop.sealart import SealKind, SealSpec, render

GOLDEN = Path(__file__).parent / "golden"
DPI = 100
COMPANY = "上海示例科技有限公司"
CASES = {
    SealKind.OFFICIAL: SealSpec(kind=SealKind.OFFICIAL, name=COMPANY, bottom_text="3101150012345"),
    SealKind.CONTRACT: SealSpec(kind=SealKind.CONTRACT, name=COMPANY),
    SealKind.FINANCE: SealSpec(kind=SealKind.FINANCE, name=COMPANY),
    SealKind.HR: SealSpec(kind=SealKind.HR, name=COMPANY, star=False),
    SealKind.FINANCE_SQUARE: SealSpec(kind=SealKind.FINANCE_SQUARE, name=COMPANY),
    SealKind.INVOICE: SealSpec(
        kind=SealKind.INVOICE, name=COMPANY, taxpayer_id="91310115MA1K3XXX2X"
    ),
    SealKind.FOREIGN: SealSpec(kind=SealKind.FOREIGN, name="SHANGHAI EXAMPLE TECHNOLOGY CO., LTD."),
    SealKind.LEGAL_REP_SQUARE: SealSpec(kind=SealKind.LEGAL_REP_SQUARE, name="张三"),
    SealKind.LEGAL_REP_RECT: SealSpec(kind=SealKind.LEGAL_REP_RECT, name="王小明"),
    SealKind.SIGNATURE: SealSpec(kind=SealKind.SIGNATURE, name="王小明"),
    SealKind.CUSTOM: SealSpec(
        kind=SealKind.CUSTOM, name=COMPANY, size_mm=38, color="blue", aged_seed=1
    ),
}


def _alpha(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)), dtype=np.float32)[..., 3] / 255.0


def _blur(a: np.ndarray) -> np.ndarray:
    img = Image.fromarray(np.uint8(np.rint(a * 255)), "L").filter(ImageFilter.GaussianBlur(1.5))
    return np.asarray(img, dtype=np.float32) / 255.0


def perceptual_diff(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """(mean |Δ| after blur, max |Δ| after blur, IoU of ink): blur forgives sub-pixel edge changes
    (a new numpy, a flattening tweak) but not a moved, missing or resized glyph."""
    if a.shape != b.shape:
        return 1.0, 1.0, 0.0
    d = np.abs(_blur(a) - _blur(b))
    ma, mb = a > 0.5, b > 0.5
    union = (ma | mb).sum()
    return float(d.mean()), float(d.max()), float((ma & mb).sum() / union) if union else 1.0


def _within_tolerance(a: np.ndarray, b: np.ndarray) -> bool:
    mean, peak, iou = perceptual_diff(a, b)
    return mean < 0.004 and peak < 0.2 and iou > 0.97


@pytest.mark.parametrize("kind", list(CASES), ids=lambda k: k.value)
def test_matches_golden(kind):
    png = render(CASES[kind]).to_png(dpi=DPI, compress_level=9)
    path = GOLDEN / f"{kind.value}.png"
    if os.environ.get("CHOP_UPDATE_GOLDENS"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(png)
    assert path.exists(), (
        f"missing golden {path.name}: run with CHOP_UPDATE_GOLDENS=1 and review it"
    )
    got, want = _alpha(png), _alpha(path.read_bytes())
    mean, peak, iou = perceptual_diff(got, want)
    assert _within_tolerance(got, want), (
        f"{kind.value}: mean {mean:.4f} peak {peak:.3f} IoU {iou:.4f}"
    )


def test_tolerance_catches_real_changes():
    """The tolerance is not so loose that a different seal passes."""
    base = CASES[SealKind.OFFICIAL]
    a = _alpha(render(base).to_png(dpi=DPI))
    for changed in (
        base.replace(name="上海示范科技有限公司"),  # one character different
        base.replace(star_mm=12),  # a smaller star
        base.replace(bottom_text=None),  # no code
    ):
        assert not _within_tolerance(a, _alpha(render(changed).to_png(dpi=DPI))), changed
    # and sub-pixel noise does pass: the same seal rendered with a different supersampling
    d = render(base)
    from chop.sealart.raster import coverage

    W, H, ppm = d.pixel_size(DPI)
    assert _within_tolerance(a, coverage(d.shapes, W, H, ppm, d.height_mm, ss=3))
